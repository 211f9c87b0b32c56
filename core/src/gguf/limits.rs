//! Limits that keep the GGUF parser's memory bounded on hostile input. In:
//! nothing (defaults) or a caller's choice. Out: [`GgufLimits`]. No count or
//! length read from a file ever sizes an allocation: strings keep at most a
//! limit of bytes, arrays keep their first elements, and everything kept is
//! charged to `max_retained_bytes`.

/// `GGML_MAX_DIMS` in ggml.h: a tensor has at most 4 dimensions.
pub const GGML_MAX_DIMS: u32 = 4;
/// Tensor dims the parser can hold at all (`max_dims` is clamped to this).
pub const DIMS_CAPACITY: usize = 8;
/// The spec limits keys to 2^16-1 bytes; a longer key is an error.
pub const SPEC_MAX_KEY_LEN: u64 = 65_535;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GgufLimits {
    /// Key bytes kept (longer keys, up to the spec's 65535, are cut).
    pub max_key_len: usize,
    /// Bytes kept of a string value (e.g. `tokenizer.chat_template`).
    pub max_string_len: usize,
    /// Bytes kept of each string inside an array head.
    pub max_array_string_len: usize,
    /// Elements kept at the head of each array; the rest are skipped.
    pub max_array_head: usize,
    /// Arrays of arrays nest at most this deep (1 = plain arrays only).
    pub max_array_depth: usize,
    /// Bytes kept of a tensor name (ggml's own limit is 63).
    pub max_tensor_name_len: usize,
    /// Tensor infos kept in [`super::GgufInfo::tensors`]; all are counted.
    pub max_tensor_infos: usize,
    /// A larger metadata kv count is refused as implausible.
    pub max_kv_count: u64,
    /// A larger tensor count is refused as implausible.
    pub max_tensor_count: u64,
    /// More dimensions than this is an error (clamped to [`DIMS_CAPACITY`]).
    pub max_dims: u32,
    /// Budget for everything kept (keys, values, tensor infos).
    pub max_retained_bytes: usize,
}

impl Default for GgufLimits {
    fn default() -> Self {
        Self {
            max_key_len: 1024,
            max_string_len: 64 * 1024,
            max_array_string_len: 1024,
            max_array_head: 8,
            max_array_depth: 4,
            max_tensor_name_len: 256,
            max_tensor_infos: 16 * 1024,
            max_kv_count: 1 << 20,
            max_tensor_count: 1 << 24,
            max_dims: GGML_MAX_DIMS,
            max_retained_bytes: 32 * 1024 * 1024,
        }
    }
}

impl GgufLimits {
    /// The most bytes the parser's in-progress buffer can hold: the longest
    /// string it keeps. Tests assert the buffer's capacity stays under it.
    pub fn max_buffer_bytes(&self) -> usize {
        self.max_key_len
            .max(self.max_string_len)
            .max(self.max_array_string_len)
            .max(self.max_tensor_name_len)
    }
}
