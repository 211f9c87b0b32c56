//! Pushing a model, sans I/O. In: a [`RegistryRef`], the model's manifest
//! bytes (sent unchanged), [`PushOptions`], then the driver's answers
//! through [`Exchange`]. Out: [`PushAction`]s: requests whose bodies may
//! name a byte range of a local blob, then the outcome. Per blob: `HEAD`
//! (there already: skip), an optional cross-repository mount, `POST` an
//! upload, `PATCH` chunks to each new `Location`, `PUT …digest=`; then the
//! manifest `PUT` with its own media type.
//!
//! [`Exchange`]: super::http::Exchange

mod machine;
#[cfg(test)]
mod tests;

pub use machine::Push;

use super::auth::Credentials;
use super::auth_flow::AuthFailure;
use super::http::{HttpRequest, RequestId};
use super::retry::RetryPolicy;
use crate::digest::Digest;

#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Bytes per `PATCH` (100 MB, Ollama's smallest part).
    pub chunk_size: u64,
    /// Blobs uploaded at once (4).
    pub concurrency: usize,
    /// Try to mount every missing blob from this repository (`ns/model`)
    /// of the same registry first. Layers whose `from` names a model on
    /// the same registry are mounted from there without this.
    pub mount_from: Option<String>,
    pub retry: RetryPolicy,
    pub credentials: Option<Credentials>,
}

impl Default for PushOptions {
    fn default() -> Self {
        Self {
            chunk_size: 100_000_000,
            concurrency: 4,
            mount_from: None,
            retry: RetryPolicy::default(),
            credentials: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PushAction {
    /// Send `request` after waiting `delay_ms`; answer through `Exchange`.
    Send {
        id: RequestId,
        request: HttpRequest,
        delay_ms: u64,
    },
    /// Stop that request; anything still reported about it is ignored.
    Cancel { id: RequestId },
    /// Nothing more will come.
    Finished(Result<PushSummary, PushError>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSummary {
    pub reference: String,
    /// SHA-256 of the manifest bytes; the registry confirmed it.
    pub manifest_digest: Digest,
    pub blobs: usize,
    /// Blobs the repository had already, and blobs mounted from another one.
    pub already_there: usize,
    pub mounted: usize,
    pub uploaded_bytes: u64,
}

/// Where the push stands, for progress bars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushProgress {
    pub total_bytes: u64,
    /// Bytes that are on the registry (there before, mounted, uploaded).
    pub done_bytes: u64,
    pub uploaded_bytes: u64,
    pub blobs: usize,
    pub blobs_done: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    #[error("the model's manifest is not an Ollama model manifest ({0}); nothing was pushed")]
    BadManifest(String),
    #[error("the registry refused {what} (HTTP {status}{})", super::http::colon(.message))]
    Refused {
        what: String,
        status: u16,
        message: String,
    },
    #[error(
        "the registry says the uploaded blob {digest} does not match its digest ({message}): \
         the local blob is damaged; check it with `ollama-pack verify`"
    )]
    DigestRejected { digest: Digest, message: String },
    #[error(
        "the registry stored the manifest under digest {actual}, not {expected}: it changed \
         the manifest; the model would get another ID"
    )]
    ManifestChanged { expected: Digest, actual: Digest },
    #[error("the registry answered {what} without a Location header")]
    NoLocation { what: String },
    #[error(
        "gave up on {what} after {attempts} attempt{} ({last}); run the push again",
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
    #[error("the push was cancelled")]
    Cancelled,
}
