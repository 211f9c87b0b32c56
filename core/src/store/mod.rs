//! A models folder as data. In: a [`StoreSource`] over the folder the user
//! picked. Out: a [`StoreReport`] — every model as `ollama list` shows it and
//! more, which blobs are shared, orphaned, partial, missing or the wrong
//! size, and what could not be read. Nothing is ever written.

pub mod blob_dir;
pub mod copy;
pub mod layout;
pub mod prune;
pub mod reads;
pub mod removal;
pub mod report;
pub mod scan;
pub mod walk;

pub use report::{
    BlobRef, BlobSummary, LayerReport, ManifestListing, MissingBlob, ModelReport, SizeMismatch,
    StoreReport,
};
pub use scan::{scan_store, ScanError};

use serde::Serialize;

/// Something about the store worth telling, tied to a path under the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Finding {
    pub path: String,
    pub message: String,
}

impl Finding {
    pub fn new(path: &str, message: impl Into<String>) -> Self {
        Self {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests;
