//! The HTTP side of `pull` and `push`. In: the machines' requests (with a
//! delay, maybe a body that names a local blob range). Out: [`Event`]s on
//! one channel, delivered back to the machine by [`Net::deliver`]. Each
//! request runs on its own thread with reqwest's blocking client, which
//! follows redirects (dropping `Authorization` on another host) and
//! reports a head or a body read that waits longer than the stall timeout
//! as a stall.
//! Bodies that the machine wants written go straight to the partial file,
//! a [`BUFFER`] at a time; each buffer written then comes with its
//! `Event::Written`, for the prefix hasher to hash from memory.

use super::buffers::{Buffers, BUFFER};
use crate::core::digest::Digest;
use crate::core::registry::{
    Body, BodyTarget, Exchange, HttpRequest, HttpResponse, RequestId, TransportError,
};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

pub enum Event {
    Head(RequestId, HttpResponse, Sender<BodyTarget>),
    Body(RequestId, Vec<u8>),
    /// These bytes of a body are in the partial file (the buffer, to hash
    /// and give back).
    Written(RequestId, Vec<u8>),
    End(RequestId),
    Failed(RequestId, TransportError),
    /// A local file could not be read or written.
    Local(String),
    /// The hash of a partial file: (digest, bytes) or why it failed.
    Verified(Digest, Result<(Digest, u64), String>),
}

/// What [`Net::deliver`] did with an event.
pub enum Delivered {
    Nothing,
    /// The machine said where this request's body goes.
    Target(RequestId, BodyTarget),
    /// Bytes of a body were written to the partial file: these.
    Written(RequestId, Vec<u8>),
    /// Not a request's event: for the caller.
    Other(Event),
}

pub struct Net {
    client: reqwest::blocking::Client,
    tx: Sender<Event>,
    rx: Receiver<Event>,
    cancels: HashMap<RequestId, Arc<AtomicBool>>,
    blobs: PathBuf,
    stall: Duration,
    buffers: Buffers,
    /// Request body bytes sent so far (upload progress).
    pub sent: Arc<AtomicU64>,
}

/// `blobs/sha256-<hex>-partial`.
pub fn partial_path(blobs: &Path, digest: &Digest) -> PathBuf {
    blobs.join(crate::core::registry::pull::parts::partial_file_name(
        digest,
    ))
}

