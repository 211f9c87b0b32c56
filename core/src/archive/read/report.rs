//! What verifying an archive found. In: built by the verifier at the end
//! of its pass. Out: an [`ArchiveReport`] (a verdict per model naming each
//! bad blob, every blob's [`Outcome`], archive-wide problems and notes),
//! serialisable as the CLI's `--json`, and the [`VerifiedManifest`]s with
//! their bytes, for an import.

use super::error::ReadError;
use super::layout::Layout;
use crate::digest::Digest;
use crate::store::Finding;
use crate::verify::Outcome;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveReport {
    pub layout: Layout,
    /// For people: "an ollama-pack archive", "a tar of an .ollama folder", …
    pub description: String,
    pub models: Vec<ArchiveModel>,
    pub blobs: Vec<ArchiveBlob>,
    /// Wrong about the archive as a whole (index, SHA256SUMS, trailing
    /// data, entries that disagree or do not belong).
    pub problems: Vec<Finding>,
    /// Worth telling, not wrong (ignored entries, unused blobs).
    pub notes: Vec<Finding>,
    /// Set when the archive could not be read to its end: the rest of the
    /// report covers only what came before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ReadError>,
    pub totals: ArchiveTotals,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveModel {
    /// Shortest display form (`gemma2:2b`).
    pub name: String,
    /// Where it lands: `manifests/<host>/<ns>/<model>/<tag>`.
    pub manifest_path: String,
    /// The entry it came from.
    pub entry: String,
    pub manifest_digest: Digest,
    /// First 12 hex of the manifest digest: the ID `ollama list` prints.
    pub id: String,
    /// Config plus layer sizes (0 when the manifest did not parse).
    pub size: u64,
    pub ok: bool,
    pub blobs: Vec<ModelBlob>,
    /// Sentences, each naming what is wrong (bad blobs included).
    pub problems: Vec<String>,
    /// Blobs it needs that the archive does not carry (ollama-tool-cli's
    /// backups never hold the config): not damage, but the folder it is
    /// imported into must have them.
    pub absent: Vec<AbsentBlob>,
}

/// A blob a manifest needs that the archive does not carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbsentBlob {
    pub digest: Digest,
    /// What it is, in words ("config", "weights (GGUF)", …).
    pub what: String,
}

impl std::fmt::Display for AbsentBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.digest, self.what)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelBlob {
    pub digest: Digest,
    /// What the manifest says.
    pub size: u64,
    pub media_type: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveBlob {
    pub digest: Digest,
    /// Bytes in the archive.
    pub size: u64,
    pub entry: String,
    /// Models using it (empty: used by none).
    pub models: Vec<String>,
    /// Content against its name: ok or mismatch.
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveTotals {
    pub entries: usize,
    pub models: usize,
    pub models_ok: usize,
    pub blobs: usize,
    pub blob_bytes: u64,
    pub problems: usize,
}

impl ArchiveReport {
    /// Read to its end, every model ok, nothing wrong with the archive.
    pub fn is_intact(&self) -> bool {
        self.error.is_none()
            && self.problems.is_empty()
            && !self.models.is_empty()
            && self.models.iter().all(|m| m.ok)
    }

    pub fn model(&self, name: &str) -> Option<&ArchiveModel> {
        self.models.iter().find(|m| m.name == name)
    }
}

/// A manifest as the archive holds it, byte for byte, with its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedManifest {
    pub name: String,
    /// `manifests/<host>/<ns>/<model>/<tag>`, relative to the models folder.
    pub manifest_path: String,
    pub bytes: Vec<u8>,
    /// The entry's modification time (seconds; 0 when unknown).
    pub mtime: u64,
    /// The model verified: safe to import.
    pub ok: bool,
    /// The blobs it needs.
    pub blobs: Vec<Digest>,
    /// Those of them the archive does not carry.
    pub absent: Vec<AbsentBlob>,
    /// The name the archive gives it, when imported under another name
    /// (`name` and `manifest_path` are then the new ones).
    pub renamed_from: Option<String>,
}
