//! What checking one blob found. In: the size a manifest promised and what
//! the `blobs/` listing shows, or the end of a hash. Out: an [`Outcome`]:
//! ok, mismatch (both digests), missing, wrong size, unreadable.

use crate::digest::Digest;
use crate::store::blob_dir::BlobFile;
use serde::Serialize;

/// The result for one blob. Serialised with a `status` tag in snake_case:
/// `{"status":"mismatch","expected":"sha256:…","actual":"sha256:…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Size and SHA-256 are what the manifest says.
    Ok,
    /// The right size but other content.
    Mismatch { expected: Digest, actual: Digest },
    /// No `sha256-<hex>` file in `blobs/`.
    Missing,
    /// The file is longer or shorter than the manifest says. Reported
    /// without hashing: a file of the wrong size cannot have the right
    /// digest, so no actual digest is given.
    WrongSize { expected: u64, actual: u64 },
    /// The file is there but could not be read (permission, I/O error).
    Unreadable { reason: String },
}

impl Outcome {
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok)
    }

    /// One word for tables: `ok`, `mismatch`, `missing`, `wrong size`,
    /// `unreadable`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Mismatch { .. } => "mismatch",
            Outcome::Missing => "missing",
            Outcome::WrongSize { .. } => "wrong size",
            Outcome::Unreadable { .. } => "unreadable",
        }
    }

    /// A sentence for a person.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Ok => "ok".into(),
            Outcome::Mismatch { actual, .. } => {
                format!("MISMATCH: the content hashes to {actual}")
            }
            Outcome::Missing => "MISSING: no such file in blobs/".into(),
            Outcome::WrongSize { expected, actual } => {
                format!("WRONG SIZE: {actual} bytes on disk, the manifest says {expected}")
            }
            Outcome::Unreadable { reason } => format!("UNREADABLE: {reason}"),
        }
    }

    /// What the `blobs/` listing alone settles, before any byte is read:
    /// no file → [`Outcome::Missing`]; a file of another size →
    /// [`Outcome::WrongSize`]. `None`: the blob must be hashed.
    pub fn from_listing(expected_size: u64, on_disk: Option<&BlobFile>) -> Option<Outcome> {
        match on_disk {
            None => Some(Outcome::Missing),
            Some(f) if f.size != expected_size => Some(Outcome::WrongSize {
                expected: expected_size,
                actual: f.size,
            }),
            Some(_) => None,
        }
    }
}
