//! What to verify. In: a [`StoreReport`], a fresh listing of `blobs/`
//! ([`BlobDir`]) and a [`Selection`]: models by name as a person types them
//! (`gemma2:2b`, `gemma2` for `gemma2:latest`, any case), or all, and
//! whether orphaned blobs count too. Out: a [`VerifyPlan`]: each blob once
//! (config blobs included) with its expected size, its path under the
//! picked folder, the models that use it and what the listing shows; or a
//! [`PlanError`] naming the unknown models and the ones that exist.

use super::outcome::Outcome;
use crate::digest::Digest;
use crate::name::ModelName;
use crate::store::blob_dir::{BlobDir, BlobFile};
use crate::store::reads::blob_path;
use crate::store::{ModelReport, StoreReport};
use std::collections::{BTreeMap, BTreeSet};

/// Which blobs to verify.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Model names as typed; empty means every model.
    pub models: Vec<String>,
    /// Also verify blobs no manifest references (against their file name).
    pub orphans: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "no model named {} in this folder. It holds: {}",
        quoted(unknown),
        if known.is_empty() { "no models".to_string() } else { known.join(", ") }
    )]
    UnknownModels {
        unknown: Vec<String>,
        known: Vec<String>,
    },
}

fn quoted(names: &[String]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    q.join(", ")
}

/// One blob to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobCheck {
    pub digest: Digest,
    /// What the manifest says (for an orphan: its size on disk).
    pub expected_size: u64,
    /// Relative to the picked folder, `/`-separated.
    pub path: String,
    /// Display names of every model in the store that uses it (empty for
    /// an orphan), not only the selected ones: they all depend on it.
    pub models: Vec<String>,
    /// What the `blobs/` listing shows; `None`: no such file.
    pub on_disk: Option<BlobFile>,
    /// Skipped by a quick check: verified ok earlier, size and
    /// modification time unchanged since.
    pub remembered: bool,
}

impl BlobCheck {
    /// What is known without reading the blob: missing or wrong size from
    /// the listing, or ok from a quick check. `None`: hash it.
    pub fn settled(&self) -> Option<Outcome> {
        if self.remembered {
            return Some(Outcome::Ok);
        }
        Outcome::from_listing(self.expected_size, self.on_disk.as_ref())
    }

    pub fn hasher(&self) -> super::BlobHasher {
        super::BlobHasher::new(self.digest.clone(), self.expected_size)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyPlan {
    /// How the driver named the models folder (from the report).
    pub root: String,
    /// Display names of the models verified, in store order.
    pub models: Vec<String>,
    /// Every blob once, in the order the models list them, orphans last.
    pub checks: Vec<BlobCheck>,
}

impl VerifyPlan {
    pub fn new(
        report: &StoreReport,
        listing: &BlobDir,
        selection: &Selection,
    ) -> Result<Self, PlanError> {
        let chosen = choose(&report.models, &selection.models)?;
        let users = users(&report.models);
        let mut checks: Vec<BlobCheck> = Vec::new();
        let mut seen = BTreeSet::new();
        for m in &chosen {
            for layer in std::iter::once(&m.config_blob).chain(&m.layers) {
                if !seen.insert(layer.digest.clone()) {
                    continue;
                }
                checks.push(BlobCheck {
                    digest: layer.digest.clone(),
                    expected_size: layer.size,
                    path: blob_path(&report.models_dir, &layer.digest),
                    models: users.get(&layer.digest).cloned().unwrap_or_default(),
                    on_disk: listing.blobs.get(&layer.digest).copied(),
                    remembered: false,
                });
            }
        }
        if selection.orphans {
            let orphans = listing
                .blobs
                .iter()
                .filter(|(d, _)| !users.contains_key(*d));
            checks.extend(orphans.map(|(d, f)| BlobCheck {
                digest: d.clone(),
                expected_size: f.size,
                path: blob_path(&report.models_dir, d),
                models: Vec::new(),
                on_disk: Some(*f),
                remembered: false,
            }));
        }
        Ok(Self {
            root: report.root.clone(),
            models: chosen.iter().map(|m| m.name.clone()).collect(),
            checks,
        })
    }

    /// The blobs that must be read and hashed (nothing else settles them).
    pub fn to_hash(&self) -> impl Iterator<Item = &BlobCheck> {
        self.checks.iter().filter(|c| c.settled().is_none())
    }

    /// The blobs to hash in the order to hash them: largest first (plan
    /// order among equals), so that with several workers the last to
    /// finish are small ones and no worker idles long at the end.
    pub fn hash_order(&self) -> Vec<&BlobCheck> {
        let mut jobs: Vec<&BlobCheck> = self.to_hash().collect();
        jobs.sort_by_key(|c| std::cmp::Reverse(c.expected_size));
        jobs
    }

    /// Bytes the driver will read: the sum of [`Self::to_hash`] sizes.
    pub fn bytes_to_hash(&self) -> u64 {
        self.to_hash().map(|c| c.expected_size).sum()
    }

    /// The outcomes known before reading anything.
    pub fn settled(&self) -> BTreeMap<Digest, Outcome> {
        self.checks
            .iter()
            .filter_map(|c| c.settled().map(|o| (c.digest.clone(), o)))
            .collect()
    }
}

/// Display names of the models using each digest, in store order.
fn users(models: &[ModelReport]) -> BTreeMap<Digest, Vec<String>> {
    let mut out: BTreeMap<Digest, Vec<String>> = BTreeMap::new();
    for m in models {
        for layer in std::iter::once(&m.config_blob).chain(&m.layers) {
            let names = out.entry(layer.digest.clone()).or_default();
            if !names.contains(&m.name) {
                names.push(m.name.clone());
            }
        }
    }
    out
}

/// The key two spellings of one model share: Ollama's case-insensitive
/// full name, defaults filled in; `None` when the text is no valid name.
fn key(text: &str) -> Option<String> {
    ModelName::parse(text.trim()).ok().map(|n| n.fold_key())
}

fn matches(model: &ModelReport, typed: &str) -> bool {
    model.name.eq_ignore_ascii_case(typed.trim())
        || key(typed).is_some_and(|k| key(&model.name) == Some(k))
}

/// The models named (all when none are), in store order, each once.
pub(crate) fn choose<'a>(
    models: &'a [ModelReport],
    wanted: &[String],
) -> Result<Vec<&'a ModelReport>, PlanError> {
    if wanted.is_empty() {
        return Ok(models.iter().collect());
    }
    let unknown: Vec<String> = wanted
        .iter()
        .filter(|w| !models.iter().any(|m| matches(m, w)))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(PlanError::UnknownModels {
            unknown,
            known: models.iter().map(|m| m.name.clone()).collect(),
        });
    }
    Ok(models
        .iter()
        .filter(|m| wanted.iter().any(|w| matches(m, w)))
        .collect())
}
