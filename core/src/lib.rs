//! The pure core: Ollama's data model and formats, with no I/O, no browser
//! and no async runtime. Drivers (`web`, `cli`) hand it bytes and listings
//! through [`source::StoreSource`] and get typed results back.

pub mod archive;
pub mod demo;
pub mod digest;
pub mod format;
pub mod gguf;
pub mod manifest;
pub mod name;
pub mod registry;
pub mod source;
pub mod store;
#[cfg(test)]
pub(crate) mod testing;
pub mod verify;
