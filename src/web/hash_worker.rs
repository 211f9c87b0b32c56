//! The hashing side of verify, run inside a Web Worker. In: a `File` (a
//! blob of the store, passed from the page by structured clone) and a
//! progress callback. Out: its SHA-256 hex and byte count, hashed in WASM a
//! few MiB at a time: never the whole blob in memory.

use super::dir_source::read_file_range;
use crate::core::digest::DigestVerifier;
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::File;

/// Bytes read per step: large enough for speed, small enough for memory.
pub const HASH_CHUNK: usize = 4 << 20;

/// Hashes `file`, calling `on_progress(bytesDone)` after each chunk.
/// Resolves to `{ hex, bytes }`.
#[wasm_bindgen(js_name = hashFile)]
pub async fn hash_file(file: File, on_progress: Function) -> Result<JsValue, JsValue> {
    let size = file.size() as u64;
    let mut hasher = DigestVerifier::new();
    while hasher.bytes() < size {
        let chunk = read_file_range(&file, hasher.bytes(), HASH_CHUNK)
            .await
            .map_err(|e| JsValue::from_str(&e.to_string()))?;
        if chunk.is_empty() {
            break;
        }
        hasher.update(&chunk);
        let _ = on_progress.call1(&JsValue::NULL, &JsValue::from_f64(hasher.bytes() as f64));
    }
    let result = Object::new();
    let bytes = hasher.bytes();
    Reflect::set(&result, &"bytes".into(), &JsValue::from_f64(bytes as f64))?;
    Reflect::set(&result, &"hex".into(), &hasher.finish().hex().into())?;
    Ok(result.into())
}
