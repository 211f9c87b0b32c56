//! The HTTP side of a browser pull or push. In: the machines' requests
//! (with a delay; a body that may name a range of a local blob) and
//! [`PullFiles`] to write bodies into. Out: [`NetEvent`]s on one channel,
//! handed back to the machine by [`Net::deliver`]: each request runs as its
//! own task with `fetch`, a body the machine wants written goes to the
//! blob's partial file 4 MiB at a time (a few writes under way while the
//! next bytes are read), and a head or a body read that
//! waits longer than the stall timeout is reported as a stall.

use super::fetch::{send, BodyStream, FetchError, ReadInto};
use super::js::WebError;
use super::pull_files::{PullFiles, WRITE_BUFFER};
use crate::core::digest::Digest;
use crate::core::registry::{
    Body, BodyTarget, Exchange, HttpRequest, HttpResponse, RequestId, TransportError,
};
use futures_channel::{mpsc, oneshot};
use futures_util::future::{select, Either, LocalBoxFuture};
use futures_util::StreamExt;
use gloo::timers::future::TimeoutFuture;
use js_sys::Uint8Array;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;
use web_sys::{AbortController, File};

/// Writes of one body under way at once.
const WRITES_IN_FLIGHT: usize = 4;

pub enum NetEvent {
    Head(RequestId, HttpResponse, oneshot::Sender<BodyTarget>),
    Body(RequestId, Vec<u8>),
    Written(RequestId, u64),
    End(RequestId),
    Failed(RequestId, TransportError),
    /// A local file could not be read or written.
    Local(String),
    /// The hash of a finished partial file: (digest, bytes) or why not.
    Verified(Digest, Result<(Digest, u64), String>),
    /// Nothing happened for a while: time to look at Cancel and progress.
    Tick,
}

/// Where upload bodies come from: the local blob's file.
pub type BlobFiles = Rc<dyn Fn(&Digest) -> Option<File>>;

#[derive(Clone)]
struct Shared {
    tx: mpsc::UnboundedSender<NetEvent>,
    files: Option<PullFiles>,
    uploads: Option<BlobFiles>,
    stall_ms: u32,
    /// Set when the browser blocked a request for want of CORS headers.
    blocked: Rc<RefCell<Option<String>>>,
}

pub struct Net {
    shared: Shared,
    rx: mpsc::UnboundedReceiver<NetEvent>,
    aborts: HashMap<RequestId, AbortController>,
}

impl Net {
    /// A driver whose bodies go to `files` (pull) or come from `uploads`
    /// (push).
    pub fn new(files: Option<PullFiles>, uploads: Option<BlobFiles>, stall_ms: u32) -> Self {
        let (tx, rx) = mpsc::unbounded();
        Self {
            shared: Shared {
                tx,
                files,
                uploads,
                stall_ms,
                blocked: Rc::default(),
            },
            rx,
            aborts: HashMap::new(),
        }
    }

    /// Bodies the machine wants written go to `files`.
    pub fn write_into(&mut self, files: PullFiles) {
        self.shared.files = Some(files);
    }

    pub fn sender(&self) -> mpsc::UnboundedSender<NetEvent> {
        self.shared.tx.clone()
    }

    /// What the browser blocked, if it blocked anything (CORS).
    pub fn blocked(&self) -> Option<String> {
        self.shared.blocked.borrow().clone()
    }

    pub fn send(&mut self, id: RequestId, request: HttpRequest, delay_ms: u64) {
        let Ok(abort) = AbortController::new() else {
            let _ = self.shared.tx.unbounded_send(NetEvent::Failed(
                id,
                TransportError::Connect("this browser cannot make requests".into()),
            ));
            return;
        };
        let signal: JsValue = abort.signal().into();
        self.aborts.insert(id, abort);
        let shared = self.shared.clone();
        spawn_local(async move {
            if delay_ms > 0 {
                TimeoutFuture::new(delay_ms.min(u64::from(u32::MAX)) as u32).await;
            }
            shared.run(id, request, signal).await;
        });
    }

    pub fn cancel(&mut self, id: RequestId) {
        if let Some(abort) = self.aborts.remove(&id) {
            abort.abort();
        }
    }

    pub fn cancel_all(&mut self) {
        for (_, abort) in self.aborts.drain() {
            abort.abort();
        }
    }

