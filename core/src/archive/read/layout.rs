//! Which kind of archive, and where each entry would land. In: the
//! [`EntryInfo`]s in archive order. Out: the [`Layout`] (ours: the index
//! first; ollamazip: `metadata.json`/`manifest.json` first; otherwise a
//! tree with `manifests/` and `blobs/` under some prefix: a tar of
//! `~/.ollama`, of `models/`, of its contents, or an Ollama Model Manager
//! `<name>_model/` export) and a [`Placement`] per entry: a manifest with
//! its model name, a blob with its digest, one of the format's own files,
//! a folder, or ignored with the reason.

use super::event::{EntryInfo, EntryKind};
use crate::archive::format::{INDEX_ENTRY, SUMS_ENTRY};
use crate::digest::Digest;
use crate::name::ModelName;
use serde::Serialize;

pub const ZIP_METADATA: &str = "metadata.json";
pub const ZIP_MANIFEST: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Layout {
    /// Not known yet (no file entry seen).
    Unknown,
    /// This tool's format: `ollama-pack.json` first.
    OllamaPack,
    /// PyPI ollamazip: `metadata.json`, `manifest.json`, `blobs/`.
    Ollamazip,
    /// `manifests/` and `blobs/` under `prefix` (`""`: a tar of a models
    /// folder's contents; `None`: not found yet).
    ModelsTree { prefix: Option<String> },
}

impl Layout {
    /// For people: what kind of archive this is.
    pub fn describe(&self) -> String {
        match self {
            Self::Unknown => "an empty archive".into(),
            Self::OllamaPack => "an ollama-pack archive".into(),
            Self::Ollamazip => "an ollamazip archive".into(),
            Self::ModelsTree { prefix: None } => {
                "a tar with no manifests/ or blobs/ folder (not a model archive)".into()
            }
            Self::ModelsTree { prefix: Some(p) } if p.is_empty() => {
                "a tar of a models folder's contents".into()
            }
            Self::ModelsTree { prefix: Some(p) } if p.ends_with("_model") => {
                format!("an Ollama Model Manager export ({p}/)")
            }
            Self::ModelsTree { prefix: Some(p) } if p.ends_with(".ollama/models") => {
                format!("a tar of an .ollama folder ({p}/)")
            }
            Self::ModelsTree { prefix: Some(p) } => format!("a tar of a models folder ({p}/)"),
        }
    }

    /// Formats whose writers put nothing else in: an entry that is not
    /// theirs is a problem, not just something to skip.
    pub fn is_strict(&self) -> bool {
        matches!(self, Self::OllamaPack | Self::Ollamazip)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    Index,
    Sums,
    ZipMetadata,
    ZipManifest,
    /// Lands at `manifests/<rel>` of a models folder.
    Manifest {
        name: ModelName,
        rel: String,
    },
    /// Lands at `blobs/sha256-<hex>`.
    Blob {
        digest: Digest,
    },
    Dir,
    Ignored {
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct Recogniser {
    layout: Layout,
    seen_index: bool,
    seen_sums: bool,
}

impl Default for Recogniser {
    fn default() -> Self {
        Self {
            layout: Layout::Unknown,
            seen_index: false,
            seen_sums: false,
        }
    }
}

impl Recogniser {
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn place(&mut self, entry: &EntryInfo) -> Placement {
        let path = entry.path.as_str();
        if self.layout == Layout::Unknown && entry.kind == EntryKind::File {
            self.layout = match path {
                INDEX_ENTRY => Layout::OllamaPack,
                ZIP_METADATA | ZIP_MANIFEST => Layout::Ollamazip,
                _ => Layout::ModelsTree { prefix: None },
            };
        }
        if matches!(
            self.layout,
            Layout::Unknown | Layout::ModelsTree { prefix: None }
        ) {
            // The first path with a manifests/ or blobs/ part fixes the prefix.
            let parts: Vec<&str> = path.split('/').collect();
            if let Some(i) = parts
                .iter()
                .position(|p| *p == "manifests" || *p == "blobs")
            {
                self.layout = Layout::ModelsTree {
                    prefix: Some(parts[..i].join("/")),
                };
            }
        }
        if entry.kind == EntryKind::Dir {
            return Placement::Dir;
        }
        match &self.layout {
            Layout::OllamaPack if path == INDEX_ENTRY && !self.seen_index => {
                self.seen_index = true;
                Placement::Index
            }
            Layout::OllamaPack if path == SUMS_ENTRY && !self.seen_sums => {
                self.seen_sums = true;
                Placement::Sums
            }
            Layout::OllamaPack if path == INDEX_ENTRY || path == SUMS_ENTRY => {
                ignored("a second copy")
            }
            Layout::Ollamazip if path == ZIP_METADATA => Placement::ZipMetadata,
            Layout::Ollamazip if path == ZIP_MANIFEST => Placement::ZipManifest,
            Layout::Ollamazip if path.starts_with("manifests/") => {
                ignored("an ollamazip archive carries its manifest as manifest.json")
            }
            Layout::OllamaPack | Layout::Ollamazip => in_tree(path),
            Layout::ModelsTree { prefix: Some(p) } => {
                let rel = if p.is_empty() {
                    Some(path)
                } else {
                    path.strip_prefix(p.as_str())
                        .and_then(|r| r.strip_prefix('/'))
                };
                match rel {
                    Some(rel) => in_tree(rel),
                    None => ignored(&format!("outside {p}/manifests and {p}/blobs")),
                }
            }
            Layout::ModelsTree { prefix: None } | Layout::Unknown => {
                ignored("outside manifests/ and blobs/")
            }
        }
    }
}

fn ignored(reason: &str) -> Placement {
    Placement::Ignored {
        reason: reason.to_string(),
    }
}

/// Placement of a path relative to the models folder.
fn in_tree(rel: &str) -> Placement {
    if let Some(rest) = rel.strip_prefix("manifests/") {
        return match ModelName::from_manifest_path(rest) {
            Ok(name) => Placement::Manifest {
                name,
                rel: rest.to_string(),
            },
            Err(e) => ignored(&format!("not a manifest: {e}")),
        };
    }
    if let Some(rest) = rel.strip_prefix("blobs/") {
        if rest.contains('/') {
            return ignored("inside a sub-folder of blobs/, where Ollama keeps no blobs");
        }
        return match Digest::parse(rest) {
            Ok(digest) => Placement::Blob { digest },
            Err(_) => {
                ignored("not a blob name (sha256-<64 hex>): a partial download or a stray file")
            }
        };
    }
    ignored("outside manifests/ and blobs/")
}
