//! Errors of the GGUF parser. In: what went wrong and where (byte offset from
//! the start of the file, the metadata key or tensor). Out: [`GgufError`],
//! whose messages say both.

/// Why a GGUF header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GgufError {
    #[error("not a GGUF file: it starts with bytes {found:02x?}, not \"GGUF\" (47 47 55 46)")]
    BadMagic { found: [u8; 4] },

    #[error("GGUF version 1 is not supported (it used 32-bit counts and lengths); convert the model again with a current llama.cpp")]
    Version1,

    #[error("this GGUF file is big-endian (version field {raw:#010x}); only little-endian files are supported")]
    BigEndian { raw: u32 },

    #[error("unsupported GGUF version {version} (supported: 2 and 3)")]
    UnsupportedVersion { version: u32 },

    #[error("implausible {what} {value} at byte offset {at_offset} (limit {limit}): the file is corrupt or hostile")]
    Implausible {
        what: &'static str,
        value: u64,
        limit: u64,
        at_offset: u64,
    },

    #[error("invalid value type id {type_id} for metadata key {key:?} at byte offset {at_offset}")]
    InvalidValueType {
        key: String,
        type_id: u32,
        at_offset: u64,
    },

    #[error("arrays nested deeper than {limit} levels in metadata key {key:?} at byte offset {at_offset}")]
    NestingTooDeep {
        key: String,
        limit: usize,
        at_offset: u64,
    },

    #[error("array in metadata key {key:?} at byte offset {at_offset} would be {len} elements of {elem_size} bytes: more than 2^64 bytes")]
    ArrayTooLarge {
        key: String,
        len: u64,
        elem_size: u8,
        at_offset: u64,
    },

    #[error("tensor #{index} ({name:?}) at byte offset {at_offset} has {n_dims} dimensions; ggml allows at most {max}")]
    TooManyDims {
        index: u64,
        name: String,
        n_dims: u32,
        max: u32,
        at_offset: u64,
    },

    #[error(
        "tensor #{index} ({name:?}) has dimensions {dims:?} whose element count overflows 64 bits"
    )]
    ElementCountOverflow {
        index: u64,
        name: String,
        dims: Vec<u64>,
    },

    #[error("the kept metadata would exceed {limit} bytes at byte offset {at_offset}: the file is corrupt or hostile")]
    RetainedTooLarge { limit: usize, at_offset: u64 },

    #[error("input ended at byte offset {at_offset} while reading {while_reading}")]
    Truncated {
        at_offset: u64,
        while_reading: String,
    },
}
