//! The pull state machine: manifest first, then every missing blob in
//! ranged parts (at most `concurrency` requests at once), each blob
//! verified by its digest before it is committed, the manifest last. Late
//! answers to cancelled or finished requests are ignored.

use super::parts::{cover, resume_parts, PartRecord};
use super::{LocalBlobs, PullAction, PullError, PullOptions, PullProgress, PullSummary};
use crate::digest::Digest;
use crate::manifest::{Manifest, MAX_MANIFEST_BYTES};
use crate::name::ModelName;
use crate::registry::auth_flow::{AuthFlow, AuthNext};
use crate::registry::http::{
    registry_error_message, BodyTarget, Exchange, HttpRequest, HttpResponse, Method, RequestId,
    TransportError,
};
use crate::registry::manifest_check::{check_manifest, ManifestProblem};
use crate::registry::reference::RegistryRef;
use std::collections::{BTreeMap, VecDeque};

/// Error bodies are kept up to this size, for their message.
const MAX_ERROR_BODY: usize = 64 << 10;
pub const MANIFEST_ACCEPT: &str =
    "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    Manifest,
    Token,
    Part { blob: usize, part: usize },
    Whole { blob: usize },
}

struct Flight {
    job: Job,
    generation: u32,
    response: Option<HttpResponse>,
    buf: Vec<u8>,
    /// For a body written to the partial file: where, how much at most,
    /// how much so far.
    write_start: u64,
    write_len: u64,
    written: u64,
    /// `written` when its part record was last saved.
    recorded: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Run {
    flight: Option<RequestId>,
    failures: u32,
    delay_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlobState {
    Present,
    Downloading,
    Verifying,
    Committed,
}

struct BlobJob {
    digest: Digest,
    size: u64,
    state: BlobState,
    parts: Vec<PartRecord>,
    runs: Vec<Run>,
    /// The registry ignores `Range` for this blob: fetch it whole.
    whole: bool,
    whole_run: Run,
    mismatches: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Manifest,
    AwaitLocal,
    Blobs,
    Done,
}

pub struct Pull {
    reference: RegistryRef,
    opts: PullOptions,
    auth: AuthFlow,
    next_id: u64,
    actions: VecDeque<PullAction>,
    flights: BTreeMap<RequestId, Flight>,
    phase: Phase,
    manifest_failures: u32,
    manifest_parked: bool,
    manifest: Option<(Vec<u8>, Manifest)>,
    blobs: Vec<BlobJob>,
    downloaded: u64,
}

impl Pull {
    pub fn new(reference: RegistryRef, opts: PullOptions) -> Self {
        let auth = AuthFlow::new(
            opts.credentials.clone(),
            reference.scope(false),
            reference.host.clone(),
            format!("pull {}", reference.repository()),
        );
        let mut pull = Self {
            reference,
            opts,
            auth,
            next_id: 0,
            actions: VecDeque::new(),
            flights: BTreeMap::new(),
            phase: Phase::Manifest,
            manifest_failures: 0,
            manifest_parked: false,
            manifest: None,
            blobs: Vec::new(),
            downloaded: 0,
        };
        pull.send_manifest(0);
        pull
    }

    pub fn reference(&self) -> &RegistryRef {
        &self.reference
    }

    /// The name the model is stored under: `store_as`, else the reference's.
    pub fn stored_name(&self) -> ModelName {
        (self.opts.store_as.clone()).unwrap_or_else(|| self.reference.model_name())
    }

    /// The next thing for the driver to do, in order.
    pub fn poll_action(&mut self) -> Option<PullAction> {
        self.actions.pop_front()
    }

    /// `Finished` has been emitted (it may still be waiting in the queue).
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The manifest, once it arrived.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref().map(|(_, m)| m)
    }

    /// The manifest's bytes as served.
    pub fn manifest_bytes(&self) -> Option<&[u8]> {
        self.manifest.as_ref().map(|(b, _)| b.as_slice())
    }

    /// The driver could not do its part (disk full, no permission…).
    pub fn fail_local(&mut self, message: String) {
        self.fail(PullError::Local(message));
    }

    /// Stops everything; partial files and records stay for a later resume.
    pub fn cancel(&mut self) {
        self.fail(PullError::Cancelled);
    }

    pub fn progress(&self) -> PullProgress {
        let mut p = PullProgress {
            downloaded_bytes: self.downloaded,
            blobs: self.blobs.len(),
            ..PullProgress::default()
        };
        for job in &self.blobs {
            p.total_bytes += job.size;
            match job.state {
                BlobState::Downloading => {
                    p.done_bytes += job.parts.iter().map(|r| r.completed).sum::<u64>();
                }
                _ => {
                    p.done_bytes += job.size;
                    p.blobs_done += usize::from(job.state != BlobState::Verifying);
                }
            }
        }
        for f in self.flights.values() {
            if let Job::Part { .. } = f.job {
                p.done_bytes += f.written;
            }
        }
        p.done_bytes = p.done_bytes.min(p.total_bytes);
        p
    }

    // ---- sending ----

    fn push(&mut self, action: PullAction) {
        self.actions.push_back(action);
    }

    fn send(&mut self, job: Job, mut request: HttpRequest, delay_ms: u64) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        let generation = if job == Job::Token {
            0
        } else {
            self.auth.authorize(&mut request)
        };
        self.flights.insert(
            id,
            Flight {
                job,
                generation,
                response: None,
                buf: Vec::new(),
                write_start: 0,
                write_len: 0,
                written: 0,
                recorded: 0,
            },
        );
        self.push(PullAction::Send {
            id,
            request,
            delay_ms,
        });
        id
    }

