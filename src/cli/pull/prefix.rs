//! Verification that overlaps the download. In: what the pull driver sees
//! of each blob's partial file: opened (with the part records it resumes
//! from), body writes as they land (request, offset, the bytes), part
//! records, cancels, and finally the machine's `Verify`. Out: the same
//! `Event::Verified` that hashing the finished file gives, but sooner: a
//! thread per blob hashes the written prefix `0..frontier` of the partial
//! file while later parts are still arriving, so `Verify` only has the rest
//! to do. The bytes of a write that lands within [`WINDOW`] of where the
//! hasher is are hashed from memory (the download thread's buffer, given
//! back afterwards); the rest are read back from the file. Whenever a
//! write could change bytes it may already have read (a write over marked
//! bytes, a cancelled request that might still write), the blob is given
//! up here and `Verify` hashes the whole file as before.

use super::buffers::Buffers;
use super::net::{partial_path, Event};
use crate::core::digest::{Digest, DigestVerifier};
use crate::core::registry::pull::prefix::{PrefixHash, Step};
use crate::core::registry::{BodyTarget, PartRecord, RequestId};
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Bytes hashed per read.
const CHUNK: u64 = 4 << 20;

/// Written bytes held in memory for a blob's hasher: those within this
/// distance ahead of the bytes it has hashed.
const WINDOW: u64 = 64 << 20;

/// The prefix hashers of one pull.
pub struct Prefix {
    blobs: PathBuf,
    tx: Sender<Event>,
    buffers: Buffers,
    /// Bytes ahead of a hasher kept in memory ([`WINDOW`]; tests change it).
    window: u64,
    hashers: HashMap<Digest, Arc<Shared>>,
    /// Their threads, joined when a hasher is stopped: its file handle is
    /// then closed before the driver deletes or re-creates the file (on
    /// Windows a file deleted while open keeps its name until closed).
    threads: HashMap<Digest, std::thread::JoinHandle<()>>,
    /// Body writes under way: blob and the offset of the next byte.
    writes: HashMap<RequestId, (Digest, u64)>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// One blob's hashing state: the core's prefix (what is written, held and
/// hashed) and what the driver said of the blob.
struct State {
    prefix: PrefixHash<Vec<u8>>,
    size: u64,
    /// `Verify` came: every byte is written; hash to the end and report.
    finish: bool,
    /// Stop without reporting.
    stop: bool,
}

impl State {
    /// How far the hasher may go: the written prefix, or everything once
    /// `Verify` came.
    fn limit(&self) -> u64 {
        if self.finish {
            self.size
        } else {
            self.prefix.frontier()
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Prefix {
    pub fn new(blobs: &Path, tx: Sender<Event>, buffers: Buffers) -> Self {
        Self {
            blobs: blobs.to_path_buf(),
            tx,
            buffers,
            window: WINDOW,
            hashers: HashMap::new(),
            threads: HashMap::new(),
            writes: HashMap::new(),
        }
    }

    /// The partial file of `digest` was opened: start hashing it, from the
    /// bytes the resumed part records say are there.
    pub fn open(&mut self, digest: &Digest, size: u64, resumed: &[PartRecord]) {
        self.forget(digest);
        let mut prefix = PrefixHash::new(self.window);
        for r in resumed {
            prefix.mark(r.offset, r.frontier());
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                prefix,
                size,
                finish: false,
                stop: false,
            }),
            wake: Condvar::new(),
        });
        let path = partial_path(&self.blobs, digest);
        let hasher = Hasher {
            shared: shared.clone(),
            path,
            digest: digest.clone(),
            tx: self.tx.clone(),
            buffers: self.buffers.clone(),
        };
        let thread = std::thread::spawn(move || hasher.run());
        self.hashers.insert(digest.clone(), shared);
        self.threads.insert(digest.clone(), thread);
    }

    /// A part record was saved: its completed bytes are in the file.
    pub fn record(&mut self, digest: &Digest, record: &PartRecord) {
        self.mark(digest, record.offset, record.frontier());
    }

    /// A response body will be written at `offset`.
    pub fn target(&mut self, id: RequestId, target: &BodyTarget) {
        let BodyTarget::Write {
            digest,
            offset,
            len,
        } = target
        else {
            return;
        };
        let overlap = self
            .hashers
            .get(digest)
            .is_some_and(|h| !h.lock().prefix.expect(*offset, *len));
        if overlap {
            self.forget(digest);
        }
        self.writes.insert(id, (digest.clone(), *offset));
    }

    /// These next bytes of that body are in the file.
    pub fn written(&mut self, id: RequestId, bytes: Vec<u8>) {
        let Some((digest, at)) = self.writes.get_mut(&id) else {
            return self.buffers.give(bytes);
        };
        let start = *at;
        *at += bytes.len() as u64;
        let Some(shared) = self.hashers.get(digest) else {
            return self.buffers.give(bytes);
        };
        let (spare, broken) = {
            let mut s = shared.lock();
            let spare = s.prefix.written(start, bytes.len() as u64, bytes);
            (spare, s.prefix.is_broken())
        };
        shared.wake.notify_all();
        if let Some(bytes) = spare {
            self.buffers.give(bytes);
        }
        if broken {
            let digest = digest.clone();
            self.forget(&digest);
        }
    }

