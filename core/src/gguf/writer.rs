//! A small GGUF writer for demo folders and benchmark stores. In: key/values
//! (strings, integers, floats, bools, arrays of them) and tensor infos
//! (name, dims in ggml order, ggml type, data size). Out: the header bytes
//! (version 3 unless told otherwise) padded to the alignment, laid out as
//! gguf-py's `GGUFWriter` lays them out, and deterministic fake tensor data
//! of the right length, streamable in pieces. The parser's tests never use
//! it to make their fixtures: those come from gguf-py.

use super::value::GgufValueType;

/// One value to write. Arrays hold every element.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteValue {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    String(String),
    U64(u64),
    I64(i64),
    F64(f64),
    Strings(Vec<String>),
    U32s(Vec<u32>),
    I32s(Vec<i32>),
    U64s(Vec<u64>),
    F32s(Vec<f32>),
    Bools(Vec<bool>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TensorSpec {
    name: String,
    dims: Vec<u64>,
    ggml_type: u32,
    offset: u64,
    n_bytes: u64,
}

/// Builds a GGUF file's header (and fake data) in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct GgufWriter {
    version: u32,
    alignment: u64,
    kvs: Vec<(String, WriteValue)>,
    tensors: Vec<TensorSpec>,
    data_len: u64,
}

impl Default for GgufWriter {
    fn default() -> Self {
        Self::new()
    }
}

fn align_up(n: u64, align: u64) -> u64 {
    n.div_ceil(align).saturating_mul(align)
}

impl GgufWriter {
    /// A version 3 writer with the default alignment (32).
    pub fn new() -> Self {
        Self {
            version: 3,
            alignment: 32,
            kvs: Vec::new(),
            tensors: Vec::new(),
            data_len: 0,
        }
    }

    /// Writes this version number instead (2 has the same layout).
    pub fn version(&mut self, version: u32) -> &mut Self {
        self.version = version;
        self
    }

    pub fn kv(&mut self, key: &str, value: WriteValue) -> &mut Self {
        self.kvs.push((key.to_owned(), value));
        self
    }

    pub fn kv_string(&mut self, key: &str, value: &str) -> &mut Self {
        self.kv(key, WriteValue::String(value.to_owned()))
    }

    pub fn kv_u32(&mut self, key: &str, value: u32) -> &mut Self {
        self.kv(key, WriteValue::U32(value))
    }

    pub fn kv_u64(&mut self, key: &str, value: u64) -> &mut Self {
        self.kv(key, WriteValue::U64(value))
    }

    pub fn kv_i32(&mut self, key: &str, value: i32) -> &mut Self {
        self.kv(key, WriteValue::I32(value))
    }

    pub fn kv_f32(&mut self, key: &str, value: f32) -> &mut Self {
        self.kv(key, WriteValue::F32(value))
    }

