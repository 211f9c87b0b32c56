//! The hashing side of verify, run inside a Web Worker. In: a `File` (a
//! blob of the store, passed from the page by structured clone), its
//! `FileSystemFileHandle` when the store is a folder handle, and a progress
//! callback. Out: its SHA-256 hex, byte count and how it was read, hashed in
//! WASM a few MiB at a time (small blobs by WebCrypto in one go): never a
//! large blob whole in memory.
//!
//! Large blobs in the Origin Private File System are read through a
//! read-only `FileSystemSyncAccessHandle` straight into WASM memory: no
//! round trip through the browser process and no extra copy, so the worker's
//! time goes to hashing. Any other handle (a picked folder: sync handles are
//! OPFS-only; a file locked by a writer) or no handle falls back to
//! `File.slice().arrayBuffer()` with read-ahead.

use super::js::{call_method, resolve};
use crate::core::digest::DigestVerifier;
use js_sys::{Function, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, FileSystemFileHandle, FileSystemReadWriteOptions, FileSystemSyncAccessHandle};

/// Bytes read per step: large enough for speed, small enough for memory.
pub const HASH_CHUNK: usize = 4 << 20;

/// Blobs up to this size are hashed by WebCrypto in one go: measured ~3×
/// faster than streaming (scripts/bench), and holding 64 MiB is harmless.
/// Larger blobs stream through the WASM hasher, never whole in memory.
pub const ONE_SHOT_LIMIT: u64 = 64 << 20;

/// How a blob's bytes reached the hasher (reported with each digest).
pub const VIA_ONE_SHOT: &str = "webcrypto";
pub const VIA_SYNC_HANDLE: &str = "opfs-sync";
pub const VIA_FILE: &str = "file";

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

/// Hashes `file`, calling `on_progress(bytesDone)` after each chunk.
/// Resolves to `{ hex, bytes, via }`.
#[wasm_bindgen(js_name = hashFile)]
pub async fn hash_file(
    file: File,
    handle: Option<FileSystemFileHandle>,
    on_progress: Function,
) -> Result<JsValue, JsValue> {
    let progress = |bytes: u64| {
        let _ = on_progress.call1(&JsValue::NULL, &JsValue::from_f64(bytes as f64));
    };
    if file.size() as u64 <= ONE_SHOT_LIMIT {
        let (hex, bytes) = webcrypto_sha256(&file).await?;
        progress(bytes);
        return result(&hex, bytes, VIA_ONE_SHOT);
    }
    if let Some(access) = match &handle {
        Some(handle) => SyncReader::open(handle).await,
        None => None,
    } {
        let hasher = access.hash(progress)?;
        let bytes = hasher.bytes();
        return result(hasher.finish().hex(), bytes, VIA_SYNC_HANDLE);
    }
    let hasher = hash_streamed(&file, progress).await?;
    let bytes = hasher.bytes();
    result(hasher.finish().hex(), bytes, VIA_FILE)
}

/// A read-only sync access handle, closed when dropped (on every path out,
/// errors included, so the file is never left locked).
struct SyncReader(FileSystemSyncAccessHandle);

impl SyncReader {
    /// Opens `handle` read-only (a shared lock: other readers may open it
    /// too). `None` where that is impossible (a handle outside OPFS, a file
    /// a writer holds, a browser or thread without sync handles): the
    /// caller falls back to the `File`.
    async fn open(handle: &FileSystemFileHandle) -> Option<Self> {
        let options = Object::new();
        Reflect::set(&options, &"mode".into(), &"read-only".into()).ok()?;
        let promise = call_method(handle, "createSyncAccessHandle", &[options.into()]).ok()?;
        let access = resolve(promise).await.ok()?;
        access
            .dyn_into::<FileSystemSyncAccessHandle>()
            .ok()
            .map(Self)
    }

    /// Reads from the start to the end of the file straight into a WASM
    /// buffer, hashing each chunk.
    fn hash(&self, progress: impl Fn(u64)) -> Result<DigestVerifier, JsValue> {
        let mut hasher = DigestVerifier::new();
        let mut buffer = vec![0u8; HASH_CHUNK];
        let options = FileSystemReadWriteOptions::new();
        loop {
            options.set_at(hasher.bytes() as f64);
            let n = self
                .0
                .read_with_u8_array_and_options(&mut buffer, &options)?
                as usize;
            if n == 0 {
                return Ok(hasher);
            }
            hasher.update(&buffer[..n.min(HASH_CHUNK)]);
            progress(hasher.bytes());
        }
    }
}

impl Drop for SyncReader {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Starts reading `len` bytes at `offset` (the browser reads while we hash).
fn start_read(file: &File, offset: u64, len: usize) -> Result<JsFuture, JsValue> {
    let end = (offset as f64 + len as f64).min(file.size());
    let blob = file.slice_with_f64_and_f64(offset as f64, end)?;
    Ok(JsFuture::from(blob.array_buffer()))
}

/// Hashes `file` through `File.slice().arrayBuffer()`; the next chunk is
/// being read while the current one is hashed.
async fn hash_streamed(file: &File, progress: impl Fn(u64)) -> Result<DigestVerifier, JsValue> {
    let size = file.size() as u64;
    let mut hasher = DigestVerifier::new();
    let mut buffer = vec![0u8; HASH_CHUNK];
    let mut pending = (size > 0)
        .then(|| start_read(file, 0, HASH_CHUNK))
        .transpose()?;
    while let Some(read) = pending.take() {
        let array = Uint8Array::new(&read.await?);
        let n = (array.length() as usize).min(HASH_CHUNK);
        let next = hasher.bytes() + n as u64;
        if n > 0 && next < size {
            pending = Some(start_read(file, next, HASH_CHUNK)?);
        }
        array.subarray(0, n as u32).copy_to(&mut buffer[..n]);
        hasher.update(&buffer[..n]);
        progress(hasher.bytes());
    }
    Ok(hasher)
}

fn result(hex: &str, bytes: u64, via: &str) -> Result<JsValue, JsValue> {
    let result = Object::new();
    Reflect::set(&result, &"bytes".into(), &JsValue::from_f64(bytes as f64))?;
    Reflect::set(&result, &"hex".into(), &hex.into())?;
    Reflect::set(&result, &"via".into(), &via.into())?;
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
