//! The `blobs/` folder as data. In: its listing. Out: [`BlobDir`] — complete
//! blobs by digest, partial downloads (`-partial`, `-partial-N`, `.tmp`),
//! legacy `sha256:` names, and files Ollama would not recognise.

use crate::digest::Digest;
use crate::source::{Entry, EntryKind};
use std::collections::BTreeMap;

/// What ollama-pack adds to a blob's file name while it writes it (the
/// file gets its `sha256-<hex>` name once its digest was verified).
pub const TEMP_SUFFIX: &str = ".ollama-pack.tmp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobFile {
    pub size: u64,
    pub modified_ms: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct BlobDir {
    pub blobs: BTreeMap<Digest, BlobFile>,
    /// Unfinished downloads and writes, by file name: Ollama's (`-partial`,
    /// `-partial-N`, `.tmp`) and ours (`.ollama-pack.tmp`, and a browser's
    /// `.crswap` of either).
    pub partial: Vec<(String, BlobFile)>,
    /// (file name, why) of anything else.
    pub unexpected: Vec<(String, &'static str)>,
    /// Bytes of every regular file in the folder.
    pub disk_bytes: u64,
}

enum BlobName {
    Complete(Digest),
    Partial,
    Legacy,
    Unexpected(&'static str),
}

fn classify(name: &str) -> BlobName {
    if let Some(d) = Digest::from_blob_file_name(name) {
        return BlobName::Complete(d);
    }
    let Some(rest) = name.strip_prefix("sha256-") else {
        if name.starts_with("sha256:") && Digest::parse(name).is_ok() {
            return BlobName::Legacy;
        }
        return BlobName::Unexpected("not a blob name; Ollama deletes such files when it starts");
    };
    let (hex, suffix) = rest.split_at(rest.len().min(64));
    let is_hex = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    let suffix = suffix.strip_suffix(".crswap").unwrap_or(suffix);
    let is_partial = suffix == "-partial"
        || suffix
            .strip_prefix("-partial-")
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty())
        || suffix == ".tmp"
        || suffix == TEMP_SUFFIX;
    if is_hex && is_partial {
        BlobName::Partial
    } else {
        BlobName::Unexpected("not a blob name; Ollama deletes such files when it starts")
    }
}

impl BlobDir {
    pub fn from_listing(entries: Vec<Entry>) -> Self {
        let mut dir = Self::default();
        for e in entries {
            if e.kind != EntryKind::File {
                let why = if e.kind == EntryKind::Dir {
                    "a folder inside blobs/"
                } else {
                    "a link or special file; not followed"
                };
                dir.unexpected.push((e.name, why));
                continue;
            }
            dir.disk_bytes += e.size;
            match classify(&e.name) {
                BlobName::Complete(d) => {
                    dir.blobs.insert(
                        d,
                        BlobFile {
                            size: e.size,
                            modified_ms: e.modified_ms,
                        },
                    );
                }
                BlobName::Partial => dir.partial.push((
                    e.name,
                    BlobFile {
                        size: e.size,
                        modified_ms: e.modified_ms,
                    },
                )),
                BlobName::Legacy => dir.unexpected.push((
                    e.name,
                    "legacy name sha256:<hex>; Ollama renames it to sha256-<hex> when it starts",
                )),
                BlobName::Unexpected(why) => dir.unexpected.push((e.name, why)),
            }
        }
        dir.partial.sort_by(|a, b| a.0.cmp(&b.0));
        dir.unexpected.sort();
        dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, size: u64) -> Entry {
        Entry {
            name: name.into(),
            kind: EntryKind::File,
            size,
            modified_ms: Some(1),
        }
    }

    #[test]
    fn sorts_blobs_partials_and_strays() {
        let hex = "ab".repeat(32);
        let dir = BlobDir::from_listing(vec![
            file(&format!("sha256-{hex}"), 10),
            file(&format!("sha256-{hex}-partial"), 4),
            file(&format!("sha256-{hex}-partial-0"), 1),
            file(&format!("sha256-{hex}.tmp"), 2),
            file(&format!("sha256-{hex}.ollama-pack.tmp"), 5),
            file(&format!("sha256-{hex}.ollama-pack.tmp.crswap"), 6),
            file(&format!("sha256-{hex}.other"), 7),
            file(&format!("sha256:{hex}"), 10),
            file(&format!("sha256-{hex}-partial-x"), 1),
            file(".DS_Store", 3),
            Entry {
                name: "sub".into(),
                kind: EntryKind::Dir,
                size: 0,
                modified_ms: None,
            },
        ]);
        assert_eq!(dir.blobs.len(), 1);
        assert_eq!(dir.partial.len(), 5, "Ollama's and ours");
        assert_eq!(dir.unexpected.len(), 5);
        assert_eq!(dir.disk_bytes, 10 + 4 + 1 + 2 + 5 + 6 + 7 + 10 + 1 + 3);
        assert!(dir
            .unexpected
            .iter()
            .any(|(n, why)| n.starts_with("sha256:") && why.contains("renames")));
    }
}
