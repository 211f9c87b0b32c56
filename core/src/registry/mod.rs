//! Registry transfers, sans I/O (Docker Registry v2 API, as Ollama's is).
//! In: a [`RegistryRef`], options, and the driver's answers (HTTP responses
//! and bytes, what is on disk, digests it computed). Out: actions as data:
//! [`HttpRequest`]s to send and file steps to take. The browser (`web`)
//! drives the same machines with fetch and OPFS, the CLI with reqwest and
//! std::fs; tests drive them with scripted answers.

pub mod auth;
pub mod auth_flow;
pub mod cors;
pub mod http;
pub mod manifest_check;
pub mod pull;
pub mod push;
pub mod reference;
pub mod retry;
pub mod to_archive;
pub mod url;

pub use auth::Credentials;
pub use http::{
    Body, BodyTarget, Exchange, HttpRequest, HttpResponse, Method, RequestId, TransportError,
};
pub use pull::{LocalBlobs, PartRecord, Pull, PullAction, PullError, PullOptions, PullSummary};
pub use push::{Push, PushAction, PushError, PushOptions, PushSummary};
pub use reference::{RegistryRef, Scheme};
pub use retry::RetryPolicy;
#[cfg(test)]
pub(crate) mod testkit;
