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
//! OPFS-only; a file locked by a writer) or no handle falls back to a
//! BYOB reader on the `File`'s stream, reading ahead while it hashes.
//!
//! A pull hashes while it downloads ([`StreamVerifier`]): the page hands
//! over each chunk once it is written to the partial file; the chunks that
//! continue the in-order prefix are hashed at once, and when the file is
//! complete only the bytes the stream did not cover are read back.

use super::js::{call, call_method, resolve};
use crate::core::digest::DigestVerifier;
#[cfg(feature = "engine-module")]
use crate::core::registry::pull::prefix::{PrefixHash, Step};
use js_sys::{ArrayBuffer, Function, Object, Reflect, Uint8Array};
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

/// `on_progress(bytesDone)` as a Rust callback.
fn reporter(on_progress: &Function) -> impl Fn(u64) + '_ {
    move |bytes| {
        let _ = on_progress.call1(&JsValue::NULL, &JsValue::from_f64(bytes as f64));
    }
}

/// Hashes `file`, calling `on_progress(bytesDone)` after each chunk.
/// Resolves to `{ hex, bytes, via }`.
#[wasm_bindgen(js_name = hashFile)]
pub async fn hash_file(
    file: File,
    handle: Option<FileSystemFileHandle>,
    on_progress: Function,
) -> Result<JsValue, JsValue> {
    let progress = reporter(&on_progress);
    if file.size() as u64 <= ONE_SHOT_LIMIT {
        let (hex, bytes) = webcrypto_sha256(&file).await?;
        progress(bytes);
        return result(&hex, bytes, VIA_ONE_SHOT);
    }
    hash_rest(DigestVerifier::new(), &file, handle.as_ref(), progress).await
}

/// Hashes `file` from `hasher.bytes()` to its end, on top of `hasher`.
async fn hash_rest(
    hasher: DigestVerifier,
    file: &File,
    handle: Option<&FileSystemFileHandle>,
    progress: impl Fn(u64),
) -> Result<JsValue, JsValue> {
    let (hasher, via) = match match handle {
        Some(handle) => SyncReader::open(handle).await,
        None => None,
    } {
        Some(access) => (access.hash(hasher, progress)?, VIA_SYNC_HANDLE),
        None => (hash_streamed(hasher, file, progress).await?, VIA_FILE),
    };
    let bytes = hasher.bytes();
    result(hasher.finish().hex(), bytes, via)
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

    /// Reads from `hasher.bytes()` to the end of the file straight into a
    /// WASM buffer, hashing each chunk.
    fn hash(
        &self,
        mut hasher: DigestVerifier,
        progress: impl Fn(u64),
    ) -> Result<DigestVerifier, JsValue> {
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

/// Starts a read of the next bytes into `buffer` (a BYOB read: the
/// browser fills our buffer, and hands it back with the bytes).
fn start_read(reader: &JsValue, buffer: ArrayBuffer) -> Result<JsFuture, JsValue> {
    let view = Uint8Array::new(&buffer);
    let read = call_method(reader, "read", &[view.into()]).map_err(|e| e.to_string())?;
    Ok(JsFuture::from(read))
}

/// Hashes `file` from `hasher.bytes()` through a BYOB reader on its
/// stream, two buffers taking turns: the next read runs while a chunk is
/// hashed, and no buffer is left behind for the garbage collector.
/// (`slice().arrayBuffer()`, with read-ahead too, left one per read, and a
/// 1 GiB verify through it took 5.9–6.4 s against 4.4–4.9 s this way.)
async fn hash_streamed(
    mut hasher: DigestVerifier,
    file: &File,
    progress: impl Fn(u64),
) -> Result<DigestVerifier, JsValue> {
    let rest = file.slice_with_f64(hasher.bytes() as f64)?;
    let options = Object::new();
    Reflect::set(&options, &"mode".into(), &"byob".into())?;
    let js = |e: super::js::WebError| JsValue::from(e.to_string());
    let stream = call(&rest, "stream", &[]).map_err(js)?;
    let reader = call(&stream, "getReader", &[options.into()]).map_err(js)?;
    let mut spare = ArrayBuffer::new(HASH_CHUNK as u32);
    let mut pending = start_read(&reader, ArrayBuffer::new(HASH_CHUNK as u32))?;
    let mut buffer = vec![0u8; HASH_CHUNK];
    loop {
        let result = pending.await?;
        if Reflect::get(&result, &"done".into())?
            .as_bool()
            .unwrap_or(true)
        {
            break;
        }
        let chunk: Uint8Array = Reflect::get(&result, &"value".into())?.dyn_into()?;
        // The next read fills the other buffer while this chunk is hashed.
        pending = start_read(&reader, std::mem::replace(&mut spare, chunk.buffer()))?;
        let n = (chunk.length() as usize).min(HASH_CHUNK);
        chunk.subarray(0, n as u32).copy_to(&mut buffer[..n]);
        hasher.update(&buffer[..n]);
        progress(hasher.bytes());
    }
    Ok(hasher)
}

fn result(hex: &str, bytes: u64, via: &str) -> Result<JsValue, JsValue> {
    Ok(super::messages::HashResult::new(hex, bytes, via).into())
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

/// A blob hashed while a pull downloads it (one per partial file, in a
/// pull worker: `pull-worker.js`, engine module only): `add` each chunk once it is written, in any order; then
/// [`finish_stream`] with the complete file.
#[cfg(feature = "engine-module")]
#[wasm_bindgen]
pub struct StreamVerifier {
    order: PrefixHash<Uint8Array>,
    hasher: DigestVerifier,
    buffer: Vec<u8>,
}

#[cfg(feature = "engine-module")]
#[wasm_bindgen]
impl StreamVerifier {
    /// Holds chunks that arrive at most `budget` bytes ahead of the
    /// in-order prefix.
    #[wasm_bindgen(constructor)]
    pub fn new(budget: f64) -> Self {
        Self {
            order: PrefixHash::new(budget as u64),
            hasher: DigestVerifier::new(),
            buffer: Vec::new(),
        }
    }

    /// The chunk written at `offset` of the partial file.
    pub fn add(&mut self, offset: f64, chunk: Uint8Array) {
        let len = u64::from(chunk.length());
        self.order.written(offset as u64, len, chunk);
        // Never read back here: what is not held is hashed from the file
        // once it is complete (`finish_stream`).
        while let Step::Held(ready) = self.order.next(self.order.hashed(), 0) {
            let n = ready.length() as usize;
            self.buffer.resize(n, 0);
            ready.copy_to(&mut self.buffer[..n]);
            self.hasher.update(&self.buffer[..n]);
            self.order.hashed_to(self.hasher.bytes());
        }
        if self.order.is_broken() {
            self.hasher = DigestVerifier::new();
        }
    }

    /// Bytes hashed in order so far.
    pub fn hashed(&self) -> f64 {
        self.hasher.bytes() as f64
    }
}

/// The complete partial file of `stream`'s blob: hashes the bytes the
/// stream did not cover and resolves like `hashFile`.
#[cfg(feature = "engine-module")]
#[wasm_bindgen(js_name = finishStream)]
pub async fn finish_stream(
    stream: StreamVerifier,
    file: File,
    handle: Option<FileSystemFileHandle>,
    on_progress: Function,
) -> Result<JsValue, JsValue> {
    let progress = reporter(&on_progress);
    debug_assert_eq!(stream.hasher.bytes(), stream.order.resume_at());
    hash_rest(stream.hasher, &file, handle.as_ref(), progress).await
}
