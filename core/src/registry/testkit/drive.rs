//! Test support: drives a pull or push machine against a [`FakeRegistry`]
//! the way a real driver would, with requests interleaved in a
//! pseudo-random order (from a seed), bodies cut by `random_chunks`, and a
//! [`Disk`] in memory for partial files, part records, blobs and manifests.

use super::fake_registry::{body_bytes, FakeRegistry, Reply};
use crate::digest::Digest;
use crate::registry::http::{BodyTarget, Exchange, HttpRequest, RequestId, TransportError};
use crate::registry::pull::{LocalBlobs, PartRecord, Pull, PullAction, PullError, PullSummary};
use crate::registry::push::{Push, PushAction, PushError, PushSummary};
use crate::testing::random_chunks;
use std::collections::BTreeMap;

/// Files by path under the models folder, and the file steps in order.
#[derive(Debug, Clone, Default)]
pub struct Disk {
    pub files: BTreeMap<String, Vec<u8>>,
    pub ops: Vec<String>,
}

impl Disk {
    fn partial(d: &Digest) -> String {
        format!("blobs/{}-partial", d.blob_file_name())
    }

    fn drop_records(&mut self, d: &Digest) {
        let prefix = format!("{}-", Self::partial(d));
        self.files.retain(|k, _| !k.starts_with(&prefix));
    }

    /// What a driver would find for `CheckLocal`.
    pub fn local_blobs(&self) -> LocalBlobs {
        let mut local = LocalBlobs::default();
        for (path, data) in &self.files {
            let Some(name) = path.strip_prefix("blobs/") else {
                continue;
            };
            if let Some(d) = Digest::from_blob_file_name(name) {
                local.complete.insert(d, data.len() as u64);
            } else if let Some((blob, n)) = name.split_once("-partial-") {
                let d = Digest::parse(blob).unwrap();
                assert!(n.parse::<usize>().is_ok());
                let record: PartRecord = serde_json::from_slice(data).unwrap();
                local.partial.entry(d).or_default().push(record);
            }
        }
        local
    }

    /// Paths of unfinished downloads left behind.
    pub fn leftovers(&self) -> Vec<&String> {
        self.files
            .keys()
            .filter(|k| k.contains("-partial"))
            .collect()
    }
}

struct InFlight {
    id: RequestId,
    request: HttpRequest,
    reply: Option<Reply>,
    target: BodyTarget,
    sent: usize,
    written: u64,
    /// Sizes of the body chunks still to deliver (`random_chunks`).
    chunks: std::collections::VecDeque<usize>,
}

/// The requests under way, advanced one small step at a time.
pub struct Net {
    flights: Vec<InFlight>,
    state: u64,
    max_chunk: usize,
    pub delays: Vec<u64>,
    pub cancels: usize,
}

impl Net {
    pub fn new(seed: u64) -> Self {
        Self {
            flights: Vec::new(),
            state: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            max_chunk: 700,
            delays: Vec::new(),
            cancels: 0,
        }
    }

    fn rand(&mut self, n: usize) -> usize {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state >> 11) as usize % n.max(1)
    }

    fn send(&mut self, id: RequestId, request: HttpRequest, delay_ms: u64) {
        self.delays.push(delay_ms);
        self.flights.push(InFlight {
            id,
            request,
            reply: None,
            target: BodyTarget::Discard,
            sent: 0,
            written: 0,
            chunks: Default::default(),
        });
    }

    fn cancel(&mut self, id: RequestId) {
        self.cancels += 1;
        self.flights.retain(|f| f.id != id);
    }

    /// One step of one request: its answer's head, or one body chunk, or its end.
    fn step<E: Exchange>(
        &mut self,
        m: &mut E,
        reg: &mut FakeRegistry,
        local: &BTreeMap<Digest, Vec<u8>>,
        disk: &mut Disk,
    ) {
        assert!(!self.flights.is_empty(), "the machine waits for nothing");
        let k = self.rand(self.flights.len());
        let f = &mut self.flights[k];
        let id = f.id;
        let Some(reply) = &f.reply else {
            let reply = reg.handle(&f.request, &body_bytes(&f.request.body, local));
            if reply.no_answer {
                self.flights.remove(k);
                return m.on_failed(id, TransportError::Stalled);
            }
            f.target = m.on_response(id, reply.response.clone());
            let seed = self.state ^ id.0;
            f.chunks = random_chunks(&reply.body, seed, self.max_chunk)
                .map(<[u8]>::len)
                .collect();
            f.reply = Some(reply);
            return;
        };
        let limit = reply
            .break_after
            .unwrap_or(usize::MAX)
            .min(reply.body.len());
        let (write_len, write_at) = match &f.target {
            BodyTarget::Write { len, offset, .. } => (*len, *offset),
            _ => (u64::MAX, 0),
        };
        if f.sent >= limit || f.written >= write_len {
            let broke = reply.break_after.is_some() && f.written < write_len;
            self.flights.remove(k);
            return if broke {
                m.on_failed(id, TransportError::Broken("reset by peer".into()))
            } else {
                m.on_end(id)
            };
        }
        let f = &mut self.flights[k];
        let n = f.chunks.pop_front().unwrap_or(1);
        let reply = f.reply.as_ref().expect("answered");
        let mut end = (f.sent + n).min(limit);
        if let BodyTarget::Write { digest, .. } = &f.target {
            end = end.min(f.sent + (write_len - f.written) as usize);
            let file = disk
                .files
                .get_mut(&Disk::partial(digest))
                .expect("partial file open");
            let at = (write_at + f.written) as usize;
            let chunk = &reply.body[f.sent..end];
            if file.len() < at + chunk.len() {
                file.resize(at + chunk.len(), 0);
            }
            file[at..at + chunk.len()].copy_from_slice(chunk);
            f.written += chunk.len() as u64;
            let len = chunk.len() as u64;
            f.sent = end;
            m.on_written(id, len);
        } else {
            let chunk = reply.body[f.sent..end].to_vec();
            f.sent = end;
            if f.target == BodyTarget::Buffer {
                m.on_body(id, &chunk);
            }
        }
    }
}

