//! The archive verifier, one streaming pass. In: every [`Event`] of an
//! [`ArchiveReader`](super::ArchiveReader), in order. Out, as it goes: the
//! [`Placement`] of the current entry and the verdict on each blob as it
//! ends (so an importer can make it final); at the end ([`finish`]), the
//! report. Blobs are hashed as they stream past, never held; manifests,
//! the index, `SHA256SUMS` and ollamazip's metadata are small and held
//! (each bounded, and all manifests together).
//!
//! [`finish`]: ArchiveVerifier::finish

use super::decompress::Compression;
use super::event::{EntryInfo, Event};
use super::layout::{Layout, Placement, Recogniser};
use crate::archive::format::{parse_sha256sums, PackIndex, MAX_INDEX_BYTES};
use crate::digest::{Digest, DigestVerifier};
use crate::manifest::MAX_MANIFEST_BYTES;
use crate::name::ModelName;
use crate::store::Finding;
use crate::verify::Outcome;
use std::collections::BTreeMap;

/// All manifests of one archive together, held in memory at most.
pub const MAX_HELD_BYTES: u64 = 64 << 20;
const MAX_SUMS_BYTES: u64 = 16 << 20;
const MAX_METADATA_BYTES: u64 = 1 << 20;

pub(super) struct BlobSeen {
    pub size: u64,
    pub entry: String,
    pub outcome: Outcome,
}

pub(super) struct ManifestSeen {
    pub name: ModelName,
    pub entry: String,
    pub bytes: Vec<u8>,
    pub digest: Digest,
    pub mtime: u64,
    pub problems: Vec<String>,
}

enum Current {
    Skip,
    Blob {
        digest: Digest,
        entry: String,
        hasher: DigestVerifier,
    },
    Small {
        placement: Placement,
        entry: EntryInfo,
        buf: Vec<u8>,
    },
}

pub struct ArchiveVerifier {
    pub(super) recogniser: Recogniser,
    current: Current,
    placement: Option<Placement>,
    last_blob: Option<(Digest, bool)>,
    /// The entry being read.
    current_path: Option<String>,
    held: u64,
    pub(super) entries: usize,
    pub(super) blobs: BTreeMap<Digest, BlobSeen>,
    pub(super) manifests: Vec<ManifestSeen>,
    pub(super) index: Option<Result<PackIndex, String>>,
    pub(super) sums: Option<Result<Vec<(Digest, String)>, String>>,
    pub(super) metadata: Option<Result<serde_json::Value, String>>,
    pub(super) zip_manifest: Option<(Vec<u8>, u64)>,
    /// Entry path → digest of its content, for every placed file entry.
    pub(super) paths: BTreeMap<String, Digest>,
    pub(super) problems: Vec<Finding>,
    pub(super) notes: Vec<Finding>,
    pub(super) ended: bool,
    pub(super) trailing: Option<u64>,
    /// The file's format, when the reader said.
    pub(super) compression: Option<Compression>,
}

impl Default for ArchiveVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ArchiveVerifier {
    pub fn new() -> Self {
        Self {
            recogniser: Recogniser::default(),
            current: Current::Skip,
            placement: None,
            last_blob: None,
            current_path: None,
            held: 0,
            entries: 0,
            blobs: BTreeMap::new(),
            manifests: Vec::new(),
            index: None,
            sums: None,
            metadata: None,
            zip_manifest: None,
            paths: BTreeMap::new(),
            problems: Vec::new(),
            notes: Vec::new(),
            ended: false,
            trailing: None,
            compression: None,
        }
    }

    pub fn layout(&self) -> &Layout {
        self.recogniser.layout()
    }

    /// Names the model of a flat download (a `manifest` and its blobs),
    /// which carries no name of its own.
    pub fn name_flat(&mut self, name: ModelName) {
        self.recogniser.name_flat(name);
    }

    /// Where the entry being read would land (set by its `Entry` event).
    pub fn placement(&self) -> Option<&Placement> {
        self.placement.as_ref()
    }

    /// After a blob's `EntryEnd`: its digest and whether its bytes match it.
    pub fn last_blob(&self) -> Option<&(Digest, bool)> {
        self.last_blob.as_ref()
    }

    pub fn event(&mut self, event: &Event<'_>) {
        match *event {
            Event::Entry(info) => self.begin(info),
            Event::Data(data) => match &mut self.current {
                Current::Blob { hasher, .. } => hasher.update(data),
                Current::Small { buf, entry, .. } => {
                    buf.extend_from_slice(data);
                    if !entry.size_known {
                        self.bound_unsized();
                    }
                }
                Current::Skip => {}
            },
            Event::EntryDamaged(why) => {
                if let Some(path) = &self.current_path {
                    self.problems.push(Finding::new(path, why));
                }
            }
            Event::EntryEnd => self.end_entry(),
            Event::End => self.ended = true,
            Event::Opened(c) => self.compression = Some(c),
            Event::Trailing { offset } => self.trailing = Some(offset),
        }
    }

    /// A small entry whose size came after its data grew past its limit.
    fn bound_unsized(&mut self) {
        let Current::Small {
            placement,
            entry,
            buf,
        } = &self.current
        else {
            return;
        };
        let limit = small_limit(placement).0;
        if buf.len() as u64 > limit || self.held + buf.len() as u64 > MAX_HELD_BYTES {
            self.problems.push(Finding::new(
                &entry.path,
                format!(
                    "more than {limit} bytes, more than any real {}; not read",
                    small_limit(placement).1
                ),
            ));
            self.current = Current::Skip;
        }
    }

