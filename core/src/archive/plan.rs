//! What goes into an archive. In: the [`StoreReport`], the [`Chosen`]
//! models and their manifest bytes as the driver read them (optionally a
//! fresh `blobs/` listing for modification times). Out: a [`PackPlan`]: the
//! index and `SHA256SUMS` entries, each manifest verbatim, each blob once
//! (smallest first, so configs and templates sit near the head) with the
//! models that use it and where the driver reads it, and the archive's
//! exact size before anything is written.
//!
//! Times: a manifest entry keeps its file's modification time (it is the
//! model's "modified" in `ollama list` after `tar -x`), a blob its file's
//! when a listing was given, the index and sums the newest manifest's;
//! unknown times are 0. Nothing depends on the clock, so the same files
//! give a byte-identical archive.

use super::choose::{Chosen, PackPlanError, Skipped};
use super::format::{self, IndexBlob, IndexModel, PackIndex};
use super::header;
use crate::digest::Digest;
use crate::store::blob_dir::BlobDir;
use crate::store::reads::blob_path;
use crate::store::StoreReport;
use std::collections::BTreeMap;

/// A manifest entry: the file's bytes, verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedManifest {
    /// Display name of the model.
    pub model: String,
    /// `manifests/<host>/<ns>/<model>/<tag>`: the entry name.
    pub entry: String,
    pub bytes: Vec<u8>,
    pub digest: Digest,
    /// Seconds since the Unix epoch (0 when unknown).
    pub mtime: u64,
}

/// A blob entry; its bytes are streamed by the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedBlob {
    pub digest: Digest,
    pub size: u64,
    /// `blobs/sha256-<hex>`: the entry name.
    pub entry: String,
    /// Relative to the picked folder: where the driver reads it.
    pub source_path: String,
    /// Display names of the packed models that use it.
    pub models: Vec<String>,
    /// Seconds since the Unix epoch (0 when unknown).
    pub mtime: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackPlan {
    index: PackIndex,
    index_bytes: Vec<u8>,
    sums: String,
    manifests: Vec<PlannedManifest>,
    blobs: Vec<PlannedBlob>,
    skipped: Vec<Skipped>,
}

fn secs(ms: Option<i64>) -> u64 {
    ms.map_or(0, |ms| u64::try_from(ms.div_euclid(1000)).unwrap_or(0))
}

impl PackPlan {
    /// Plans the archive. `manifests` maps each chosen model's
    /// `manifest_path` to the bytes read now; they must still hash to what
    /// the scan saw (else [`PackPlanError::ManifestChanged`]).
    pub fn new(
        report: &StoreReport,
        chosen: &Chosen<'_>,
        manifests: &BTreeMap<String, Vec<u8>>,
    ) -> Result<Self, PackPlanError> {
        let mut planned = Vec::new();
        let mut blobs: Vec<PlannedBlob> = Vec::new();
        let mut at: BTreeMap<Digest, usize> = BTreeMap::new();
        for m in &chosen.models {
            let bytes =
                manifests
                    .get(&m.manifest_path)
                    .ok_or_else(|| PackPlanError::ManifestNotRead {
                        model: m.name.clone(),
                    })?;
            if Digest::of(bytes) != m.manifest_digest {
                return Err(PackPlanError::ManifestChanged {
                    model: m.name.clone(),
                });
            }
            planned.push(PlannedManifest {
                model: m.name.clone(),
                entry: m.manifest_path.clone(),
                bytes: bytes.clone(),
                digest: m.manifest_digest.clone(),
                mtime: secs(m.modified_ms),
            });
            for layer in std::iter::once(&m.config_blob).chain(&m.layers) {
                if let Some(&i) = at.get(&layer.digest) {
                    if !blobs[i].models.contains(&m.name) {
                        blobs[i].models.push(m.name.clone());
                    }
                    continue;
                }
                at.insert(layer.digest.clone(), blobs.len());
                blobs.push(PlannedBlob {
                    digest: layer.digest.clone(),
                    size: layer.size,
                    entry: format::blob_entry(&layer.digest),
                    source_path: blob_path(&report.models_dir, &layer.digest),
                    models: vec![m.name.clone()],
                    mtime: 0,
                });
            }
        }
        // Stable: equal sizes keep the order the models list them in.
        blobs.sort_by_key(|b| b.size);
        let index = PackIndex::new(
            chosen
                .models
                .iter()
                .map(|m| IndexModel {
                    name: m.name.clone(),
                    manifest_path: m.manifest_path.clone(),
                    manifest_digest: m.manifest_digest.clone(),
                    size: m.size,
                })
                .collect(),
            blobs
                .iter()
                .map(|b| IndexBlob {
                    digest: b.digest.clone(),
                    size: b.size,
                })
                .collect(),
        );
        let sums = format::sha256sums(
            planned
                .iter()
                .map(|m| (&m.digest, m.entry.as_str()))
                .chain(blobs.iter().map(|b| (&b.digest, b.entry.as_str()))),
        );
        Ok(Self {
            index_bytes: index.to_bytes(),
            index,
            sums,
            manifests: planned,
            blobs,
            skipped: chosen.skipped.clone(),
        })
    }