    /// The next event, or a `Tick` after `wait_ms` without one.
    pub async fn next(&mut self, wait_ms: u32) -> NetEvent {
        let timer = TimeoutFuture::new(wait_ms);
        match select(self.rx.next(), timer).await {
            Either::Left((Some(event), _)) => event,
            _ => NetEvent::Tick,
        }
    }

    /// Hands a request's event to the machine; returns the others.
    pub fn deliver<E: Exchange>(&mut self, machine: &mut E, event: NetEvent) -> Option<NetEvent> {
        match event {
            NetEvent::Head(id, response, reply) => {
                let _ = reply.send(machine.on_response(id, response));
            }
            NetEvent::Body(id, bytes) => machine.on_body(id, &bytes),
            NetEvent::Written(id, n) => machine.on_written(id, n),
            NetEvent::End(id) => {
                self.aborts.remove(&id);
                machine.on_end(id);
            }
            NetEvent::Failed(id, e) => {
                self.aborts.remove(&id);
                machine.on_failed(id, e);
            }
            other => return Some(other),
        }
        None
    }
}

impl Shared {
    fn emit(&self, event: NetEvent) {
        let _ = self.tx.unbounded_send(event);
    }

    fn body(&self, body: &Body) -> Result<JsValue, String> {
        match body {
            Body::Empty => Ok(JsValue::UNDEFINED),
            Body::Bytes(bytes) => Ok(Uint8Array::from(bytes.as_slice()).into()),
            Body::Blob {
                digest,
                offset,
                len,
            } => {
                let file = self
                    .uploads
                    .as_ref()
                    .and_then(|f| f(digest))
                    .ok_or_else(|| format!("{digest}: not in the open folder"))?;
                file.slice_with_f64_and_f64(*offset as f64, (offset + len) as f64)
                    .map(Into::into)
                    .map_err(|e| WebError::from_js(&e).to_string())
            }
        }
    }

    async fn run(&self, id: RequestId, request: HttpRequest, signal: JsValue) {
        let body = match self.body(&request.body) {
            Ok(b) => b,
            Err(message) => return self.emit(NetEvent::Local(message)),
        };
        let answer = match select(Box::pin(send(&request, &body, &signal)), self.stall()).await {
            Either::Left((answer, _)) => answer,
            Either::Right(_) => Err(FetchError::Transport(TransportError::Stalled)),
        };
        let (head, mut stream) = match answer {
            Ok(a) => a,
            Err(FetchError::Aborted) => return,
            Err(FetchError::Transport(e)) => {
                if let TransportError::Blocked(why) = &e {
                    *self.blocked.borrow_mut() = Some(why.clone());
                }
                return self.emit(NetEvent::Failed(id, e));
            }
        };
        let (reply, target) = oneshot::channel();
        self.emit(NetEvent::Head(id, head, reply));
        let Ok(target) = target.await else {
            return stream.cancel();
        };
        let result = match target {
            BodyTarget::Buffer => self.buffer(id, &mut stream).await,
            BodyTarget::Discard => {
                stream.cancel();
                Ok(())
            }
            BodyTarget::Write {
                digest,
                offset,
                len,
            } => self.write(id, &mut stream, &digest, offset, len).await,
        };
        match result {
            Ok(()) => self.emit(NetEvent::End(id)),
            Err(FetchError::Aborted) => {}
            Err(FetchError::Transport(e)) => self.emit(NetEvent::Failed(id, e)),
        }
    }

    fn stall(&self) -> TimeoutFuture {
        TimeoutFuture::new(self.stall_ms)
    }

    /// The next chunk, or a stall.
    async fn next(&self, stream: &mut BodyStream) -> Result<Option<Uint8Array>, FetchError> {
        let stalled = match select(Box::pin(stream.next()), self.stall()).await {
            Either::Left((chunk, _)) => return chunk,
            Either::Right(_) => Err(FetchError::Transport(TransportError::Stalled)),
        };
        stream.cancel();
        stalled
    }

    /// Reads into `buffer` at `at` (at most `max` bytes), or a stall.
    async fn read_into(
        &self,
        stream: &mut BodyStream,
        buffer: Uint8Array,
        at: u32,
        max: u32,
    ) -> Result<ReadInto, FetchError> {
        let stalled = match select(Box::pin(stream.read_into(buffer, at, max)), self.stall()).await
        {
            Either::Left((read, _)) => return read,
            Either::Right(_) => Err(FetchError::Transport(TransportError::Stalled)),
        };
        stream.cancel();
        stalled
    }

