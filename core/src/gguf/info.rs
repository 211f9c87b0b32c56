//! What a GGUF header says. In: the parser's decoded header. Out:
//! [`GgufInfo`] (all kept metadata in file order, tensor infos, parameter
//! count) with accessors for the fields the inspector shows, and
//! [`GgufSummary`], the flat `"gguf"` object of the CLI's JSON.

use super::file_type::file_type_label;
use super::value::GgufValue;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// One metadata key/value pair. JSON: `{"key":..,"type":"UINT32","value":..}`
/// (plus `"key_len"` when the key was cut at `max_key_len`).
#[derive(Debug, Clone, PartialEq)]
pub struct GgufKv {
    pub key: String,
    /// The key's true byte length when it was cut; `None` when kept whole.
    pub key_len: Option<u64>,
    pub value: GgufValue,
}

impl Serialize for GgufKv {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("GgufKv", 4)?;
        st.serialize_field("key", &self.key)?;
        if let Some(len) = self.key_len {
            st.serialize_field("key_len", &len)?;
        }
        st.serialize_field("type", &self.value.value_type())?;
        st.serialize_field("value", &self.value)?;
        st.end()
    }
}

/// One tensor info (its data is not read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TensorInfo {
    /// The name, cut at `max_tensor_name_len` bytes (lossy UTF-8).
    pub name: String,
    /// Dimensions in ggml order (`ne[0]` first), as stored.
    pub dims: Vec<u64>,
    /// The ggml type id (`GGMLQuantizationType` in gguf-py).
    pub ggml_type: u32,
    /// Offset of the data from the start of the tensor data section.
    pub offset: u64,
}

impl TensorInfo {
    /// Product of the dimensions (1 for a tensor with no dimensions).
    pub fn n_elements(&self) -> Option<u64> {
        self.dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
    }
}

/// A parsed GGUF header.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GgufInfo {
    pub version: u32,
    pub tensor_count: u64,
    pub kv_count: u64,
    /// Key/values in file order (all of them when `complete`).
    pub metadata: Vec<GgufKv>,
    /// The first `max_tensor_infos` tensor infos.
    pub tensors: Vec<TensorInfo>,
    /// Sum over all tensors of their element counts; `None` unless every
    /// tensor info was read.
    pub parameter_count: Option<u64>,
    /// Bytes of header read: when `complete`, where the padding before the
    /// tensor data starts.
    pub header_len: u64,
    /// True when the whole header (metadata and tensor infos) was read.
    pub complete: bool,
}

impl GgufInfo {
    /// The first value stored under `key`.
    pub fn get(&self, key: &str) -> Option<&GgufValue> {
        self.metadata
            .iter()
            .find(|kv| kv.key == key)
            .map(|kv| &kv.value)
    }

    /// An integer value of any integer type, as `u64`.
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(GgufValue::as_u64)
    }

    /// The kept text of a string value.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(GgufValue::as_str)
    }

    fn arch_u64(&self, suffix: &str) -> Option<u64> {
        let arch = self.architecture()?;
        self.get_u64(&format!("{arch}.{suffix}"))
    }

    pub fn architecture(&self) -> Option<&str> {
        self.get_str("general.architecture")
    }

    pub fn name(&self) -> Option<&str> {
        self.get_str("general.name")
    }

    pub fn size_label(&self) -> Option<&str> {
        self.get_str("general.size_label")
    }

    /// `general.file_type` as stored (llama.cpp's `llama_ftype`).
    pub fn file_type_code(&self) -> Option<u64> {
        self.get_u64("general.file_type")
    }

    /// `general.file_type` as a name: `Q4_K_M`, `F16`, … or `UNKNOWN_<n>`.
    pub fn file_type(&self) -> Option<String> {
        self.file_type_code().map(file_type_label)
    }

    pub fn context_length(&self) -> Option<u64> {
        self.arch_u64("context_length")
    }

    pub fn embedding_length(&self) -> Option<u64> {
        self.arch_u64("embedding_length")
    }

    pub fn block_count(&self) -> Option<u64> {
        self.arch_u64("block_count")
    }

    /// `{arch}.attention.head_count` when it is one integer (some models
    /// store a per-layer array; that gives `None`).
    pub fn head_count(&self) -> Option<u64> {
        self.arch_u64("attention.head_count")
    }

    pub fn head_count_kv(&self) -> Option<u64> {
        self.arch_u64("attention.head_count_kv")
    }

    pub fn expert_count(&self) -> Option<u64> {
        self.arch_u64("expert_count")
    }

    pub fn tokenizer_model(&self) -> Option<&str> {
        self.get_str("tokenizer.ggml.model")
    }

    /// The length of `tokenizer.ggml.tokens`.
    pub fn vocab_size(&self) -> Option<u64> {
        self.get("tokenizer.ggml.tokens")
            .and_then(GgufValue::as_array)
            .map(|a| a.len)
    }

    /// The kept text of `tokenizer.chat_template` (see [`GgufInfo::get`] for
    /// whether it was cut).
    pub fn chat_template(&self) -> Option<&str> {
        self.get_str("tokenizer.chat_template")
    }

    /// `general.alignment`, or the default 32.
    pub fn alignment(&self) -> u64 {
        self.get_u64("general.alignment")
            .filter(|a| a.is_power_of_two())
            .unwrap_or(32)
    }

    /// Where tensor data starts in the file, once the header is complete.
    pub fn tensor_data_offset(&self) -> Option<u64> {
        let align = self.alignment();
        let padded = self.header_len.checked_add(align - 1)? / align * align;
        self.complete.then_some(padded)
    }

    /// The flat summary the inspector shows.
    pub fn summary(&self) -> GgufSummary {
        GgufSummary {
            architecture: self.architecture().map(str::to_owned),
            name: self.name().map(str::to_owned),
            size_label: self.size_label().map(str::to_owned),
            file_type: self.file_type(),
            context_length: self.context_length(),
            embedding_length: self.embedding_length(),
            block_count: self.block_count(),
            head_count: self.head_count(),
            head_count_kv: self.head_count_kv(),
            expert_count: self.expert_count(),
            tokenizer_model: self.tokenizer_model().map(str::to_owned),
            vocab_size: self.vocab_size(),
            parameter_count: self.parameter_count,
            version: self.version,
            tensor_count: self.tensor_count,
        }
    }
}

/// The `"gguf"` object of the CLI's JSON: every field is always present
/// (`null` when the file does not say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GgufSummary {
    pub architecture: Option<String>,
    pub name: Option<String>,
    pub size_label: Option<String>,
    pub file_type: Option<String>,
    pub context_length: Option<u64>,
    pub embedding_length: Option<u64>,
    pub block_count: Option<u64>,
    pub head_count: Option<u64>,
    pub head_count_kv: Option<u64>,
    pub expert_count: Option<u64>,
    pub tokenizer_model: Option<String>,
    pub vocab_size: Option<u64>,
    pub parameter_count: Option<u64>,
    pub version: u32,
    pub tensor_count: u64,
}
