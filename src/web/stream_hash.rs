//! Hashing blobs while a pull downloads them, and in OPFS writing them too.
//! In: per blob, `begin` when its partial file opens, perhaps `open_sync`
//! (the writer worker writes the file through a sync access handle: OPFS
//! only), each chunk — to `write` there, or once the page wrote it, as a
//! `chunk` (its bytes move to the worker) — then `finish` with the complete
//! file, or `forget` when the file is discarded. Out: the blob's digest and
//! size, or why not, on the callback.
//!
//! Pull workers ([`WORKER_SCRIPT`], [`super::hash_worker::StreamVerifier`])
//! hash in file order what arrives in order, hold a bounded amount that
//! arrives ahead, and read back from the file only what the chunks did not
//! cover. [`StreamHashers::room`] holds a writer back while its worker is
//! behind, so memory stays bounded when the network outruns the hash.
//!
//! The writer worker ([`WRITER_SCRIPT`]) only writes, and hands each
//! written buffer back to be passed on to the blob's hashing worker: the
//! copy into the file and the hash run on two cores at once instead of one
//! after the other on one.

use super::js::WebError;
use super::messages::{FromWorker, ToWorker};
use crate::core::digest::Digest;
use futures_channel::oneshot;
use futures_util::future::select;
use gloo::timers::future::TimeoutFuture;
use js_sys::{Array, Uint8Array};
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{File, FileSystemFileHandle, MessageEvent, Worker, WorkerOptions, WorkerType};

/// The worker script, next to index.html in `dist/`; it loads the registry
/// module.
pub const WORKER_SCRIPT: &str = "pull-worker.js";
/// The writer worker's script (no WASM), next to index.html in `dist/`.
pub const WRITER_SCRIPT: &str = "pull-writer.js";

/// Bytes a worker may hold of chunks that arrived ahead of the in-order
/// prefix (parallel parts): about the parts in flight, at the browser's
/// default part size.
const HELD_BUDGET: u64 = 64 << 20;
/// Bytes handed to a worker and not yet taken before writers wait.
const BEHIND_LIMIT: u64 = 32 << 20;

/// Write buffers kept for reuse.
const SPARE_BUFFERS: usize = 8;

/// Called with a blob's digest and what its file hashed to (digest, bytes).
pub type OnHashed = Rc<dyn Fn(Digest, Result<(Digest, u64), String>)>;

/// Which worker a message goes to or came from.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    /// A hashing worker, by index.
    Hasher(usize),
    /// The writer worker.
    Writer,
}

struct Inner {
    size: usize,
    workers: Vec<Worker>,
    /// Writes the partial files in OPFS; started on the first `open_sync`.
    writer: Option<Worker>,
    /// Per worker: bytes posted and not yet taken.
    behind: Vec<u64>,
    /// Blob → (worker, stream id), from `begin` until `finish`/`forget`.
    streams: HashMap<Digest, (usize, u32)>,
    /// Stream ids whose digest is awaited.
    waiting: HashMap<u32, Digest>,
    next_id: u32,
    on_hashed: OnHashed,
    wake: Vec<oneshot::Sender<()>>,
    handlers: Vec<Closure<dyn FnMut(MessageEvent)>>,
    failed: Option<String>,
    /// Write buffers the workers gave back, for reuse.
    spare: Vec<js_sys::ArrayBuffer>,
    /// Messages awaiting the worker's ack, by sequence number.
    calls: HashMap<u32, oneshot::Sender<Result<(), String>>>,
    next_seq: u32,
}

#[derive(Clone)]
pub struct StreamHashers {
    inner: Rc<RefCell<Inner>>,
}

impl StreamHashers {
    /// Up to `size` workers, started as blobs begin.
    pub fn new(size: usize, on_hashed: OnHashed) -> Self {
        Self {
            inner: Rc::new(RefCell::new(Inner {
                size: size.max(1),
                workers: Vec::new(),
                writer: None,
                behind: Vec::new(),
                streams: HashMap::new(),
                waiting: HashMap::new(),
                next_id: 0,
                on_hashed,
                wake: Vec::new(),
                handlers: Vec::new(),
                failed: None,
                calls: HashMap::new(),
                next_seq: 0,
                spare: Vec::new(),
            })),
        }
    }

