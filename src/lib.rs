//! ollama-pack: move, check and share Ollama models.
//!
//! In: an Ollama models folder (through a [`core::source::StoreSource`]).
//! Out: what is in it ([`core::store::StoreReport`]), and later archives and
//! registry transfers. `core` is pure; `web`+`ui` are the browser app,
//! `cli` the native driver of the same core.

/// The pure core, its own crate (`core/`): no I/O, no browser, no runtime.
pub use ollama_pack_core as core;

#[cfg(target_arch = "wasm32")]
pub mod drive;
#[cfg(target_arch = "wasm32")]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
