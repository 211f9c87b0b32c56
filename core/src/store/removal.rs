//! What removing models does to a models folder, decided as data before
//! anything is deleted; the same plan for the app, the CLI's `rm` and the
//! clean-up after a pull into an archive. In: a fresh [`StoreReport`] of
//! the folder (scanned right before the removal, not the one shown minutes
//! earlier) and the models named. Out: a [`RemovalPlan`] — the manifests
//! that go; the blobs that go because no remaining manifest references
//! them; the blobs kept because another model uses them, with its names;
//! the bytes freed; the manifest folders that may be left empty; and, when
//! the folder's references cannot all be known (an unreadable manifest, or
//! manifests the driver cannot see), that no blob may go at all.
//!
//! Drivers delete in the plan's order: manifests first, then blobs, then
//! empty folders; so a removal stopped half-way never leaves a manifest
//! pointing at a removed blob.

use super::report::{ManifestListing, ModelReport, StoreReport};
use crate::digest::Digest;
use crate::verify::plan::{choose, PlanError};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemovedModel {
    pub name: String,
    pub id: String,
    /// Relative to the models folder (`manifests/<host>/<ns>/<model>/<tag>`).
    pub manifest_path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FreedBlob {
    pub digest: Digest,
    /// Bytes on disk.
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptBlob {
    pub digest: Digest,
    pub size: u64,
    /// The models that still use it.
    pub users: Vec<String>,
}

/// Why no blob may go: some references cannot be known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlobsWithheld {
    /// These manifests could not be read or parsed.
    Unreadable(Vec<String>),
    /// The driver cannot see manifests whose path holds ':' (Chromium, in
    /// a folder on disk).
    HiddenManifests,
}

impl std::fmt::Display for BlobsWithheld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreadable(paths) => write!(
                f,
                "no blob is removed: {} could not be read, so which blobs it uses is unknown (fix or remove it first)",
                paths.join(", ")
            ),
            Self::HiddenManifests => f.write_str(
                "no blob is removed: in this folder the browser cannot see the manifests of registries with a port (manifests/host:port/…), which may use them. Let this page see every manifest first (“Show them: choose this folder again…”), or reclaim the space with `ollama-pack prune`",
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemovalPlan {
    pub models: Vec<RemovedModel>,
    /// Deleted after the manifests (empty when `withheld`).
    pub blobs: Vec<FreedBlob>,
    pub kept: Vec<KeptBlob>,
    /// Bytes the deleted blobs hold on disk.
    pub freed_bytes: u64,
    /// Manifest folders to remove once empty, deepest first
    /// (`manifests/<host>/<ns>/<model>` and up, never `manifests` itself).
    pub folders: Vec<String>,
    /// Set when blobs must stay: only the manifests go.
    pub withheld: Option<BlobsWithheld>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemovalError {
    #[error("name the models to remove")]
    NothingNamed,
    #[error(transparent)]
    Unknown(#[from] PlanError),
}

/// Plans removing the models `names` (as `ollama list` shows them, or as
/// typed: `gemma2` is `gemma2:latest`; compared case-insensitively).
pub fn plan_removal(report: &StoreReport, names: &[String]) -> Result<RemovalPlan, RemovalError> {
    if names.is_empty() {
        return Err(RemovalError::NothingNamed);
    }
    let going: Vec<&ModelReport> = choose(&report.models, names)?;
    let going_names: BTreeSet<&str> = going.iter().map(|m| m.name.as_str()).collect();
    let staying: Vec<&ModelReport> = report
        .models
        .iter()
        .filter(|m| !going_names.contains(m.name.as_str()))
        .collect();
    let users = users_of(&staying);
    let on_disk = sizes_on_disk(report);
    let mut blobs = Vec::new();
    let mut kept = Vec::new();
    let mut seen = BTreeSet::new();
    for digest in going.iter().flat_map(|m| blob_digests(m)) {
        if !seen.insert(digest.clone()) {
            continue;
        }
        let Some(&size) = on_disk.get(digest) else {
            continue; // missing: nothing to delete
        };
        match users.get(digest) {
            Some(names) => kept.push(KeptBlob {
                digest: digest.clone(),
                size,
                users: names.iter().cloned().collect(),
            }),
            None => blobs.push(FreedBlob {
                digest: digest.clone(),
                size,
            }),
        }
    }
    let withheld = withheld(report);
    if withheld.is_some() {
        blobs.clear();
    }
    let remaining: Vec<&str> = staying.iter().map(|m| m.manifest_path.as_str()).collect();
    Ok(RemovalPlan {
        models: going
            .iter()
            .map(|m| RemovedModel {
                name: m.name.clone(),
                id: m.id.clone(),
                manifest_path: m.manifest_path.clone(),
            })
            .collect(),
        freed_bytes: blobs.iter().map(|b| b.size).sum(),
        blobs,
        kept,
        folders: emptied_folders(&going, &remaining),
        withheld,
    })
}

/// Why blobs may not be deleted in this folder, if they may not.
pub fn withheld(report: &StoreReport) -> Option<BlobsWithheld> {
    let unreadable: Vec<String> = report
        .errors
        .iter()
        .filter(|e| e.path.starts_with("manifests/"))
        .map(|e| e.path.clone())
        .collect();
    if !unreadable.is_empty() {
        return Some(BlobsWithheld::Unreadable(unreadable));
    }
    (report.listing == ManifestListing::MayHideColonNames).then_some(BlobsWithheld::HiddenManifests)
}

fn blob_digests(m: &ModelReport) -> impl Iterator<Item = &Digest> {
    std::iter::once(&m.config_blob)
        .chain(&m.layers)
        .map(|l| &l.digest)
}

/// Every blob the models reference, with the names of those that do.
fn users_of(models: &[&ModelReport]) -> BTreeMap<Digest, BTreeSet<String>> {
    let mut out: BTreeMap<Digest, BTreeSet<String>> = BTreeMap::new();
    for m in models {
        for d in blob_digests(m) {
            out.entry(d.clone()).or_default().insert(m.name.clone());
        }
    }
    out
}

/// Bytes on disk of every present blob the report knows of.
fn sizes_on_disk(report: &StoreReport) -> BTreeMap<Digest, u64> {
    use super::report::BlobStatus;
    let mut out = BTreeMap::new();
    for l in report
        .models
        .iter()
        .flat_map(|m| std::iter::once(&m.config_blob).chain(&m.layers))
    {
        let size = match l.status {
            BlobStatus::Present => l.size,
            BlobStatus::SizeMismatch { actual } => actual,
            BlobStatus::Missing => continue,
        };
        out.insert(l.digest.clone(), size);
    }
    out
}

/// The folders of the removed manifests that no remaining manifest lives
/// under, deepest first.
fn emptied_folders(going: &[&ModelReport], remaining: &[&str]) -> Vec<String> {
    let mut folders = BTreeSet::new();
    for m in going {
        let mut path = m.manifest_path.as_str();
        while let Some((parent, _)) = path.rsplit_once('/') {
            if parent == "manifests" || parent.is_empty() {
                break;
            }
            let prefix = format!("{parent}/");
            if !remaining.iter().any(|r| r.starts_with(&prefix)) {
                folders.insert(parent.to_string());
            }
            path = parent;
        }
    }
    let mut out: Vec<String> = folders.into_iter().collect();
    out.sort_by_key(|f| std::cmp::Reverse(f.matches('/').count()));
    out
}

#[cfg(test)]
#[path = "removal_tests.rs"]
mod tests;
