//! Verifying the blobs of a models folder. In: a [`StoreReport`], a fresh
//! listing of `blobs/` ([`BlobDir`]) and a [`Selection`] (models, orphans).
//! Out: a [`VerifyPlan`] naming every blob to check once, what the listing
//! alone already settles, a streaming [`BlobHasher`] per blob that finishes
//! into an [`Outcome`], and a [`VerifyReport`] with a verdict per model.
//! The driver reads the bytes (workers, threads); nothing here does I/O.
//!
//! [`StoreReport`]: crate::store::StoreReport
//! [`BlobDir`]: crate::store::blob_dir::BlobDir

pub mod hasher;
pub mod outcome;
pub mod plan;
pub mod quick;
pub mod report;

pub use hasher::BlobHasher;
pub use outcome::Outcome;
pub use plan::{BlobCheck, PlanError, Selection, VerifyPlan};
pub use quick::{QuickMemory, Seen};
pub use report::{BlobResult, ModelVerdict, Totals, VerifyReport};

#[cfg(test)]
mod tests;