    fn send_manifest(&mut self, delay_ms: u64) {
        let mut req = HttpRequest::new(Method::Get, self.reference.manifest_url())
            .header("Accept", MANIFEST_ACCEPT);
        req.no_store = true;
        self.send(Job::Manifest, req, delay_ms);
    }

    /// Starts part requests until `concurrency` are under way.
    fn fill(&mut self) {
        if self.phase != Phase::Blobs || self.auth.is_fetching() {
            return;
        }
        let mut busy = self
            .flights
            .values()
            .filter(|f| matches!(f.job, Job::Part { .. } | Job::Whole { .. }))
            .count();
        for b in 0..self.blobs.len() {
            if self.blobs[b].state != BlobState::Downloading {
                continue;
            }
            if self.blobs[b].whole {
                let job = &self.blobs[b];
                let todo = job.parts.iter().any(|p| !p.is_complete());
                if todo && job.whole_run.flight.is_none() && busy < self.opts.concurrency {
                    let req = HttpRequest::new(Method::Get, self.reference.blob_url(&job.digest));
                    let delay = std::mem::take(&mut self.blobs[b].whole_run.delay_ms);
                    let id = self.send(Job::Whole { blob: b }, req, delay);
                    self.blobs[b].whole_run.flight = Some(id);
                    busy += 1;
                }
                continue;
            }
            for p in 0..self.blobs[b].parts.len() {
                if busy >= self.opts.concurrency {
                    return;
                }
                let job = &self.blobs[b];
                let part = job.parts[p];
                if part.is_complete() || job.runs[p].flight.is_some() {
                    continue;
                }
                let range = format!("bytes={}-{}", part.frontier(), part.end() - 1);
                let req = HttpRequest::new(Method::Get, self.reference.blob_url(&job.digest))
                    .header("Range", range);
                let delay = std::mem::take(&mut self.blobs[b].runs[p].delay_ms);
                let id = self.send(Job::Part { blob: b, part: p }, req, delay);
                self.blobs[b].runs[p].flight = Some(id);
                busy += 1;
            }
        }
    }

    // ---- outcomes ----

    fn fail(&mut self, err: PullError) {
        if self.phase == Phase::Done {
            return;
        }
        // Record what the stopped transfers wrote, for a later resume.
        let flights = std::mem::take(&mut self.flights);
        for (id, f) in flights {
            self.push(PullAction::Cancel { id });
            if let Job::Part { blob, .. } | Job::Whole { blob } = f.job {
                let end = f.write_start + f.written;
                for i in cover(&mut self.blobs[blob].parts, f.write_start, end) {
                    let digest = self.blobs[blob].digest.clone();
                    let record = self.blobs[blob].parts[i];
                    self.push(PullAction::SavePart { digest, record });
                }
            }
        }
        self.phase = Phase::Done;
        self.push(PullAction::Finished(Err(err)));
    }
}

#[path = "answers.rs"]
mod answers;
#[path = "blob_answers.rs"]
mod blob_answers;
#[path = "blobs.rs"]
mod blobs;