pub struct PullRun {
    pub result: Result<PullSummary, PullError>,
    pub net: Net,
}

/// Runs `pull` to its end against `reg`, with `disk` as the models folder.
pub fn drive_pull(mut pull: Pull, reg: &mut FakeRegistry, disk: &mut Disk, seed: u64) -> PullRun {
    let mut net = Net::new(seed);
    let none = BTreeMap::new();
    for _ in 0..1_000_000 {
        while let Some(action) = pull.poll_action() {
            match action {
                PullAction::Send {
                    id,
                    request,
                    delay_ms,
                } => net.send(id, request, delay_ms),
                PullAction::Cancel { id } => net.cancel(id),
                PullAction::CheckLocal { .. } => pull.provide_local(disk.local_blobs()),
                PullAction::OpenPartial {
                    digest,
                    size,
                    resume,
                } => {
                    disk.ops
                        .push(format!("open {} resume={resume}", digest.short_id()));
                    let path = Disk::partial(&digest);
                    if !resume {
                        disk.drop_records(&digest);
                        disk.files.insert(path.clone(), Vec::new());
                    }
                    disk.files.entry(path).or_default().resize(size as usize, 0);
                }
                PullAction::SavePart { digest, record } => {
                    let path = format!("{}-{}", Disk::partial(&digest), record.n);
                    disk.files.insert(path, record.to_json());
                }
                PullAction::Verify { digest, .. } => {
                    let data = &disk.files[&Disk::partial(&digest)];
                    let (actual, len) = (Digest::of(data), data.len() as u64);
                    pull.on_verified(&digest, actual, len);
                }
                PullAction::Commit { digest } => {
                    disk.ops.push(format!("commit {}", digest.short_id()));
                    let data = disk.files.remove(&Disk::partial(&digest)).unwrap();
                    disk.drop_records(&digest);
                    disk.files
                        .insert(format!("blobs/{}", digest.blob_file_name()), data);
                }
                PullAction::Discard { digest } => {
                    disk.ops.push(format!("discard {}", digest.short_id()));
                    disk.files.remove(&Disk::partial(&digest));
                    disk.drop_records(&digest);
                }
                PullAction::WriteManifest { name, bytes } => {
                    disk.ops
                        .push(format!("manifest {}", name.manifest_rel_path()));
                    disk.files
                        .insert(format!("manifests/{}", name.manifest_rel_path()), bytes);
                }
                PullAction::Finished(result) => {
                    assert!(pull.poll_action().is_none(), "nothing after Finished");
                    return PullRun { result, net };
                }
            }
        }
        net.step(&mut pull, reg, &none, disk);
    }
    panic!("the pull never finished");
}

pub struct PushRun {
    pub result: Result<PushSummary, PushError>,
    pub net: Net,
}

/// Runs `push` to its end against `reg`; `local` holds the blobs it reads.
pub fn drive_push(
    mut push: Push,
    reg: &mut FakeRegistry,
    local: &BTreeMap<Digest, Vec<u8>>,
    seed: u64,
) -> PushRun {
    let mut net = Net::new(seed);
    let mut disk = Disk::default();
    for _ in 0..1_000_000 {
        while let Some(action) = push.poll_action() {
            match action {
                PushAction::Send {
                    id,
                    request,
                    delay_ms,
                } => net.send(id, request, delay_ms),
                PushAction::Cancel { id } => net.cancel(id),
                PushAction::Finished(result) => return PushRun { result, net },
            }
        }
        net.step(&mut push, reg, local, &mut disk);
    }
    panic!("the push never finished");
}
