//! The store analysis, pure. In: parsed manifests with their configs, the
//! `blobs/` listing and the findings so far. Out: a [`StoreReport`]: models
//! with ID, size and layers (and who shares each layer), bytes shared and
//! freed, orphaned, partial, missing and wrong-size blobs.

use super::blob_dir::BlobDir;
use super::walk::ManifestFile;
use super::Finding;
use crate::digest::Digest;
use crate::format::iso8601_utc;
use crate::gguf::GgufSummary;
use crate::manifest::{Layer, Manifest, ModelConfig};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A manifest that parsed, with its config blob if that could be read.
#[derive(Debug, Clone)]
pub struct LoadedModel {
    pub file: ManifestFile,
    pub manifest: Manifest,
    pub config: Option<ModelConfig>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoreReport {
    pub root: String,
    /// Where the models folder is, relative to the picked folder.
    #[serde(skip)]
    pub models_dir: String,
    pub models: Vec<ModelReport>,
    pub blobs: BlobSummary,
    pub errors: Vec<Finding>,
    /// Whether every manifest of the folder was seen; set by the driver.
    pub listing: ManifestListing,
}

/// Whether the listing a report was made from shows every manifest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ManifestListing {
    /// Every manifest was seen: a blob no model uses is orphaned.
    #[default]
    Complete,
    /// The driver cannot see names holding ':' (Chromium, in a folder on
    /// disk): manifests of a registry with a port (`manifests/host:port/…`)
    /// may exist unseen, so a blob no listed model uses may still be used,
    /// and what removing a model frees may be less.
    MayHideColonNames,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelReport {
    /// Ollama's shortest display form.
    pub name: String,
    /// First 12 hex of the SHA-256 of the manifest file's bytes.
    pub id: String,
    pub manifest_path: String,
    pub manifest_digest: Digest,
    /// Sum of config and layer sizes, as `ollama list` counts it.
    pub size: u64,
    pub modified: Option<String>,
    #[serde(skip)]
    pub modified_ms: Option<i64>,
    pub family: Option<String>,
    pub parameter_size: Option<String>,
    pub quantization: Option<String>,
    /// Bytes on disk that removing this model would free.
    pub frees: u64,
    /// Bytes on disk of this model's blobs that other models use too.
    pub shared_bytes: u64,
    pub config_blob: LayerReport,
    pub config: Option<serde_json::Value>,
    pub layers: Vec<LayerReport>,
    /// GGUF header of the weights, when the driver has read it.
    pub gguf: Option<GgufSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlobStatus {
    Present,
    Missing,
    SizeMismatch { actual: u64 },
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerReport {
    pub media_type: String,
    /// The media type in words.
    pub kind: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub status: BlobStatus,
    /// Other models (display names) whose manifests reference this blob.
    pub shared_with: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlobRef {
    pub digest: Digest,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingBlob {
    pub digest: Digest,
    pub model: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SizeMismatch {
    pub digest: Digest,
    pub expected: u64,
    pub actual: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BlobSummary {
    /// Complete blobs (`sha256-<hex>` files).
    pub count: usize,
    pub bytes: u64,
    /// Bytes of blobs that two or more models reference, counted once.
    pub shared_bytes: u64,
    /// Every file in `blobs/`, partial and stray ones included.
    pub disk_bytes: u64,
    pub orphaned: Vec<BlobRef>,
    pub orphaned_bytes: u64,
    pub partial: Vec<String>,
    pub partial_bytes: u64,
    pub missing: Vec<MissingBlob>,
    pub size_mismatch: Vec<SizeMismatch>,
}

/// Which models (by index) reference each digest.
fn references(models: &[LoadedModel]) -> BTreeMap<Digest, BTreeSet<usize>> {
    let mut refs: BTreeMap<Digest, BTreeSet<usize>> = BTreeMap::new();
    for (i, m) in models.iter().enumerate() {
        for layer in m.manifest.blobs() {
            refs.entry(layer.digest.clone()).or_default().insert(i);
        }
    }
    refs
}

struct Context<'a> {
    models: &'a [LoadedModel],
    refs: BTreeMap<Digest, BTreeSet<usize>>,
    dir: &'a BlobDir,
}

impl Context<'_> {
    fn status(&self, layer: &Layer) -> BlobStatus {
        match self.dir.blobs.get(&layer.digest) {
            None => BlobStatus::Missing,
            Some(f) if f.size != layer.size => BlobStatus::SizeMismatch { actual: f.size },
            Some(_) => BlobStatus::Present,
        }
    }

    fn layer(&self, owner: usize, layer: &Layer) -> LayerReport {
        let shared_with = self.refs[&layer.digest]
            .iter()
            .filter(|&&i| i != owner)
            .map(|&i| self.models[i].file.name.display_shortest())
            .collect();
        LayerReport {
            media_type: layer.media_type.clone(),
            kind: layer.kind().describe(),
            digest: layer.digest.clone(),
            size: layer.size,
            name: layer.name.clone(),
            status: self.status(layer),
            shared_with,
        }
    }

    /// (frees, shared) on-disk bytes of one model's distinct blobs.
    fn disk_split(&self, owner: usize) -> (u64, u64) {
        let distinct: BTreeSet<&Digest> = self.models[owner]
            .manifest
            .blobs()
            .map(|l| &l.digest)
            .collect();
        distinct.into_iter().fold((0, 0), |(frees, shared), d| {
            let size = self.dir.blobs.get(d).map_or(0, |f| f.size);
            if self.refs[d].len() > 1 {
                (frees, shared + size)
            } else {
                (frees + size, shared)
            }
        })
    }

    fn model(&self, i: usize) -> ModelReport {
        let m = &self.models[i];
        let (frees, shared_bytes) = self.disk_split(i);
        let config = m.config.as_ref();
        ModelReport {
            name: m.file.name.display_shortest(),
            id: Digest::of(&m.file.bytes).short_id().to_string(),
            manifest_path: m.file.rel_path.clone(),
            manifest_digest: Digest::of(&m.file.bytes),
            size: m.manifest.total_size(),
            modified: m.file.modified_ms.map(iso8601_utc),
            modified_ms: m.file.modified_ms,
            family: config.and_then(|c| c.model_family.clone()),
            parameter_size: config.and_then(|c| c.model_type.clone()),
            quantization: config.and_then(|c| c.file_type.clone()),
            frees,
            shared_bytes,
            config_blob: self.layer(i, &m.manifest.config),
            config: config.map(|c| c.raw.clone()),
            layers: m.manifest.layers.iter().map(|l| self.layer(i, l)).collect(),
            gguf: None,
        }
    }

    fn summary(&self, reports: &[ModelReport]) -> BlobSummary {
        let dir = self.dir;
        let orphaned: Vec<BlobRef> = dir
            .blobs
            .iter()
            .filter(|(d, _)| !self.refs.contains_key(*d))
            .map(|(d, f)| BlobRef {
                digest: d.clone(),
                size: f.size,
            })
            .collect();
        let shared_bytes = self
            .refs
            .iter()
            .filter(|(_, users)| users.len() > 1)
            .filter_map(|(d, _)| dir.blobs.get(d).map(|f| f.size))
            .sum();
        BlobSummary {
            count: dir.blobs.len(),
            bytes: dir.blobs.values().map(|f| f.size).sum(),
            shared_bytes,
            disk_bytes: dir.disk_bytes,
            orphaned_bytes: orphaned.iter().map(|b| b.size).sum(),
            orphaned,
            partial: dir
                .partial
                .iter()
                .map(|(n, _)| format!("blobs/{n}"))
                .collect(),
            partial_bytes: dir.partial.iter().map(|(_, f)| f.size).sum(),
            missing: missing(reports),
            size_mismatch: mismatches(reports),
        }
    }
}

fn all_layers(r: &ModelReport) -> impl Iterator<Item = &LayerReport> {
    std::iter::once(&r.config_blob).chain(r.layers.iter())
}

fn missing(reports: &[ModelReport]) -> Vec<MissingBlob> {
    let mut out: BTreeSet<(Digest, String)> = BTreeSet::new();
    for r in reports {
        for l in all_layers(r).filter(|l| l.status == BlobStatus::Missing) {
            out.insert((l.digest.clone(), r.name.clone()));
        }
    }
    out.into_iter()
        .map(|(digest, model)| MissingBlob { digest, model })
        .collect()
}

fn mismatches(reports: &[ModelReport]) -> Vec<SizeMismatch> {
    let mut out: BTreeSet<(Digest, u64, u64)> = BTreeSet::new();
    for l in reports.iter().flat_map(all_layers) {
        if let BlobStatus::SizeMismatch { actual } = l.status {
            out.insert((l.digest.clone(), l.size, actual));
        }
    }
    out.into_iter()
        .map(|(digest, expected, actual)| SizeMismatch {
            digest,
            expected,
            actual,
        })
        .collect()
}

/// Builds the report. `root` is how the driver names the models folder.
pub fn build(
    root: String,
    models_dir: String,
    models: &[LoadedModel],
    dir: &BlobDir,
    errors: Vec<Finding>,
) -> StoreReport {
    let ctx = Context {
        models,
        refs: references(models),
        dir,
    };
    let reports: Vec<ModelReport> = (0..models.len()).map(|i| ctx.model(i)).collect();
    let blobs = ctx.summary(&reports);
    StoreReport {
        root,
        models_dir,
        models: reports,
        blobs,
        errors,
        listing: ManifestListing::Complete,
    }
}

impl StoreReport {
    pub fn model(&self, name: &str) -> Option<&ModelReport> {
        self.models.iter().find(|m| m.name == name)
    }

    /// The folder holds blob `digest` at its full size, as scanned: a
    /// listed model's blob found present, or an orphan.
    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.blobs.orphaned.iter().any(|b| &b.digest == digest)
            || self
                .models
                .iter()
                .flat_map(|m| m.layers.iter().chain([&m.config_blob]))
                .any(|l| &l.digest == digest && l.status == BlobStatus::Present)
    }

    /// Whether a blob no listed model uses is known to be unused.
    pub fn orphans_are_certain(&self) -> bool {
        self.listing == ManifestListing::Complete
    }
}