    async fn buffer(&self, id: RequestId, stream: &mut BodyStream) -> Result<(), FetchError> {
        while let Some(chunk) = self.next(stream).await? {
            self.emit(NetEvent::Body(id, chunk.to_vec()));
        }
        Ok(())
    }

    /// Copies the body into the partial file at `offset`, at most `len`
    /// bytes, in writes of up to [`WRITE_BUFFER`] bytes.
    async fn write(
        &self,
        id: RequestId,
        stream: &mut BodyStream,
        digest: &Digest,
        offset: u64,
        len: u64,
    ) -> Result<(), FetchError> {
        let Some(files) = &self.files else {
            self.emit(NetEvent::Local("no folder to write into".into()));
            return Err(FetchError::Aborted);
        };
        let mut writer = BodyWriter::new(self, id, files, digest, offset);
        let mut left = len;
        while left > 0 {
            let max = (WRITE_BUFFER - writer.fill).min(left.min(u64::from(WRITE_BUFFER)) as u32);
            let buffer = std::mem::replace(&mut writer.buffer, Uint8Array::new_with_length(0));
            let read = match self.read_into(stream, buffer, writer.fill, max).await {
                Ok(read) => read,
                Err(e) => {
                    // The buffer went with the read, and the bytes gathered
                    // in it: the retry fetches them again. Keep what was
                    // written: the retry starts after it. Nothing is
                    // gathered now, so no buffer is needed for it.
                    writer.fill = 0;
                    writer.finish().await?;
                    return Err(e);
                }
            };
            writer.buffer = read.buffer;
            writer.fill += read.len;
            left -= u64::from(read.len);
            if writer.fill == WRITE_BUFFER {
                writer.send().await?;
            }
            if read.done {
                break;
            }
        }
        if left == 0 {
            stream.cancel();
        }
        writer.finish().await
    }
}

/// One body on its way into a partial file: bytes read straight into
/// [`WRITE_BUFFER`]-byte buffers (a BYOB reader: no array per read for the
/// garbage collector, no copy), written at increasing offsets. Up to
/// [`WRITES_IN_FLIGHT`] writes run while the next bytes are read (the
/// network, the disk and the hash overlap); each is reported `Written`
/// once done, in order.
struct BodyWriter<'a> {
    shared: &'a Shared,
    id: RequestId,
    files: &'a PullFiles,
    digest: &'a Digest,
    buffer: Uint8Array,
    fill: u32,
    position: u64,
    in_flight: VecDeque<(LocalBoxFuture<'static, Result<(), WebError>>, u32)>,
}

impl<'a> BodyWriter<'a> {
    fn new(
        shared: &'a Shared,
        id: RequestId,
        files: &'a PullFiles,
        digest: &'a Digest,
        offset: u64,
    ) -> Self {
        Self {
            shared,
            id,
            files,
            digest,
            buffer: files.write_buffer(),
            fill: 0,
            position: offset,
            in_flight: VecDeque::new(),
        }
    }

    /// Starts writing what is gathered; waits while too many writes run.
    async fn send(&mut self) -> Result<(), FetchError> {
        if self.fill > 0 {
            let write =
                self.files
                    .write_at(self.digest, self.position, &mut self.buffer, self.fill);
            self.in_flight.push_back((write, self.fill));
            self.position += u64::from(self.fill);
            self.fill = 0;
        }
        while self.in_flight.len() > WRITES_IN_FLIGHT {
            self.settle_one().await?;
        }
        Ok(())
    }

    async fn settle_one(&mut self) -> Result<(), FetchError> {
        let Some((write, len)) = self.in_flight.pop_front() else {
            return Ok(());
        };
        if let Err(e) = write.await {
            self.shared.emit(NetEvent::Local(format!(
                "could not write {}: {e}",
                self.digest.blob_file_name()
            )));
            return Err(FetchError::Aborted);
        }
        self.shared.emit(NetEvent::Written(self.id, u64::from(len)));
        Ok(())
    }

    /// Writes what is gathered and waits for every write.
    async fn finish(&mut self) -> Result<(), FetchError> {
        self.send().await?;
        while !self.in_flight.is_empty() {
            self.settle_one().await?;
        }
        Ok(())
    }
}