impl Net {
    /// A client whose reads stall out after `stall`.
    pub fn new(blobs: PathBuf, stall: Duration) -> Result<Self, String> {
        // reqwest is built without a default TLS provider (see Cargo.toml).
        let _ = rustls::crypto::ring::default_provider().install_default();
        // The blocking client's timeout bounds the wait for the answer's head
        // and then each read of its body: a stall timeout (uploads get more).
        let client = reqwest::blocking::ClientBuilder::new()
            .timeout(stall)
            .connect_timeout(Duration::from_secs(20))
            .user_agent(concat!("ollama-pack/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("could not set up HTTP: {e}"))?;
        let (tx, rx) = mpsc::channel();
        Ok(Self {
            client,
            tx,
            rx,
            cancels: HashMap::new(),
            blobs,
            stall,
            buffers: Buffers::default(),
            sent: Arc::new(AtomicU64::new(0)),
        })
    }

    pub fn sender(&self) -> Sender<Event> {
        self.tx.clone()
    }

    /// The body buffers, for whoever ends up holding one.
    pub fn buffers(&self) -> Buffers {
        self.buffers.clone()
    }

    pub fn send(&mut self, id: RequestId, request: HttpRequest, delay_ms: u64) {
        let cancel = Arc::new(AtomicBool::new(false));
        self.cancels.insert(id, cancel.clone());
        let job = Job {
            client: self.client.clone(),
            tx: self.tx.clone(),
            cancel,
            blobs: self.blobs.clone(),
            stall: self.stall,
            buffers: self.buffers.clone(),
            sent: self.sent.clone(),
        };
        std::thread::spawn(move || job.run(id, request, delay_ms));
    }

    pub fn cancel(&mut self, id: RequestId) {
        if let Some(flag) = self.cancels.remove(&id) {
            flag.store(true, Ordering::SeqCst);
        }
    }

    pub fn cancel_all(&mut self) {
        for (_, flag) in self.cancels.drain() {
            flag.store(true, Ordering::SeqCst);
        }
    }

    /// The next event, or `None` after `wait` without one.
    pub fn next(&self, wait: Duration) -> Option<Event> {
        self.rx.recv_timeout(wait).ok()
    }

    /// Hands a request's event to the machine; says what it was when the
    /// caller may care (where a body goes, bytes written), and returns the
    /// events that are not the machine's.
    pub fn deliver<E: Exchange>(&mut self, machine: &mut E, event: Event) -> Delivered {
        match event {
            Event::Head(id, response, reply) => {
                let target = machine.on_response(id, response);
                let _ = reply.send(target.clone());
                return Delivered::Target(id, target);
            }
            Event::Body(id, bytes) => machine.on_body(id, &bytes),
            Event::Written(id, bytes) => {
                machine.on_written(id, bytes.len() as u64);
                return Delivered::Written(id, bytes);
            }
            Event::End(id) => {
                self.cancels.remove(&id);
                machine.on_end(id);
            }
            Event::Failed(id, e) => {
                self.cancels.remove(&id);
                machine.on_failed(id, e);
            }
            other => return Delivered::Other(other),
        }
        Delivered::Nothing
    }
}

struct Job {
    client: reqwest::blocking::Client,
    tx: Sender<Event>,
    cancel: Arc<AtomicBool>,
    blobs: PathBuf,
    stall: Duration,
    buffers: Buffers,
    sent: Arc<AtomicU64>,
}

impl Job {
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    fn run(self, id: RequestId, request: HttpRequest, delay_ms: u64) {
        let mut waited = 0;
        while waited < delay_ms && !self.cancelled() {
            let step = (delay_ms - waited).min(100);
            std::thread::sleep(Duration::from_millis(step));
            waited += step;
        }
        if self.cancelled() {
            return;
        }
        let builder = match self.build(&request) {
            Ok(b) => b,
            Err(message) => return self.emit(Event::Local(message)),
        };
        let response = match builder.send() {
            Ok(r) => r,
            Err(e) => return self.emit(Event::Failed(id, self.send_error(&e))),
        };
        let mut head = HttpResponse::new(response.status().as_u16(), response.url().as_str());
        for (name, value) in response.headers() {
            head.headers.push((
                name.to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ));
        }
        let (reply_tx, reply_rx) = mpsc::channel();
        self.emit(Event::Head(id, head, reply_tx));
        let Ok(target) = reply_rx.recv() else { return };
        let outcome = match target {
            BodyTarget::Buffer => self.buffer(id, response),
            BodyTarget::Discard => Ok(()),
            BodyTarget::Write {
                digest,
                offset,
                len,
            } => self.write(id, response, &digest, offset, len),
        };
        match outcome {
            Ok(()) if !self.cancelled() => self.emit(Event::End(id)),
            Ok(()) => {}
            Err(Failure::Net(e)) => self.emit(Event::Failed(id, e)),
            Err(Failure::Local(m)) => self.emit(Event::Local(m)),
        }
    }

    fn emit(&self, event: Event) {
        if !self.cancelled() {
            let _ = self.tx.send(event);
        }
    }

    /// The reqwest request; `Err` when a local blob cannot be read.
    fn build(&self, r: &HttpRequest) -> Result<reqwest::blocking::RequestBuilder, String> {
        let method =
            reqwest::Method::from_bytes(r.method.as_str().as_bytes()).expect("known method");
        let mut b = self.client.request(method, &r.url);
        for (name, value) in &r.headers {
            b = b.header(name, value);
        }
        Ok(match &r.body {
            Body::Empty => b,
            Body::Bytes(bytes) => {
                self.sent.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                b.body(bytes.clone())
            }
            Body::Blob {
                digest,
                offset,
                len,
            } => {
                let path = self.blobs.join(digest.blob_file_name());
                let unreadable = |e: io::Error| format!("{}: {e}", path.display());
                let mut file = File::open(&path).map_err(unreadable)?;
                file.seek(SeekFrom::Start(*offset)).map_err(unreadable)?;
                let reader = Counting {
                    inner: file.take(*len),
                    sent: self.sent.clone(),
                };
                // The whole upload must fit in the timeout: allow 100 kB/s.
                let upload = self.stall + Duration::from_secs(len / 100_000);
                b.timeout(upload)
                    .body(reqwest::blocking::Body::sized(reader, *len))
            }
        })
    }

    fn send_error(&self, e: &reqwest::Error) -> TransportError {
        if e.is_connect() && describe(e).contains("certificate") {
            TransportError::Connect(format!(
                "{}; this system does not trust the registry's TLS certificate: add its CA to \
                 the system's trusted certificates (or use http:// for a plain-HTTP registry)",
                describe(e)
            ))
        } else if e.is_connect() {
            TransportError::Connect(describe(e))
        } else if e.is_timeout() {
            TransportError::Stalled
        } else {
            TransportError::Broken(describe(e))
        }
    }

    fn buffer(
        &self,
        id: RequestId,
        mut response: reqwest::blocking::Response,
    ) -> Result<(), Failure> {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            match response.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => self.emit(Event::Body(id, buf[..n].to_vec())),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Failure::Net(read_error(&e))),
            }
            if self.cancelled() {
                return Ok(());
            }
        }
    }

    fn write(
        &self,
        id: RequestId,
        mut response: reqwest::blocking::Response,
        digest: &Digest,
        offset: u64,
        len: u64,
    ) -> Result<(), Failure> {
        let path = partial_path(&self.blobs, digest);
        let local = |e: io::Error| Failure::Local(format!("{}: {e}", path.display()));
        let mut file = OpenOptions::new().write(true).open(&path).map_err(local)?;
        file.seek(SeekFrom::Start(offset)).map_err(local)?;
        let mut left = len;
        while left > 0 && !self.cancelled() {
            let mut buf = self.buffers.take();
            let want = BUFFER.min(usize::try_from(left).unwrap_or(usize::MAX));
            // Whole buffers: one write and one event per MiB, not per
            // network read (often a few KiB).
            let (n, end) = fill(&mut response, &mut buf[..want]);
            buf.truncate(n);
            if n > 0 {
                file.write_all(&buf).map_err(local)?;
                left -= n as u64;
                self.emit(Event::Written(id, buf));
            }
            match end {
                Some(Ok(())) => break,
                Some(Err(e)) => return Err(Failure::Net(read_error(&e))),
                None => {}
            }
        }
        Ok(())
    }
}

/// Reads until `buf` is full: the bytes read, and `Some` if the body ended
/// (`Ok`) or broke (`Err`) on the way.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> (usize, Option<io::Result<()>>) {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => return (n, Some(Ok(()))),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (n, Some(Err(e))),
        }
    }
    (n, None)
}

enum Failure {
    Net(TransportError),
    Local(String),
}

fn read_error(e: &io::Error) -> TransportError {
    let text = e.to_string();
    if e.kind() == io::ErrorKind::TimedOut || text.contains("timed out") {
        TransportError::Stalled
    } else {
        TransportError::Broken(text)
    }
}

/// The error with its causes, as one line.
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// Counts request body bytes as reqwest reads them.
struct Counting<R> {
    inner: R,
    sent: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sent.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
