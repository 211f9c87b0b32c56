//! The push state machine: one request at a time per blob, up to
//! `concurrency` blobs at once, then the manifest. An upload that breaks
//! starts again with a new session; answers are read whole (they are small).

use super::{PushAction, PushError, PushOptions, PushProgress, PushSummary};
use crate::digest::Digest;
use crate::manifest::{Manifest, MEDIA_TYPE_DOCKER_MANIFEST};
use crate::name::ModelName;
use crate::registry::auth_flow::{AuthFlow, AuthNext};
use crate::registry::http::{
    add_query, registry_error_message, resolve_location, Body, BodyTarget, Exchange, HttpRequest,
    HttpResponse, Method, RequestId, TransportError,
};
use crate::registry::manifest_check::check_manifest;
use crate::registry::reference::RegistryRef;
use std::collections::{BTreeMap, VecDeque};

const MAX_BODY: usize = 64 << 10;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Head,
    Mount,
    Start,
    Patch { location: String, offset: u64 },
    Finish { location: String },
    Existed,
    Mounted,
    Uploaded,
}

struct BlobPush {
    digest: Digest,
    size: u64,
    /// Repository to mount from, if any.
    from: Option<String>,
    step: Step,
    flight: Option<RequestId>,
    failures: u32,
    delay_ms: u64,
}

impl BlobPush {
    fn done(&self) -> bool {
        matches!(self.step, Step::Existed | Step::Mounted | Step::Uploaded)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    Blob(usize),
    Manifest,
    Token,
}

struct Flight {
    job: Job,
    generation: u32,
    response: Option<HttpResponse>,
    buf: Vec<u8>,
}

pub struct Push {
    reference: RegistryRef,
    opts: PushOptions,
    auth: AuthFlow,
    manifest_bytes: Vec<u8>,
    media_type: String,
    blobs: Vec<BlobPush>,
    flights: BTreeMap<RequestId, Flight>,
    actions: VecDeque<PushAction>,
    next_id: u64,
    manifest_flight: Option<RequestId>,
    manifest_failures: u32,
    manifest_delay: u64,
    uploaded: u64,
    finished: bool,
}

impl Push {
    /// Checks the manifest, then starts with a `HEAD` of the first blobs.
    pub fn new(
        reference: RegistryRef,
        manifest_bytes: Vec<u8>,
        opts: PushOptions,
    ) -> Result<Self, PushError> {
        let manifest =
            check_manifest(&manifest_bytes).map_err(|p| PushError::BadManifest(p.to_string()))?;
        let auth = AuthFlow::new(
            opts.credentials.clone(),
            reference.scope(true),
            reference.host.clone(),
            format!("push to {}", reference.repository()),
        );
        let blobs = plan_blobs(&manifest, &reference, opts.mount_from.as_deref());
        let media_type = if manifest.media_type.is_empty() {
            MEDIA_TYPE_DOCKER_MANIFEST.to_string()
        } else {
            manifest.media_type.clone()
        };
        let mut push = Self {
            reference,
            opts,
            auth,
            manifest_bytes,
            media_type,
            blobs,
            flights: BTreeMap::new(),
            actions: VecDeque::new(),
            next_id: 0,
            manifest_flight: None,
            manifest_failures: 0,
            manifest_delay: 0,
            uploaded: 0,
            finished: false,
        };
        push.fill();
        Ok(push)
    }

    pub fn poll_action(&mut self) -> Option<PushAction> {
        self.actions.pop_front()
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    pub fn cancel(&mut self) {
        self.fail(PushError::Cancelled);
    }

    /// The driver could not read a local blob, or the like.
    pub fn fail_local(&mut self, message: String) {
        self.fail(PushError::Local(message));
    }

    pub fn progress(&self) -> PushProgress {
        let mut p = PushProgress {
            uploaded_bytes: self.uploaded,
            blobs: self.blobs.len(),
            ..PushProgress::default()
        };
        for b in &self.blobs {
            p.total_bytes += b.size;
            match &b.step {
                s if b.done() || matches!(s, Step::Finish { .. }) => {
                    p.done_bytes += b.size;
                    p.blobs_done += usize::from(b.done());
                }
                Step::Patch { offset, .. } => p.done_bytes += offset,
                _ => {}
            }
        }
        p
    }

    fn fail(&mut self, err: PushError) {
        if self.finished {
            return;
        }
        let ids: Vec<RequestId> = self.flights.keys().copied().collect();
        for id in ids {
            self.actions.push_back(PushAction::Cancel { id });
        }
        self.flights.clear();
        self.finished = true;
        self.actions.push_back(PushAction::Finished(Err(err)));
    }

    fn send(&mut self, job: Job, mut request: HttpRequest, delay_ms: u64) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        let generation = if job == Job::Token {
            0
        } else {
            self.auth.authorize(&mut request)
        };
        let flight = Flight {
            job,
            generation,
            response: None,
            buf: Vec::new(),
        };
        self.flights.insert(id, flight);
        self.actions.push_back(PushAction::Send {
            id,
            request,
            delay_ms,
        });
        id
    }

