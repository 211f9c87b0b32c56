//! Finds and reads every manifest. In: a [`StoreSource`] and the models
//! root. Out: [`ManifestFile`]s (path, name, verbatim bytes, mtime) and a
//! [`Finding`] for every file that is not where a manifest belongs.

use super::{layout, Finding};
use crate::manifest::MAX_MANIFEST_BYTES;
use crate::name::ModelName;
use crate::source::{join, Entry, EntryKind, StoreSource};

/// A manifest file as found on disk.
#[derive(Debug, Clone)]
pub struct ManifestFile {
    /// Relative to the models root: `manifests/host/ns/model/tag`.
    pub rel_path: String,
    pub name: ModelName,
    pub bytes: Vec<u8>,
    pub modified_ms: Option<i64>,
}

/// Everything the walk found under `manifests/`.
#[derive(Debug, Default)]
pub struct Walk {
    pub manifests: Vec<ManifestFile>,
    pub findings: Vec<Finding>,
}

/// Depth of the tag files under `manifests/`: host/namespace/model/tag.
const DEPTH: usize = 4;

pub async fn walk_manifests<S: StoreSource>(source: &S, root: &str) -> Walk {
    let mut walk = Walk::default();
    let mut pending = vec![(layout::MANIFESTS.to_string(), 0usize)];
    while let Some((dir, depth)) = pending.pop() {
        let entries = match source.list(&join(root, &dir)).await {
            Ok(entries) => entries,
            Err(e) => {
                walk.findings.push(Finding::new(
                    &dir,
                    format!("folder could not be read: {}", e.message),
                ));
                continue;
            }
        };
        for entry in entries {
            let rel = join(&dir, &entry.name);
            match (entry.kind, depth + 1 == DEPTH) {
                (EntryKind::Dir, false) => pending.push((rel, depth + 1)),
                (EntryKind::File, true) => read_one(source, root, rel, &entry, &mut walk).await,
                (EntryKind::Dir, true) => walk.findings.push(Finding::new(&rel, "a folder where a manifest file (the tag) belongs")),
                (EntryKind::File, false) => walk.findings.push(Finding::new(&rel, "a file where a folder belongs: manifests sit exactly at manifests/host/namespace/model/tag")),
                (EntryKind::Other, _) => walk.findings.push(Finding::new(&rel, "a link or special file; not followed")),
            }
        }
    }
    walk.manifests.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    walk
}

async fn read_one<S: StoreSource>(
    source: &S,
    root: &str,
    rel: String,
    entry: &Entry,
    walk: &mut Walk,
) {
    let name_path = rel.strip_prefix("manifests/").unwrap_or(&rel);
    let name = match ModelName::from_manifest_path(name_path) {
        Ok(name) => name,
        Err(e) => {
            return walk.findings.push(Finding::new(
                &rel,
                format!("not a valid model name, Ollama ignores it: {e}"),
            ))
        }
    };
    if entry.size > MAX_MANIFEST_BYTES {
        return walk.findings.push(Finding::new(
            &rel,
            format!("{} bytes is too large for a manifest; not read", entry.size),
        ));
    }
    match source
        .read(&join(root, &rel), 0, entry.size as usize + 1)
        .await
    {
        Ok(bytes) => walk.manifests.push(ManifestFile {
            rel_path: rel,
            name,
            bytes,
            modified_ms: entry.modified_ms,
        }),
        Err(e) => walk.findings.push(Finding::new(
            &rel,
            format!("could not be read: {}", e.message),
        )),
    }
}