    /// A request was stopped: its thread may still write a chunk we would
    /// not hear of, so that blob is hashed whole at the end.
    pub fn cancel(&mut self, id: RequestId) {
        if let Some((digest, _)) = self.writes.remove(&id) {
            self.forget(&digest);
        }
    }

    /// The machine asks to verify `digest`: `true` when the prefix hasher
    /// will answer (with `Event::Verified`), `false` when the caller must
    /// hash the file itself.
    pub fn verify(&mut self, digest: &Digest) -> bool {
        self.writes.retain(|_, (d, _)| d != digest);
        let Some(shared) = self.hashers.remove(digest) else {
            return false;
        };
        // It closes its file before it reports.
        self.threads.remove(digest);
        shared.lock().finish = true;
        shared.wake.notify_all();
        true
    }

    /// Stops hashing `digest` (committed, discarded, or given up).
    pub fn forget(&mut self, digest: &Digest) {
        if let Some(shared) = self.hashers.remove(digest) {
            shared.lock().stop = true;
            shared.wake.notify_all();
        }
        // It stops within one read.
        if let Some(thread) = self.threads.remove(digest) {
            let _ = thread.join();
        }
    }

    fn mark(&mut self, digest: &Digest, start: u64, end: u64) {
        if let Some(shared) = self.hashers.get(digest) {
            shared.lock().prefix.mark(start, end);
            shared.wake.notify_all();
        }
    }
}

impl Drop for Prefix {
    fn drop(&mut self) {
        let all: Vec<Digest> = self.hashers.keys().cloned().collect();
        for digest in all {
            self.forget(&digest);
        }
    }
}

/// A blob's hasher thread.
struct Hasher {
    shared: Arc<Shared>,
    path: PathBuf,
    digest: Digest,
    tx: Sender<Event>,
    buffers: Buffers,
}

impl Hasher {
    /// Hashes up to the frontier as it moves (held bytes from memory, the
    /// rest from the file); after `finish`, to the end, then reports. Read
    /// errors are reported as the whole-file hash would report them.
    fn run(self) {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) => return self.fail_when_asked(e),
        };
        let mut verifier = DigestVerifier::new();
        let mut buf = vec![0u8; CHUNK as usize];
        loop {
            let step = match self.next() {
                Next::Step(step) => step,
                Next::Stop => return,
                Next::Done => {
                    drop(file);
                    let bytes = verifier.bytes();
                    let verdict = Ok((verifier.finish(), bytes));
                    let _ = self.tx.send(Event::Verified(self.digest, verdict));
                    return;
                }
            };
            let to = match step {
                Step::Held(bytes) => {
                    verifier.update(&bytes);
                    let to = verifier.bytes();
                    self.buffers.give(bytes);
                    to
                }
                Step::Wait => unreachable!("next() waits"),
                Step::Read { from, to } => {
                    let chunk = &mut buf[..(to - from) as usize];
                    // The hasher is the only reader of its handle: a seek and
                    // a read (on every OS; no positioned-read extension).
                    let read = file
                        .seek(SeekFrom::Start(from))
                        .and_then(|_| file.read_exact(chunk));
                    if let Err(e) = read {
                        return self.fail_when_asked(e);
                    }
                    verifier.update(chunk);
                    to
                }
            };
            let done = self.shared.lock().prefix.hashed_to(to);
            for bytes in done {
                self.buffers.give(bytes);
            }
        }
    }

    /// Waits until there are bytes to hash, or every byte is hashed after
    /// `Verify`, or the hasher is stopped.
    fn next(&self) -> Next {
        let mut s = self.shared.lock();
        loop {
            if s.stop {
                return Next::Stop;
            }
            let limit = s.limit();
            match s.prefix.next(limit, CHUNK) {
                Step::Wait if s.finish && s.prefix.hashed() >= s.size => return Next::Done,
                Step::Wait => {}
                step => return Next::Step(step),
            }
            s = self.shared.wake.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Reports a read error as the whole-file hash would, once `Verify`
    /// comes (nothing if the hasher is stopped first).
    fn fail_when_asked(self, e: std::io::Error) {
        let message = format!("{}: {e}", self.path.display());
        wait_then(&self.shared, || {
            let _ = self.tx.send(Event::Verified(self.digest, Err(message)));
        });
    }
}

enum Next {
    Step(Step<Vec<u8>>),
    Stop,
    Done,
}
/// Runs `report` once `Verify` came (or returns if stopped first).
fn wait_then(shared: &Shared, report: impl FnOnce()) {
    let mut s = shared.lock();
    while !s.finish && !s.stop {
        s = shared.wake.wait(s).unwrap_or_else(|e| e.into_inner());
    }
    if !s.stop {
        drop(s);
        report();
    }
}

#[cfg(test)]
#[path = "prefix_tests.rs"]
mod tests;