    /// A new stream id and the worker that takes it (started if need be).
    fn assign(&self) -> Result<(usize, u32), String> {
        let (index, id, spawn) = {
            let mut inner = self.inner.borrow_mut();
            if let Some(why) = &inner.failed {
                return Err(why.clone());
            }
            let id = inner.next_id;
            inner.next_id += 1;
            let index = id as usize % inner.size;
            (index, id, index >= inner.workers.len())
        };
        if spawn {
            let worker = self
                .start(WORKER_SCRIPT, Target::Hasher(index))
                .map_err(|e| self.fail(e))?;
            let mut inner = self.inner.borrow_mut();
            inner.workers.push(worker);
            inner.behind.push(0);
        }
        Ok((index, id))
    }

    /// The writer worker, started if need be.
    fn writer(&self) -> Result<(), String> {
        if self.inner.borrow().writer.is_some() {
            return Ok(());
        }
        let worker = self
            .start(WRITER_SCRIPT, Target::Writer)
            .map_err(|e| self.fail(e))?;
        self.inner.borrow_mut().writer = Some(worker);
        Ok(())
    }

    /// Starts `script` in a worker whose messages come as from `target`.
    fn start(&self, script: &str, target: Target) -> Result<Worker, String> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(script, &options)
            .map_err(|e| super::js::WebError::from_js(&e).to_string())?;
        let this = self.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            this.on_message(target, &e.data())
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let this = self.clone();
        let why = format!("a pull worker stopped (is {script} served next to the app?)");
        let on_error = Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
            this.fail(why.clone());
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        self.inner
            .borrow_mut()
            .handlers
            .extend([on_message, on_error]);
        Ok(worker)
    }

    fn post(&self, target: Target, m: &ToWorker, transfer: Option<&JsValue>) {
        let posted = {
            let inner = self.inner.borrow();
            let worker = match target {
                Target::Hasher(index) => inner.workers.get(index),
                Target::Writer => inner.writer.as_ref(),
            };
            let Some(worker) = worker else {
                return;
            };
            match transfer {
                Some(t) => worker.post_message_with_transfer(m, &Array::of1(t)),
                None => worker.post_message(m),
            }
        };
        if let Err(e) = posted {
            self.fail(super::js::WebError::from_js(&e).to_string());
        }
    }

    /// A write buffer of `len` bytes: one a worker gave back, or a new one.
    pub fn buffer(&self, len: u32) -> Uint8Array {
        let spare = self.inner.borrow_mut().spare.pop();
        match spare {
            Some(b) if b.byte_length() == len => Uint8Array::new(&b),
            _ => Uint8Array::new_with_length(len),
        }
    }

    /// The partial file of `digest` was opened: its chunks follow.
    pub fn begin(&self, digest: &Digest) {
        if let Some((index, id)) = self.inner.borrow_mut().streams.remove(digest) {
            self.post(Target::Hasher(index), &ToWorker::to(id, "drop"), None);
        }
        let Ok((index, id)) = self.assign() else {
            return;
        };
        let m = ToWorker::to(id, "stream");
        m.set_budget(HELD_BUDGET as f64);
        self.post(Target::Hasher(index), &m, None);
        self.inner
            .borrow_mut()
            .streams
            .insert(digest.clone(), (index, id));
    }

    /// `len` bytes of `buffer` were written at `offset` of `digest`'s
    /// partial file. The buffer's memory moves to the worker: the caller
    /// must not use it again.
    pub fn chunk(&self, digest: &Digest, offset: u64, buffer: &Uint8Array, len: u32) {
        let Some((index, id)) = self.inner.borrow().streams.get(digest).copied() else {
            return;
        };
        self.post_chunk(index, id, offset, buffer.buffer().into(), len);
    }

    /// `len` bytes of `data` (an ArrayBuffer, moved) to stream `id` on
    /// hashing worker `index`.
    fn post_chunk(&self, index: usize, id: u32, offset: u64, data: JsValue, len: u32) {
        let m = ToWorker::to(id, "chunk");
        m.set_offset(offset as f64);
        m.set_len(len);
        m.set_data(&data);
        if let Some(behind) = self.inner.borrow_mut().behind.get_mut(index) {
            *behind += u64::from(len);
        }
        self.post(Target::Hasher(index), &m, Some(&data));
    }

    /// Waits while the worker hashing `digest` is far behind.
    pub async fn room(&self, digest: &Digest) {
        loop {
            let (tx, rx) = oneshot::channel();
            {
                let mut inner = self.inner.borrow_mut();
                let index = match inner.streams.get(digest) {
                    Some((index, _)) if inner.failed.is_none() => *index,
                    _ => return,
                };
                if inner.behind.get(index).copied().unwrap_or(0) <= BEHIND_LIMIT {
                    return;
                }
                inner.wake.push(tx);
            }
            // A worker answers every chunk; the timer only guards the loop.
            select(rx, TimeoutFuture::new(1_000)).await;
        }
    }

    /// The partial file of `digest` is complete: hash what its chunks did
    /// not cover (all of it when no stream ran); the answer comes through
    /// the callback.
    pub fn finish(&self, digest: &Digest, file: &File, handle: &FileSystemFileHandle) {
        let started = self.inner.borrow_mut().streams.remove(digest);
        let assigned = match started {
            Some(s) => Ok((s, "finish")),
            None => self.assign().map(|s| (s, "hash")),
        };
        let ((index, id), kind) = match assigned {
            Ok(a) => a,
            Err(why) => return (self.inner.borrow().on_hashed.clone())(digest.clone(), Err(why)),
        };
        let m = ToWorker::to(id, kind);
        m.set_file(file);
        m.set_handle(handle);
        self.inner.borrow_mut().waiting.insert(id, digest.clone());
        self.post(Target::Hasher(index), &m, None);
    }

    /// The partial file of `digest` is going (discarded, or opened afresh):
    /// the writer closes it, the hashing worker forgets the stream.
    pub async fn forget(&self, digest: &Digest) -> Result<(), String> {
        let started = self.inner.borrow_mut().streams.remove(digest);
        let Some((index, id)) = started else {
            return Ok(());
        };
        let hasher = self.call(Target::Hasher(index), ToWorker::to(id, "drop"), None);
        let writer = self.inner.borrow().writer.is_some();
        let closed = if writer {
            self.call(Target::Writer, ToWorker::to(id, "drop"), None)
                .await
        } else {
            Ok(())
        };
        hasher.await.and(closed)
    }

    /// Sends `m` with a sequence number now; the future resolves with the
    /// worker's ack.
    fn call(
        &self,
        target: Target,
        m: ToWorker,
        transfer: Option<&JsValue>,
    ) -> impl Future<Output = Result<(), String>> + 'static {
        let (tx, rx) = oneshot::channel();
        let failed = {
            let mut inner = self.inner.borrow_mut();
            match &inner.failed {
                Some(why) => Some(why.clone()),
                None => {
                    let seq = inner.next_seq;
                    inner.next_seq += 1;
                    inner.calls.insert(seq, tx);
                    m.set_seq(seq);
                    None
                }
            }
        };
        if failed.is_none() {
            self.post(target, &m, transfer);
        }
        async move {
            match failed {
                Some(why) => Err(why),
                None => rx
                    .await
                    .unwrap_or_else(|_| Err("the hashing worker stopped".into())),
            }
        }
    }

    fn stream(&self, digest: &Digest) -> Result<(usize, u32), String> {
        self.inner
            .borrow()
            .streams
            .get(digest)
            .copied()
            .ok_or_else(|| format!("{digest}: no stream"))
    }

    /// Asks the writer worker to open `digest`'s partial file (`handle`, in
    /// OPFS: sync access handles are OPFS-only) for its writes, at
    /// `size` bytes. `Ok(false)` where this browser cannot (the page writes
    /// then); an error when the file could not be opened or sized (a full
    /// disk, the file in use by another tab).
    pub async fn open_sync(
        &self,
        digest: &Digest,
        handle: &FileSystemFileHandle,
        size: u64,
    ) -> Result<bool, WebError> {
        let Ok((_, id)) = self.stream(digest) else {
            return Ok(false);
        };
        self.writer().map_err(WebError::Other)?;
        let m = ToWorker::to(id, "open");
        m.set_handle(handle);
        m.set_size(&JsValue::from_f64(size as f64));
        match self
            .call(Target::Writer, m, None)
            .await
            .map_err(WebError::from_text)
        {
            Ok(()) => Ok(true),
            Err(WebError::Unsupported(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Writes `len` bytes of `buffer` at `offset` of `digest`'s partial
    /// file opened with `open_sync`; once written they go on to its hashing
    /// worker. The buffer's memory moves to the writer now; the future
    /// resolves once it is written (wait for [`Self::room`] after it).
    pub fn write(
        &self,
        digest: &Digest,
        offset: u64,
        buffer: &Uint8Array,
        len: u32,
    ) -> impl Future<Output = Result<(), String>> + 'static {
        let call = self.stream(digest).map(|(_, id)| {
            let m = ToWorker::to(id, "write");
            m.set_offset(offset as f64);
            m.set_len(len);
            let data: JsValue = buffer.buffer().into();
            m.set_data(&data);
            self.call(Target::Writer, m, Some(&data))
        });
        async move { call?.await }
    }

    /// Flushes and closes `digest`'s partial file opened with `open_sync`.
    pub async fn close_sync(&self, digest: &Digest) -> Result<(), String> {
        match self.stream(digest) {
            Ok((_, id)) => {
                self.call(Target::Writer, ToWorker::to(id, "close"), None)
                    .await
            }
            Err(_) => Ok(()),
        }
    }

    fn wake_writers(&self) {
        let wake = std::mem::take(&mut self.inner.borrow_mut().wake);
        for tx in wake {
            let _ = tx.send(());
        }
    }

    fn on_message(&self, from: Target, data: &JsValue) {
        let reply = FromWorker::of(data.clone());
        let id = reply.id().map_or(u32::MAX, |id| id as u32);
        let bytes = reply.bytes().unwrap_or(0.0) as u64;
        let result = match reply.kind().as_deref() {
            Some("ack") => {
                let Some(seq) = reply.seq() else {
                    return;
                };
                let seq = seq as u32;
                let answer = if reply.ok() == Some(true) {
                    Ok(())
                } else {
                    Err(reply.message().unwrap_or_default())
                };
                if let Some(tx) = self.inner.borrow_mut().calls.remove(&seq) {
                    let _ = tx.send(answer);
                }
                return;
            }
            Some("spare") => {
                let mut inner = self.inner.borrow_mut();
                if let Ok(buffer) = reply.data().dyn_into() {
                    if inner.spare.len() < SPARE_BUFFERS {
                        inner.spare.push(buffer);
                    }
                }
                return;
            }
            Some("written") if from == Target::Writer => {
                // On to the stream's hashing worker (`assign`'s choice).
                let index = id as usize % self.inner.borrow().size;
                let offset = reply.offset().unwrap_or(0.0) as u64;
                let len = reply.len().unwrap_or(0.0) as u32;
                return self.post_chunk(index, id, offset, reply.data(), len);
            }
            Some("took") => {
                let Target::Hasher(index) = from else {
                    return;
                };
                if let Some(behind) = self.inner.borrow_mut().behind.get_mut(index) {
                    *behind = behind.saturating_sub(bytes);
                }
                return self.wake_writers();
            }
            Some("done") => {
                let hex = reply.hex().unwrap_or_default();
                Digest::parse(&format!("sha256:{hex}"))
                    .map(|d| (d, bytes))
                    .map_err(|e| e.to_string())
            }
            Some("error") => Err(reply.message().unwrap_or_default()),
            _ => return,
        };
        let (digest, on_hashed) = {
            let mut inner = self.inner.borrow_mut();
            (inner.waiting.remove(&id), inner.on_hashed.clone())
        };
        if let Some(digest) = digest {
            on_hashed(digest, result);
        }
    }

    /// Stops every worker; blobs waiting for a digest get `why`. Returns
    /// `why` (for `map_err`).
    fn fail(&self, why: String) -> String {
        let (waiting, on_hashed) = {
            let mut inner = self.inner.borrow_mut();
            if inner.failed.is_none() {
                inner.failed = Some(why.clone());
            }
            for worker in inner.workers.iter().chain(&inner.writer) {
                worker.terminate();
            }
            inner.streams.clear();
            inner.calls.clear();
            (std::mem::take(&mut inner.waiting), inner.on_hashed.clone())
        };
        self.wake_writers();
        for digest in waiting.into_values() {
            on_hashed(digest, Err(why.clone()));
        }
        why
    }

    /// Stops every worker at once (the pull ended).
    pub fn stop(&self) {
        let mut inner = self.inner.borrow_mut();
        inner.failed = Some("the pull ended".into());
        inner.waiting.clear();
        inner.streams.clear();
        inner.calls.clear();
        for worker in inner.workers.iter().chain(&inner.writer) {
            worker.terminate();
        }
        drop(inner);
        self.wake_writers();
    }
}