    pub fn kv_bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.kv(key, WriteValue::Bool(value))
    }

    pub fn kv_strings<S: AsRef<str>>(&mut self, key: &str, values: &[S]) -> &mut Self {
        let values = values.iter().map(|s| s.as_ref().to_owned()).collect();
        self.kv(key, WriteValue::Strings(values))
    }

    pub fn kv_i32s(&mut self, key: &str, values: &[i32]) -> &mut Self {
        self.kv(key, WriteValue::I32s(values.to_vec()))
    }

    /// Adds a tensor of `n_bytes` data; its offset follows the previous
    /// tensor's data, padded to the alignment (as gguf-py does).
    pub fn tensor(&mut self, name: &str, dims: &[u64], ggml_type: u32, n_bytes: u64) -> &mut Self {
        let offset = self.data_len;
        self.data_len = align_up(offset.saturating_add(n_bytes), self.alignment);
        self.tensors.push(TensorSpec {
            name: name.to_owned(),
            dims: dims.to_vec(),
            ggml_type,
            offset,
            n_bytes,
        });
        self
    }

    /// Length of the tensor data section (each tensor padded).
    pub fn data_len(&self) -> u64 {
        self.data_len
    }

    /// The header: magic, version, counts, key/values, tensor infos, and
    /// zero padding up to the alignment where tensor data starts.
    pub fn header_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(b"GGUF");
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        out.extend_from_slice(&(self.kvs.len() as u64).to_le_bytes());
        for (key, value) in &self.kvs {
            put_str(&mut out, key);
            put_value(&mut out, value);
        }
        for t in &self.tensors {
            put_str(&mut out, &t.name);
            out.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                out.extend_from_slice(&d.to_le_bytes());
            }
            out.extend_from_slice(&t.ggml_type.to_le_bytes());
            out.extend_from_slice(&t.offset.to_le_bytes());
        }
        let padded = align_up(out.len() as u64, self.alignment);
        out.resize(usize::try_from(padded).unwrap_or(out.len()), 0);
        out
    }

    /// Fills `buf` with the fake tensor data found at `data_offset` within
    /// the data section: a fixed pattern, so a driver can stream gigabytes
    /// in pieces and get the same bytes (and digest) every time.
    pub fn fill_fake_data(data_offset: u64, buf: &mut [u8]) {
        for (i, b) in buf.iter_mut().enumerate() {
            let p = data_offset.wrapping_add(i as u64);
            let mixed = (p ^ (p >> 13)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            *b = (mixed >> 56) as u8;
        }
    }

    /// A whole small file: header and fake data.
    pub fn to_bytes_with_fake_data(&self) -> Vec<u8> {
        let mut out = self.header_bytes();
        let start = out.len();
        let data_len = usize::try_from(self.data_len).unwrap_or(0);
        out.resize(start + data_len, 0);
        if let Some(data) = out.get_mut(start..) {
            Self::fill_fake_data(0, data);
        }
        out
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_type(out: &mut Vec<u8>, ty: GgufValueType) {
    out.extend_from_slice(&ty.id().to_le_bytes());
}

fn put_array_head(out: &mut Vec<u8>, ty: GgufValueType, len: usize) {
    put_type(out, GgufValueType::Array);
    put_type(out, ty);
    out.extend_from_slice(&(len as u64).to_le_bytes());
}

fn put_value(out: &mut Vec<u8>, value: &WriteValue) {
    use GgufValueType as T;
    use WriteValue as W;
    let mut scalar = |ty: T, bytes: &[u8]| {
        put_type(out, ty);
        out.extend_from_slice(bytes);
    };
    match value {
        W::U8(v) => scalar(T::U8, &v.to_le_bytes()),
        W::I8(v) => scalar(T::I8, &v.to_le_bytes()),
        W::U16(v) => scalar(T::U16, &v.to_le_bytes()),
        W::I16(v) => scalar(T::I16, &v.to_le_bytes()),
        W::U32(v) => scalar(T::U32, &v.to_le_bytes()),
        W::I32(v) => scalar(T::I32, &v.to_le_bytes()),
        W::F32(v) => scalar(T::F32, &v.to_le_bytes()),
        W::Bool(v) => scalar(T::Bool, &[u8::from(*v)]),
        W::U64(v) => scalar(T::U64, &v.to_le_bytes()),
        W::I64(v) => scalar(T::I64, &v.to_le_bytes()),
        W::F64(v) => scalar(T::F64, &v.to_le_bytes()),
        W::String(s) => {
            put_type(out, T::String);
            put_str(out, s);
        }
        W::Strings(v) => {
            put_array_head(out, T::String, v.len());
            v.iter().for_each(|s| put_str(out, s));
        }
        W::U32s(v) => {
            put_array_head(out, T::U32, v.len());
            v.iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        }
        W::I32s(v) => {
            put_array_head(out, T::I32, v.len());
            v.iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        }
        W::U64s(v) => {
            put_array_head(out, T::U64, v.len());
            v.iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        }
        W::F32s(v) => {
            put_array_head(out, T::F32, v.len());
            v.iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        }
        W::Bools(v) => {
            put_array_head(out, T::Bool, v.len());
            v.iter().for_each(|x| out.push(u8::from(*x)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::{parse, GgufParser, GgufValue, Progress};

    #[test]
    fn round_trips_through_the_parser() {
        let mut w = GgufWriter::new();
        w.kv_string("general.architecture", "llama")
            .kv_string("general.name", "Demo")
            .kv_u32("general.file_type", 15)
            .kv_u64("llama.context_length", 4096)
            .kv_f32("llama.rope.freq_base", 10000.0)
            .kv_bool("demo.flag", true)
            .kv_strings("tokenizer.ggml.tokens", &["a", "b", "c"])
            .kv_i32s("tokenizer.ggml.token_type", &[1, 2, 3])
            .kv("demo.empty", WriteValue::U32s(Vec::new()))
            .tensor("token_embd.weight", &[8, 3], 0, 96)
            .tensor("output_norm.weight", &[8], 0, 32);
        let bytes = w.to_bytes_with_fake_data();
        let info = parse(&bytes).expect("parses");
        assert_eq!(info.version, 3);
        assert_eq!(info.architecture(), Some("llama"));
        assert_eq!(info.file_type().as_deref(), Some("Q4_K_M"));
        assert_eq!(info.context_length(), Some(4096));
        assert_eq!(info.vocab_size(), Some(3));
        assert_eq!(info.get("demo.flag"), Some(&GgufValue::Bool(true)));
        assert_eq!(info.parameter_count, Some(32));
        assert_eq!(info.tensors[1].offset, 96);
        let data_start = info.tensor_data_offset().expect("complete");
        assert_eq!(data_start, w.header_bytes().len() as u64);
        assert_eq!(bytes.len() as u64, data_start + w.data_len());
    }

    #[test]
    fn fake_data_streams_the_same_in_pieces() {
        let mut whole = vec![0u8; 1000];
        GgufWriter::fill_fake_data(0, &mut whole);
        let mut pieces = vec![0u8; 1000];
        let (a, b) = pieces.split_at_mut(333);
        GgufWriter::fill_fake_data(0, a);
        GgufWriter::fill_fake_data(333, b);
        assert_eq!(whole, pieces);
        assert!(whole.iter().any(|&b| b != whole[0]));
    }

    #[test]
    fn version_two_is_written_when_asked() {
        let bytes = GgufWriter::new().version(2).header_bytes();
        let mut p = GgufParser::new();
        assert_eq!(p.feed(&bytes), Ok(Progress::Done));
        assert_eq!(p.finish().map(|i| i.version), Ok(2));
    }
}
