//! Figures a benchmark reads from the page. In: nothing. Out: the size of
//! this module's WebAssembly memory, as the browser reports it.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Bytes of the WASM linear memory (`WebAssembly.Memory.buffer.byteLength`).
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map_or(0.0, |m| {
            js_sys::ArrayBuffer::from(m.buffer()).byte_length() as f64
        })
}