    /// Takes each blob's modification time from a `blobs/` listing.
    pub fn with_blob_times(mut self, listing: &BlobDir) -> Self {
        for b in &mut self.blobs {
            b.mtime = secs(listing.blobs.get(&b.digest).and_then(|f| f.modified_ms));
        }
        self
    }

    pub fn index(&self) -> &PackIndex {
        &self.index
    }

    /// The `ollama-pack.json` entry's bytes.
    pub fn index_bytes(&self) -> &[u8] {
        &self.index_bytes
    }

    /// The `SHA256SUMS` entry's text.
    pub fn sums(&self) -> &str {
        &self.sums
    }

    pub fn manifests(&self) -> &[PlannedManifest] {
        &self.manifests
    }

    /// In archive order: what the driver streams, one after the other.
    pub fn blobs(&self) -> &[PlannedBlob] {
        &self.blobs
    }

    /// What an [`Choice::Intact`](super::Choice::Intact) choice left out.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Display names of the packed models, in store order.
    pub fn model_names(&self) -> Vec<&str> {
        self.manifests.iter().map(|m| m.model.as_str()).collect()
    }

    /// Bytes of blob data the driver will read (each blob once).
    pub fn blob_bytes(&self) -> u64 {
        self.blobs.iter().map(|b| b.size).sum()
    }

    /// Modification time of the index and sums entries.
    pub(super) fn head_mtime(&self) -> u64 {
        self.manifests.iter().map(|m| m.mtime).max().unwrap_or(0)
    }

    /// Bytes of the head: index, sums and manifests with their headers.
    pub fn head_size(&self) -> u64 {
        let entries = [
            (format::INDEX_ENTRY, self.index_bytes.len()),
            (format::SUMS_ENTRY, self.sums.len()),
        ];
        let small = entries.into_iter().chain(
            self.manifests
                .iter()
                .map(|m| (m.entry.as_str(), m.bytes.len())),
        );
        small
            .map(|(path, len)| header::entry_len(path, len as u64))
            .sum()
    }

    /// The exact size of the uncompressed archive: head, every blob once
    /// with its header and padding, and the end-of-archive blocks.
    pub fn archive_size(&self) -> u64 {
        let blobs: u64 = self
            .blobs
            .iter()
            .map(|b| header::entry_len(&b.entry, b.size))
            .sum();
        self.head_size() + blobs + header::END_OF_ARCHIVE.len() as u64
    }

    /// `gemma2_2b.ollama.tar` for one model, `ollama-models-3.ollama.tar`
    /// for several; `.tar.gz` when gzipped.
    pub fn suggested_file_name(&self, gzip: bool) -> String {
        let stem = match self.manifests.as_slice() {
            [one] => one
                .model
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect(),
            many => format!("ollama-models-{}", many.len()),
        };
        let ext = if gzip { "tar.gz" } else { "tar" };
        format!("{stem}.ollama.{ext}")
    }
}
