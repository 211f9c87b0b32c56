//! Verification that overlaps the download. In: what the pull driver sees
//! of each blob's partial file: opened (with the part records it resumes
//! from), body writes as they land (request, offset, bytes), part records,
//! cancels, and finally the machine's `Verify`. Out: the same
//! `Event::Verified` that hashing the finished file gives, but sooner: a
//! thread per blob hashes the written prefix `0..frontier` of the partial
//! file while later parts are still arriving, so `Verify` only has the rest
//! to do. Whenever a write could change bytes it may already have read (a
//! write over marked bytes, a cancelled request that might still write),
//! the blob is given up here and `Verify` hashes the whole file as before.

use super::net::{partial_path, Event};
use crate::core::digest::{Digest, DigestVerifier};
use crate::core::registry::{BodyTarget, PartRecord, RequestId};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Bytes hashed per read.
const CHUNK: u64 = 4 << 20;

/// The prefix hashers of one pull.
pub struct Prefix {
    blobs: PathBuf,
    tx: Sender<Event>,
    hashers: HashMap<Digest, Arc<Shared>>,
    /// Body writes under way: blob and the offset of the next byte.
    writes: HashMap<RequestId, (Digest, u64)>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    /// Written ranges, start → end, disjoint and merged.
    written: BTreeMap<u64, u64>,
    hashed: u64,
    size: u64,
    /// `Verify` came: every byte is written; hash to the end and report.
    finish: bool,
    /// Stop without reporting.
    stop: bool,
}

impl State {
    /// The end of the written range that starts at 0.
    fn frontier(&self) -> u64 {
        self.written.get(&0).copied().unwrap_or(0)
    }

    fn overlaps(&self, start: u64, end: u64) -> bool {
        start < self.hashed
            || self
                .written
                .range(..end)
                .next_back()
                .is_some_and(|(_, e)| *e > start)
    }

    fn mark(&mut self, mut start: u64, mut end: u64) {
        if start >= end {
            return;
        }
        // Merge with every range that touches start..end.
        let touching: Vec<(u64, u64)> = self
            .written
            .range(..=end)
            .filter(|(_, e)| **e >= start)
            .map(|(s, e)| (*s, *e))
            .collect();
        for (s, e) in touching {
            self.written.remove(&s);
            start = start.min(s);
            end = end.max(e);
        }
        self.written.insert(start, end);
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Prefix {
    pub fn new(blobs: &Path, tx: Sender<Event>) -> Self {
        Self {
            blobs: blobs.to_path_buf(),
            tx,
            hashers: HashMap::new(),
            writes: HashMap::new(),
        }
    }

    /// The partial file of `digest` was opened: start hashing it, from the
    /// bytes the resumed part records say are there.
    pub fn open(&mut self, digest: &Digest, size: u64, resumed: &[PartRecord]) {
        self.forget(digest);
        let shared = Arc::new(Shared::default());
        {
            let mut s = shared.lock();
            s.size = size;
            for r in resumed {
                s.mark(r.offset, r.frontier());
            }
        }
        let path = partial_path(&self.blobs, digest);
        let (thread_shared, digest2, tx) = (shared.clone(), digest.clone(), self.tx.clone());
        std::thread::spawn(move || hash_prefix(&thread_shared, &path, digest2, &tx));
        self.hashers.insert(digest.clone(), shared);
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
            .is_some_and(|h| h.lock().overlaps(*offset, offset + len));
        if overlap {
            self.forget(digest);
        }
        self.writes.insert(id, (digest.clone(), *offset));
    }

    /// `n` more bytes of that body are in the file.
    pub fn written(&mut self, id: RequestId, n: u64) {
        if let Some((digest, at)) = self.writes.get_mut(&id) {
            let (digest, start) = (digest.clone(), *at);
            *at += n;
            self.mark(&digest, start, start + n);
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
    }

    fn mark(&mut self, digest: &Digest, start: u64, end: u64) {
        if let Some(shared) = self.hashers.get(digest) {
            shared.lock().mark(start, end);
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

/// The hasher thread: hashes up to the frontier as it moves; after
/// `finish`, to the end, then reports. Read errors are reported as the
/// whole-file hash would report them.
fn hash_prefix(shared: &Shared, path: &Path, digest: Digest, tx: &Sender<Event>) {
    let failed = |e: std::io::Error| {
        let message = format!("{}: {e}", path.display());
        let _ = tx.send(Event::Verified(digest.clone(), Err(message)));
    };
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return wait_then(shared, || failed(e)),
    };
    let mut verifier = DigestVerifier::new();
    let mut buf = vec![0u8; CHUNK as usize];
    loop {
        let (from, to) = {
            let mut s = shared.lock();
            loop {
                if s.stop {
                    return;
                }
                let limit = if s.finish { s.size } else { s.frontier() };
                if s.hashed < limit {
                    break (s.hashed, limit.min(s.hashed + CHUNK));
                }
                if s.finish {
                    drop(s);
                    let bytes = verifier.bytes();
                    let _ = tx.send(Event::Verified(digest, Ok((verifier.finish(), bytes))));
                    return;
                }
                s = shared.wake.wait(s).unwrap_or_else(|e| e.into_inner());
            }
        };
        let chunk = &mut buf[..(to - from) as usize];
        if let Err(e) = file.read_exact_at(chunk, from) {
            return wait_then(shared, || failed(e));
        }
        verifier.update(chunk);
        shared.lock().hashed = to;
    }
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
