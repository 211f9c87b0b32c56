//! Which models to pack. In: a [`StoreReport`] and a [`Choice`]: names as a
//! person types them (`gemma2:2b`, `gemma2` for `gemma2:latest`, any case;
//! matched exactly as `verify` matches them) or every intact model. Out:
//! [`Chosen`] models (with the ones left out and why), the manifests the
//! driver must read for them, or a [`PackPlanError`] naming an unknown
//! model, or the model and blob that cannot be packed.

use crate::digest::Digest;
use crate::source::{join, SourceError, StoreSource};
use crate::store::blob_dir::BlobDir;
use crate::store::report::BlobStatus;
use crate::store::{ModelReport, StoreReport};
use crate::verify::PlanError;
use crate::verify::{Selection, VerifyPlan};
use std::collections::BTreeMap;
use std::fmt;

/// Which models to pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// These, as typed; each must exist and be intact.
    Named(Vec<String>),
    /// Every model whose blobs are all present at the right size; the
    /// others are left out and listed in [`Chosen::skipped`].
    Intact,
}

/// Why a blob cannot go into an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobProblem {
    Missing,
    WrongSize { expected: u64, actual: u64 },
}

/// A model that cannot be packed, because of one of its blobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpackable {
    pub model: String,
    pub digest: Digest,
    pub problem: BlobProblem,
}

impl fmt::Display for Unpackable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problem {
            BlobProblem::Missing => write!(f, "{}: blob {} is missing", self.model, self.digest),
            BlobProblem::WrongSize { expected, actual } => write!(
                f,
                "{}: blob {} is {actual} bytes on disk, its manifest says {expected}",
                self.model, self.digest
            ),
        }
    }
}

/// Something left out of an `Intact` choice: a model (display name) or a
/// manifest file that did not parse (its path), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub what: String,
    pub reason: String,
}

/// A manifest the driver reads before planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestToRead {
    /// `ModelReport::manifest_path`, the key in the map given to
    /// [`PackPlan::new`](super::PackPlan::new).
    pub manifest_path: String,
    /// Relative to the picked folder: what to pass to the source.
    pub source_path: String,
}

/// The models to pack, in store order, each once.
#[derive(Debug, Clone)]
pub struct Chosen<'r> {
    pub models: Vec<&'r ModelReport>,
    pub skipped: Vec<Skipped>,
    models_dir: String,
}

impl Chosen<'_> {
    pub fn manifests_to_read(&self) -> Vec<ManifestToRead> {
        self.models
            .iter()
            .map(|m| ManifestToRead {
                manifest_path: m.manifest_path.clone(),
                source_path: join(&self.models_dir, &m.manifest_path),
            })
            .collect()
    }
}

/// Every blob of a model that cannot be packed as the scan saw it.
pub fn blob_problems(model: &ModelReport) -> Vec<Unpackable> {
    std::iter::once(&model.config_blob)
        .chain(&model.layers)
        .filter_map(|l| {
            let problem = match l.status {
                BlobStatus::Present => return None,
                BlobStatus::Missing => BlobProblem::Missing,
                BlobStatus::SizeMismatch { actual } => BlobProblem::WrongSize {
                    expected: l.size,
                    actual,
                },
            };
            Some(Unpackable {
                model: model.name.clone(),
                digest: l.digest.clone(),
                problem,
            })
        })
        .collect()
}

/// The chosen models, or why they cannot be packed.
pub fn choose<'r>(report: &'r StoreReport, choice: &Choice) -> Result<Chosen<'r>, PackPlanError> {
    let models_dir = report.models_dir.clone();
    match choice {
        Choice::Named(names) if names.is_empty() => Err(PackPlanError::NothingChosen),
        Choice::Named(names) => {
            let selection = Selection {
                models: names.clone(),
                orphans: false,
            };
            // The verify plan's name matching (no listing needed for it).
            let picked = VerifyPlan::new(report, &BlobDir::default(), &selection)?.models;
            let models: Vec<&ModelReport> = report
                .models
                .iter()
                .filter(|m| picked.contains(&m.name))
                .collect();
            let problems: Vec<Unpackable> = models.iter().flat_map(|m| blob_problems(m)).collect();
            if !problems.is_empty() {
                return Err(PackPlanError::Unpackable(problems));
            }
            Ok(Chosen {
                models,
                skipped: Vec::new(),
                models_dir,
            })
        }
        Choice::Intact => {
            let (mut models, mut skipped) = (Vec::new(), Vec::new());
            for m in &report.models {
                let problems = blob_problems(m);
                if problems.is_empty() {
                    models.push(m);
                } else {
                    let reasons: Vec<String> = problems
                        .iter()
                        .map(|p| p.to_string().replacen(&format!("{}: ", m.name), "", 1))
                        .collect();
                    skipped.push(Skipped {
                        what: m.name.clone(),
                        reason: reasons.join("; "),
                    });
                }
            }
            let unreadable = report
                .errors
                .iter()
                .filter(|e| e.path.starts_with("manifests/"));
            skipped.extend(unreadable.map(|e| Skipped {
                what: e.path.clone(),
                reason: e.message.clone(),
            }));
            if models.is_empty() {
                return Err(PackPlanError::NothingIntact { skipped });
            }
            Ok(Chosen {
                models,
                skipped,
                models_dir,
            })
        }
    }
}

/// Reads the chosen models' manifests through a source, verbatim, keyed
/// by `manifest_path` (what [`PackPlan::new`](super::PackPlan::new) takes).
pub async fn read_manifests<S: StoreSource>(
    source: &S,
    chosen: &Chosen<'_>,
) -> Result<BTreeMap<String, Vec<u8>>, SourceError> {
    let mut out = BTreeMap::new();
    for m in chosen.manifests_to_read() {
        let limit = crate::manifest::MAX_MANIFEST_BYTES as usize + 1;
        let bytes = source.read(&m.source_path, 0, limit).await?;
        out.insert(m.manifest_path, bytes);
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackPlanError {
    #[error("no model chosen: name at least one model (or choose all)")]
    NothingChosen,
    #[error(transparent)]
    UnknownModels(#[from] PlanError),
    #[error(
        "cannot pack, the models folder lacks what these models need:\n  {}\n\
         Pull those models again (ollama pull NAME; delete a wrong-size blob file first), \
         or leave them out.",
        join_lines(.0)
    )]
    Unpackable(Vec<Unpackable>),
    #[error("no model in this folder can be packed:\n  {}", skipped_lines(.skipped))]
    NothingIntact { skipped: Vec<Skipped> },
    #[error("the manifest of {model} was not read; read it before planning")]
    ManifestNotRead { model: String },
    #[error("the manifest of {model} changed since the folder was scanned; scan it again")]
    ManifestChanged { model: String },
}

fn join_lines(problems: &[Unpackable]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    lines.join("\n  ")
}

fn skipped_lines(skipped: &[Skipped]) -> String {
    if skipped.is_empty() {
        return "it holds no models".into();
    }
    let lines: Vec<String> = skipped
        .iter()
        .map(|s| format!("{}: {}", s.what, s.reason))
        .collect();
    lines.join("\n  ")
}
