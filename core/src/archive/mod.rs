//! Model archives (DESIGN.md section 5). In: a [`StoreReport`], the models
//! to pack and, pushed by the driver, manifest and blob bytes. Out: the
//! bytes of a plain tar (or `.tar.gz`) that GNU tar, bsdtar and Python read:
//! `ollama-pack.json`, `SHA256SUMS`, the manifests verbatim, then each blob
//! once, every blob hashed as it passes. [`format`] is the layout the
//! reader shares. Nothing here does I/O: [`choose`] picks the models,
//! the driver reads their manifests ([`read_manifests`] over a source),
//! [`PackPlan`] fixes the content and size, [`ArchiveWriter`] is fed.
//!
//! [`StoreReport`]: crate::store::StoreReport

pub mod choose;
pub mod format;
pub mod header;
pub mod plan;
mod prepare;
pub mod read;
mod sink;
pub mod writer;

pub use choose::{
    blob_problems, choose, read_manifests, BlobProblem, Choice, Chosen, ManifestToRead,
    PackPlanError, Skipped, Unpackable,
};
pub use format::{IndexBlob, IndexModel, IndexTotals, PackIndex};
pub use plan::{PackPlan, PlannedBlob, PlannedManifest};
pub use prepare::{prepare_pack, PreparePackError};
pub use writer::{ArchiveWriter, PackError, Progress, WriteOptions};

#[cfg(test)]
mod tests;
