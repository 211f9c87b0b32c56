//! The hashing side of verify, run inside a Web Worker. In: a `File` (a
//! blob of the store, passed from the page by structured clone) and a
//! progress callback. Out: its SHA-256 hex and byte count, hashed in WASM a
//! few MiB at a time (small blobs by WebCrypto in one go): never a large
//! blob whole in memory.

use crate::core::digest::DigestVerifier;
use js_sys::{Function, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::File;

/// Bytes read per step: large enough for speed, small enough for memory.
pub const HASH_CHUNK: usize = 4 << 20;

/// Blobs up to this size are hashed by WebCrypto in one go: measured ~3×
/// faster than streaming (scripts/bench), and holding 64 MiB is harmless.
/// Larger blobs stream through the WASM hasher, never whole in memory.
pub const ONE_SHOT_LIMIT: u64 = 64 << 20;

/// `crypto.subtle.digest('SHA-256', bytes)` of the whole file.
async fn webcrypto_sha256(file: &File) -> Result<(String, u64), JsValue> {
    let buffer = JsFuture::from(file.array_buffer()).await?;
    let subtle = Reflect::get(
        &Reflect::get(&js_sys::global(), &"crypto".into())?,
        &"subtle".into(),
    )?;
    let digest: Function = Reflect::get(&subtle, &"digest".into())?.dyn_into()?;
    let promise: js_sys::Promise = digest
        .call2(&subtle, &"SHA-256".into(), &buffer)?
        .dyn_into()?;
    let raw = Uint8Array::new(&JsFuture::from(promise).await?).to_vec();
    Ok((
        crate::core::digest::hex_of(&raw),
        Uint8Array::new(&buffer).length() as u64,
    ))
}

/// Starts reading `len` bytes at `offset` (the browser reads while we hash).
fn start_read(file: &File, offset: u64, len: usize) -> Result<JsFuture, JsValue> {
    let end = (offset as f64 + len as f64).min(file.size());
    let blob = file.slice_with_f64_and_f64(offset as f64, end)?;
    Ok(JsFuture::from(blob.array_buffer()))
}

/// Hashes `file`, calling `on_progress(bytesDone)` after each chunk; the
/// next chunk is being read while the current one is hashed. Resolves to
/// `{ hex, bytes }`.
#[wasm_bindgen(js_name = hashFile)]
pub async fn hash_file(file: File, on_progress: Function) -> Result<JsValue, JsValue> {
    let size = file.size() as u64;
    if size <= ONE_SHOT_LIMIT {
        let (hex, bytes) = webcrypto_sha256(&file).await?;
        let _ = on_progress.call1(&JsValue::NULL, &JsValue::from_f64(bytes as f64));
        return result(&hex, bytes);
    }
    let mut hasher = DigestVerifier::new();
    let mut buffer = vec![0u8; HASH_CHUNK];
    let mut pending = (size > 0)
        .then(|| start_read(&file, 0, HASH_CHUNK))
        .transpose()?;
    while let Some(read) = pending.take() {
        let array = Uint8Array::new(&read.await?);
        let n = array.length() as usize;
        let next = hasher.bytes() + n as u64;
        if n > 0 && next < size {
            pending = Some(start_read(&file, next, HASH_CHUNK)?);
        }
        array.copy_to(&mut buffer[..n]);
        hasher.update(&buffer[..n]);
        let _ = on_progress.call1(&JsValue::NULL, &JsValue::from_f64(hasher.bytes() as f64));
    }
    let bytes = hasher.bytes();
    result(hasher.finish().hex(), bytes)
}

fn result(hex: &str, bytes: u64) -> Result<JsValue, JsValue> {
    let result = Object::new();
    Reflect::set(&result, &"bytes".into(), &JsValue::from_f64(bytes as f64))?;
    Reflect::set(&result, &"hex".into(), &hex.into())?;
    Ok(result.into())
}

/// A streaming SHA-256 for page scripts (the benchmark compares it with
/// other hashers on the same bytes): `update` with chunks, then `finish`.
#[wasm_bindgen]
#[derive(Default)]
pub struct Sha256Stream {
    inner: DigestVerifier,
}

#[wasm_bindgen]
impl Sha256Stream {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    /// The digest as 64 hex characters.
    pub fn finish(self) -> String {
        self.inner.finish().hex().to_string()
    }
}