    fn begin(&mut self, info: &EntryInfo) {
        self.entries += 1;
        self.current_path = Some(info.path.clone());
        self.last_blob = None;
        let placement = self.recogniser.place(info);
        self.current = match &placement {
            Placement::Dir => Current::Skip,
            Placement::Ignored { reason } => {
                let finding = Finding::new(&info.path, format!("ignored: {reason}"));
                if self.layout().is_strict() {
                    self.problems.push(finding);
                } else {
                    self.notes.push(finding);
                }
                Current::Skip
            }
            Placement::Blob { digest } => Current::Blob {
                digest: digest.clone(),
                entry: info.path.clone(),
                hasher: DigestVerifier::new(),
            },
            small => self.small(small, info),
        };
        self.placement = Some(placement);
    }

    /// Holds a small entry's bytes, if it is as small as it should be.
    fn small(&mut self, placement: &Placement, info: &EntryInfo) -> Current {
        let (limit, what) = small_limit(placement);
        if info.size > limit || self.held + info.size > MAX_HELD_BYTES {
            self.problems.push(Finding::new(
                &info.path,
                format!("{} bytes, more than any real {what}; not read", info.size),
            ));
            return Current::Skip;
        }
        self.held += info.size;
        Current::Small {
            placement: placement.clone(),
            entry: info.clone(),
            buf: Vec::with_capacity(info.size as usize),
        }
    }

    /// Records the content digest of an entry path; a second entry of the
    /// same path with other content is a problem. Returns false then.
    fn record_path(&mut self, path: &str, digest: &Digest) -> bool {
        match self.paths.get(path) {
            Some(d) if d != digest => {
                self.problems.push(Finding::new(
                    path,
                    "appears twice in the archive, with different content",
                ));
                false
            }
            _ => {
                self.paths.insert(path.to_string(), digest.clone());
                true
            }
        }
    }

    fn end_entry(&mut self) {
        if let Current::Small { buf, entry, .. } = &self.current {
            if !entry.size_known {
                self.held += buf.len() as u64;
            }
        }
        match std::mem::replace(&mut self.current, Current::Skip) {
            Current::Skip => {}
            Current::Blob {
                digest,
                entry,
                hasher,
            } => self.end_blob(digest, entry, hasher),
            Current::Small {
                placement,
                entry,
                buf,
            } => self.end_small(placement, entry, buf),
        }
    }

    fn end_blob(&mut self, digest: Digest, entry: String, hasher: DigestVerifier) {
        let size = hasher.bytes();
        let actual = hasher.finish();
        let ok = actual == digest;
        self.last_blob = Some((digest.clone(), ok));
        self.record_path(&entry, &actual);
        let outcome = if ok {
            Outcome::Ok
        } else {
            Outcome::Mismatch {
                expected: digest.clone(),
                actual,
            }
        };
        match self.blobs.get_mut(&digest) {
            None => {
                self.blobs.insert(
                    digest,
                    BlobSeen {
                        size,
                        entry,
                        outcome,
                    },
                );
            }
            // A second copy: the worse verdict stands.
            Some(seen) => {
                if seen.outcome.is_ok() && !outcome.is_ok() {
                    seen.outcome = outcome;
                    seen.entry = entry;
                    seen.size = size;
                }
            }
        }
    }

    fn end_small(&mut self, placement: Placement, entry: EntryInfo, buf: Vec<u8>) {
        let digest = Digest::of(&buf);
        if !self.record_path(&entry.path, &digest) {
            // Which copy is right cannot be told: the model fails.
            if let Placement::Manifest { name, .. } = &placement {
                let key = name.fold_key();
                for m in self
                    .manifests
                    .iter_mut()
                    .filter(|m| m.name.fold_key() == key)
                {
                    m.problems.push(format!(
                        "{} appears twice with different content",
                        entry.path
                    ));
                }
            }
            return;
        }
        match placement {
            Placement::Index => {
                self.index = Some(PackIndex::parse(&buf).map_err(|e| e.to_string()))
            }
            Placement::Sums => {
                self.sums = Some(
                    std::str::from_utf8(&buf)
                        .map_err(|_| "SHA256SUMS is not text".to_string())
                        .and_then(|t| parse_sha256sums(t).map_err(|e| e.to_string())),
                )
            }
            Placement::ZipMetadata => {
                self.metadata = Some(serde_json::from_slice(&buf).map_err(|e| e.to_string()))
            }
            Placement::ZipManifest => self.zip_manifest = Some((buf, entry.mtime)),
            Placement::Manifest { name, .. } => self.add_manifest(name, entry, buf, digest),
            _ => {}
        }
    }

    pub(super) fn add_manifest(
        &mut self,
        name: ModelName,
        entry: EntryInfo,
        bytes: Vec<u8>,
        digest: Digest,
    ) {
        let key = name.fold_key();
        if let Some(m) = self.manifests.iter_mut().find(|m| m.name.fold_key() == key) {
            if m.digest != digest {
                m.problems.push(format!(
                    "{} and {} name the same model with different content",
                    m.entry, entry.path
                ));
            }
            return;
        }
        self.manifests.push(ManifestSeen {
            name,
            entry: entry.path,
            bytes,
            digest,
            mtime: entry.mtime,
            problems: Vec::new(),
        });
    }
}

/// The most bytes a small entry may hold, and what it is called.
fn small_limit(placement: &Placement) -> (u64, &'static str) {
    match placement {
        Placement::Index => (MAX_INDEX_BYTES, "index"),
        Placement::Sums => (MAX_SUMS_BYTES, "SHA256SUMS"),
        Placement::ZipMetadata => (MAX_METADATA_BYTES, "metadata.json"),
        _ => (MAX_MANIFEST_BYTES, "manifest"),
    }
}
