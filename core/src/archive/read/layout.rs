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
/// The manifest's name in a flat download.
pub const FLAT_MANIFEST: &str = "manifest";
/// What a flat download's model is called until it is given a name.
pub const FLAT_PLACEHOLDER: &str = "unnamed:latest";
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
    /// A direct download (oget, omdd, curl): `manifest` and the blobs as
    /// `sha256-<hex>` (or `sha256<hex>`) side by side, in `prefix` (`""`:
    /// at the top). It holds no model name: `named` when one was given.
    Flat { prefix: String, named: bool },
}

impl Layout {
    /// For people: what kind of archive this is (`zip`: a zip file, else
    /// a tar).
    pub fn describe(&self, zip: bool) -> String {
        let a = if zip { "a zip" } else { "a tar" };
        match self {
            Self::Unknown => "an empty archive".into(),
            Self::OllamaPack => "an ollama-pack archive".into(),
            Self::Ollamazip => "an ollamazip archive".into(),
            Self::ModelsTree { prefix: None } => {
                format!("{a} with no manifests/ or blobs/ folder (not a model archive)")
            }
            Self::ModelsTree { prefix: Some(p) } if p.is_empty() => {
                format!("{a} of a models folder's contents")
            }
            Self::ModelsTree { prefix: Some(p) } if p.ends_with("_model") => {
                format!("an Ollama Model Manager export ({p}/)")
            }
            Self::ModelsTree { prefix: Some(p) } if p.ends_with(".ollama/models") => {
                format!("{a} of an .ollama folder ({p}/)")
            }
            Self::ModelsTree { prefix: Some(p) } => format!("{a} of a models folder ({p}/)"),
            Self::Flat { named, .. } => {
                let what = "a direct download (a manifest and its blobs side by side, as oget or curl leave them)";
                if *named {
                    what.to_string()
                } else {
                    format!("{what}; it holds no model name, so it is shown as {FLAT_PLACEHOLDER}: give it a name to import it")
                }
            }
        }
    }

    /// A flat download that still needs a name before an import.
    pub fn needs_name(&self) -> bool {
        matches!(self, Self::Flat { named: false, .. })
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
    /// The name a flat download's model gets.
    flat_name: Option<ModelName>,
}

impl Default for Recogniser {
    fn default() -> Self {
        Self {
            layout: Layout::Unknown,
            seen_index: false,
            seen_sums: false,
            flat_name: None,
        }
    }
}

/// A blob's name in a flat download: `sha256-<hex>` as oget writes it, or
/// `sha256<hex>` as omdd does.
fn flat_blob(name: &str) -> Option<Digest> {
    Digest::from_blob_file_name(name).or_else(|| {
        let hex = name.strip_prefix("sha256")?;
        (hex.len() == 64).then(|| Digest::parse(&format!("sha256:{hex}")).ok())?
    })
}

/// Whether the names in a folder are a flat download's: `manifest` and
/// blobs side by side, and no `manifests/` or `blobs/` of a models folder.
pub fn is_flat_download<'a>(names: impl IntoIterator<Item = &'a str>) -> bool {
    let (mut manifest, mut blob) = (false, false);
    for name in names {
        match name {
            FLAT_MANIFEST => manifest = true,
            "manifests" | "blobs" => return false,
            n => blob |= flat_blob(n).is_some(),
        }
    }
    manifest && blob
}

/// The folder holding `path` when it looks like a flat download's file
/// (`manifest` or a blob, at the top or one folder down).
fn flat_prefix(path: &str) -> Option<String> {
    let (prefix, file) = path.rsplit_once('/').unwrap_or(("", path));
    let shallow = !prefix.contains('/');
    (shallow && (file == FLAT_MANIFEST || flat_blob(file).is_some())).then(|| prefix.to_string())
}

impl Recogniser {
    /// The name a flat download's model gets (else [`FLAT_PLACEHOLDER`]).
    pub fn name_flat(&mut self, name: ModelName) {
        self.flat_name = Some(name);
    }

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
            } else if let Some(prefix) = (entry.kind == EntryKind::File)
                .then(|| flat_prefix(path))
                .flatten()
            {
                self.layout = Layout::Flat {
                    prefix,
                    named: self.flat_name.is_some(),
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
            Layout::Flat { prefix, .. } => self.in_flat(prefix, path),
            Layout::ModelsTree { prefix: None } | Layout::Unknown => {
                ignored("outside manifests/ and blobs/")
            }
        }
    }
}

impl Recogniser {
    /// Placement in a flat download whose files are in `prefix`.
    fn in_flat(&self, prefix: &str, path: &str) -> Placement {
        let rel = if prefix.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(prefix).and_then(|r| r.strip_prefix('/'))
        };
        match rel {
            Some(FLAT_MANIFEST) => {
                let name = self.flat_name.clone().unwrap_or_else(placeholder);
                Placement::Manifest {
                    rel: name.manifest_rel_path(),
                    name,
                }
            }
            Some(file) if !file.contains('/') => match flat_blob(file) {
                Some(digest) => Placement::Blob { digest },
                None => ignored("not a blob name (sha256-<64 hex>) nor the manifest"),
            },
            _ => ignored("outside the download's folder"),
        }
    }
}

/// [`FLAT_PLACEHOLDER`] as a name.
fn placeholder() -> ModelName {
    ModelName {
        host: crate::name::DEFAULT_HOST.into(),
        namespace: crate::name::DEFAULT_NAMESPACE.into(),
        model: "unnamed".into(),
        tag: crate::name::DEFAULT_TAG.into(),
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
