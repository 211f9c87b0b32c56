//! Pulling a model, sans I/O. In: a [`RegistryRef`], [`PullOptions`], then
//! the driver's answers: HTTP responses and body bytes (through
//! [`Exchange`]), which blobs are already here ([`LocalBlobs`]), and the
//! digest of each finished partial file. Out: [`PullAction`]s, in order:
//! requests to send (with a delay for retries), partial files to open,
//! part records to save, blobs to verify, commit or discard, the manifest
//! to write (last, verbatim), and the outcome.
//!
//! [`Exchange`]: super::http::Exchange

mod machine;
pub mod parts;
pub mod prefix;
#[cfg(test)]
mod tests;
pub mod tuning;

pub use machine::Pull;
pub use parts::PartRecord;

use super::auth::Credentials;
use super::auth_flow::AuthFailure;
use super::http::{HttpRequest, RequestId};
use super::retry::RetryPolicy;
use crate::digest::Digest;
use crate::name::ModelName;
use std::collections::BTreeMap;

/// How to pull. The defaults are Ollama's.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Parts per blob to aim for (16).
    pub part_count: u64,
    /// Smallest part (100 MB) and largest part (1 GB), in bytes.
    pub min_part_size: u64,
    pub max_part_size: u64,
    /// Part requests under way at once, over all blobs (16).
    pub concurrency: usize,
    /// While a body is being written, its part record is saved again after
    /// every this many bytes (16 MiB), not only when it ends: a pull that is
    /// killed (a closed tab, a power cut) resumes from there.
    pub record_every: u64,
    pub retry: RetryPolicy,
    pub credentials: Option<Credentials>,
    /// Store the model under this name instead of the reference's (the
    /// manifest bytes stay as served, so the ID stays): `pull --as`, or a
    /// folder whose file system refuses the reference's host:port.
    pub store_as: Option<ModelName>,
}

impl Default for PullOptions {
    fn default() -> Self {
        Self {
            part_count: 16,
            min_part_size: 100_000_000,
            max_part_size: 1_000_000_000,
            concurrency: 16,
            record_every: 16 << 20,
            retry: RetryPolicy::default(),
            credentials: None,
            store_as: None,
        }
    }
}

/// What the destination already holds, for the blobs the manifest names.
#[derive(Debug, Clone, Default)]
pub struct LocalBlobs {
    /// Complete blobs (`blobs/sha256-<hex>`) and their sizes.
    pub complete: BTreeMap<Digest, u64>,
    /// Part records of unfinished downloads (`…-partial-N`).
    pub partial: BTreeMap<Digest, Vec<PartRecord>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PullAction {
    /// Send `request` after waiting `delay_ms`; answer through `Exchange`.
    Send {
        id: RequestId,
        request: HttpRequest,
        delay_ms: u64,
    },
    /// Stop that request; anything still reported about it is ignored.
    Cancel { id: RequestId },
    /// The manifest arrived (see [`Pull::manifest`]): answer with
    /// [`Pull::provide_local`] saying which of these blobs are here.
    CheckLocal { blobs: Vec<(Digest, u64)> },
    /// Open `blobs/sha256-<hex>-partial` for writes at offsets, `size`
    /// bytes long. `resume`: keep its data; else start it empty and delete
    /// any `…-partial-N` records.
    OpenPartial {
        digest: Digest,
        size: u64,
        resume: bool,
    },
    /// Write `record.to_json()` to `blobs/sha256-<hex>-partial-<N>`.
    SavePart { digest: Digest, record: PartRecord },
    /// Hash the whole partial file; answer with [`Pull::on_verified`].
    Verify { digest: Digest, size: u64 },
    /// Verified: rename the partial file to `blobs/sha256-<hex>` and delete
    /// its part records.
    Commit { digest: Digest },
    /// Wrong content: delete the partial file and its part records.
    Discard { digest: Digest },
    /// Every blob is in place: write these bytes, unchanged, to
    /// `manifests/<host>/<namespace>/<model>/<tag>`.
    WriteManifest { name: ModelName, bytes: Vec<u8> },
    /// Nothing more will come.
    Finished(Result<PullSummary, PullError>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullSummary {
    pub name: ModelName,
    pub manifest_digest: Digest,
    /// Distinct blobs of the model, and how many were already here.
    pub blobs: usize,
    pub already_present: usize,
    /// Sum of the model's blob sizes.
    pub total_bytes: u64,
    /// Bytes received from the network (retries and overlaps included).
    pub downloaded_bytes: u64,
}

/// Where the pull stands, for progress bars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PullProgress {
    pub total_bytes: u64,
    /// Bytes in place: present, written or verified.
    pub done_bytes: u64,
    pub downloaded_bytes: u64,
    pub blobs: usize,
    pub blobs_done: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PullError {
    #[error("{reference} was not found on the registry{}: check the model name and tag", detail(.message))]
    NotFound { reference: String, message: String },
    #[error("the registry refused to send the manifest of {reference} (HTTP {status}{})", super::http::colon(.message))]
    ManifestRefused {
        reference: String,
        status: u16,
        message: String,
    },
    #[error("{reference} is not an Ollama model: its manifest is of type {media_type}")]
    NotAModel {
        reference: String,
        media_type: String,
    },
    #[error("the manifest of {reference} is not valid: {detail}")]
    BadManifest { reference: String, detail: String },
    #[error(
        "the registry has the manifest of {reference} but not its blob {digest}: the model \
         was pushed incompletely; push it again"
    )]
    BlobMissing { reference: String, digest: Digest },
    #[error(
        "the registry's blob {digest} is shorter than the manifest says ({size} bytes): the \
         manifest and the blobs on the registry disagree; push the model again"
    )]
    RangeNotSatisfiable { digest: Digest, size: u64 },
    #[error(
        "the registry's blob {digest} is {actual} bytes, the manifest says {expected}: push \
         the model again"
    )]
    SizeMismatch {
        digest: Digest,
        expected: u64,
        actual: u64,
    },
    #[error(
        "blob {digest} was downloaded twice and both times its content had digest {actual}: \
         the registry serves damaged data; nothing of it was kept"
    )]
    DigestMismatch { digest: Digest, actual: Digest },
    #[error(
        "gave up on {what} after {attempts} attempt{} ({last}); run the same pull again to \
         continue where it stopped",
        super::http::plural(*.attempts)
    )]
    GaveUp {
        what: String,
        attempts: u32,
        last: String,
    },
    #[error(transparent)]
    Auth(#[from] AuthFailure),
    #[error("{0}")]
    Local(String),
    #[error("the pull was cancelled; run it again to continue where it stopped")]
    Cancelled,
}

fn detail(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" ({message})")
    }
}
