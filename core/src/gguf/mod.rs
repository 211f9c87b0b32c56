//! GGUF headers (`ggml-org/ggml` docs/gguf.md). In: the first bytes of a
//! model blob, pushed in chunks of any size into a [`GgufParser`]. Out: a
//! [`GgufInfo`] (version, metadata, tensor infos, parameter count) and its
//! flat [`GgufSummary`]; or a [`GgufError`] with the byte offset and key.
//! Memory is bounded by [`GgufLimits`] whatever the file claims. Also a
//! small [`GgufWriter`] for demo and benchmark stores.
//!
//! A driver reads the blob's head in chunks, calls [`GgufParser::feed`] until
//! [`Progress::Done`] (or gives up at a byte limit and takes
//! [`GgufParser::into_partial`]), then [`GgufParser::finish`].

mod error;
mod file_type;
mod info;
mod limits;
mod parser;
mod value;
mod writer;

#[cfg(test)]
mod tests_fixtures;
#[cfg(test)]
mod tests_hostile;

pub use error::GgufError;
pub use file_type::{file_type_label, file_type_name, known_file_types};
pub use info::{GgufInfo, GgufKv, GgufSummary, TensorInfo};
pub use limits::{GgufLimits, GGML_MAX_DIMS};
pub use parser::{parse, GgufParser, Progress};
pub use value::{GgufArray, GgufString, GgufValue, GgufValueType};
pub use writer::{GgufWriter, WriteValue};
