//! Reading model archives (DESIGN.md section 5), ours and other tools'.
//! In: an archive file's bytes pushed in chunks of any size. Out: events
//! per entry ([`ArchiveReader`]), where each entry would land in a models
//! folder ([`Recogniser`]), a one-pass verification with a verdict per
//! model ([`ArchiveVerifier`] → [`ArchiveReport`]), and what an import
//! writes ([`plan_import`], under the archive's names or others). No I/O: the browser pushes `File` slices,
//! the CLI pushes a read buffer, both drive the same machines.
//!
//! ```text
//! bytes ─► ArchiveReader (gzip/zstd/plain by magic ─► push tar parser)
//!        ─► Event::{Entry, Data, EntryEnd, End, Trailing}
//!        ─► ArchiveVerifier (Recogniser: layout + placement; hashes blobs,
//!           parses manifests, checks index and SHA256SUMS)
//!        ─► ArchiveReport + VerifiedManifest bytes ─► plan_import
//! ```

mod checked;
mod checks;
pub mod conflicts;
mod decompress;
mod error;
mod event;
mod gzip;
pub mod import;
pub mod layout;
pub(crate) mod path;
mod pax;
mod reader;
pub mod rename;
mod report;
mod tar;
mod verifier;
mod zip;
mod zip_records;
mod zstd;

pub use checked::{CheckedArchive, CheckedModel};
pub use decompress::Compression;
pub use error::ReadError;
pub use event::{EntryInfo, EntryKind, Event, OwnedEvent};
pub use import::{blob_needed, needed_blobs, plan_import, Choices, Existing, ManifestPlan};
pub use layout::{is_flat_download, Layout, Placement, Recogniser, FLAT_PLACEHOLDER};
pub use reader::{ArchiveReader, ReadOptions, ReadSummary};
pub use rename::{Rename, RenameError};
pub use report::{
    ArchiveBlob, ArchiveModel, ArchiveReport, ArchiveTotals, ModelBlob, VerifiedManifest,
};
pub use verifier::ArchiveVerifier;

/// Reads and verifies a whole archive held in memory (tests, small files):
/// the report, and the manifests for an import.
pub fn verify_bytes(bytes: &[u8], chunk: usize) -> (ArchiveReport, Vec<VerifiedManifest>) {
    let mut reader = ArchiveReader::new(ReadOptions {
        input_size: Some(bytes.len() as u64),
        ..ReadOptions::default()
    });
    let mut verifier = ArchiveVerifier::new();
    let mut error = None;
    for piece in bytes.chunks(chunk.max(1)) {
        if let Err(e) = reader.feed(piece, &mut |ev| verifier.event(&ev)) {
            error = Some(e);
            break;
        }
    }
    if error.is_none() {
        error = reader.finish(&mut |ev| verifier.event(&ev)).err();
    }
    verifier.finish(error)
}

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_hostile;
#[cfg(test)]
mod tests_layout;
#[cfg(test)]
mod tests_zip;