    /// Sends the next step of each blob (up to `concurrency` at once), or
    /// the manifest once every blob is there.
    fn fill(&mut self) {
        if self.finished || self.auth.is_fetching() {
            return;
        }
        let mut busy = self.blobs.iter().filter(|b| b.flight.is_some()).count();
        for i in 0..self.blobs.len() {
            if busy >= self.opts.concurrency {
                return;
            }
            if self.blobs[i].done() || self.blobs[i].flight.is_some() {
                continue;
            }
            let request = self.blob_request(i);
            let delay = std::mem::take(&mut self.blobs[i].delay_ms);
            self.blobs[i].flight = Some(self.send(Job::Blob(i), request, delay));
            busy += 1;
        }
        if busy == 0 && self.manifest_flight.is_none() && self.blobs.iter().all(BlobPush::done) {
            let request = HttpRequest::new(Method::Put, self.reference.manifest_url())
                .header("Content-Type", self.media_type.clone());
            let request = HttpRequest {
                body: Body::Bytes(self.manifest_bytes.clone()),
                ..request
            };
            let delay = std::mem::take(&mut self.manifest_delay);
            self.manifest_flight = Some(self.send(Job::Manifest, request, delay));
        }
    }

    fn blob_request(&self, i: usize) -> HttpRequest {
        let b = &self.blobs[i];
        let r = &self.reference;
        match &b.step {
            Step::Head => HttpRequest::new(Method::Head, r.blob_url(&b.digest)),
            Step::Mount => {
                let from = b.from.as_deref().unwrap_or_default();
                HttpRequest::new(Method::Post, r.mount_url(&b.digest, from))
            }
            Step::Start => HttpRequest::new(Method::Post, r.upload_url()),
            Step::Patch { location, offset } => {
                let len = self.opts.chunk_size.max(1).min(b.size - offset);
                let mut req = HttpRequest::new(Method::Patch, location.clone())
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", format!("{offset}-{}", offset + len - 1));
                req.body = Body::Blob {
                    digest: b.digest.clone(),
                    offset: *offset,
                    len,
                };
                req
            }
            Step::Finish { location } => {
                let url = add_query(location, "digest", &b.digest.to_string());
                HttpRequest::new(Method::Put, url)
            }
            Step::Existed | Step::Mounted | Step::Uploaded => {
                unreachable!("done blobs send nothing")
            }
        }
    }
}

/// Each distinct blob once, with the repository to mount it from: the
/// option, else the layer's `from` when that model is on this registry.
fn plan_blobs(
    manifest: &Manifest,
    reference: &RegistryRef,
    mount_from: Option<&str>,
) -> Vec<BlobPush> {
    let mut seen = std::collections::BTreeSet::new();
    let own = reference.repository();
    manifest
        .blobs()
        .filter(|l| seen.insert(l.digest.clone()))
        .map(|l| {
            let from_layer = l
                .from
                .as_deref()
                .and_then(|f| ModelName::parse(f).ok())
                .filter(|n| n.host.eq_ignore_ascii_case(&reference.host))
                .map(|n| format!("{}/{}", n.namespace, n.model));
            let from = mount_from
                .map(str::to_string)
                .or(from_layer)
                .filter(|f| f != &own);
            BlobPush {
                digest: l.digest.clone(),
                size: l.size,
                from,
                step: Step::Head,
                flight: None,
                failures: 0,
                delay_ms: 0,
            }
        })
        .collect()
}

#[path = "answers.rs"]
mod answers;
