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

/// Lists `manifests/` level by level (each level's folders in one
/// [`StoreSource::list_many`]), then reads every tag file at once
/// ([`StoreSource::read_many`]).
pub async fn walk_manifests<S: StoreSource>(source: &S, root: &str) -> Walk {
    let mut walk = Walk::default();
    let mut level = vec![layout::MANIFESTS.to_string()];
    let mut tags: Vec<(String, Entry)> = Vec::new();
    for depth in 0..DEPTH {
        let paths: Vec<String> = level.iter().map(|d| join(root, d)).collect();
        let listings = source.list_many(&paths).await;
        let mut next = Vec::new();
        for (dir, listing) in level.iter().zip(listings) {
            let entries = match listing {
                Ok(entries) => entries,
                Err(e) => {
                    walk.findings.push(Finding::new(
                        dir,
                        format!("folder could not be read: {}", e.message),
                    ));
                    continue;
                }
            };
            for entry in entries {
                let rel = join(dir, &entry.name);
                match (entry.kind, depth + 1 == DEPTH) {
                    (EntryKind::Dir, false) => next.push(rel),
                    (EntryKind::File, true) => tags.push((rel, entry)),
                    (EntryKind::Dir, true) => walk.findings.push(Finding::new(&rel, "a folder where a manifest file (the tag) belongs")),
                    (EntryKind::File, false) => walk.findings.push(Finding::new(&rel, "a file where a folder belongs: manifests sit exactly at manifests/host/namespace/model/tag")),
                    (EntryKind::Other, _) => walk.findings.push(Finding::new(&rel, "a link or special file; not followed")),
                }
            }
        }
        level = next;
    }
    read_tags(source, root, tags, &mut walk).await;
    walk.manifests.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    walk
}

/// Reads the tag files that name a model and are small enough to be a
/// manifest.
async fn read_tags<S: StoreSource>(
    source: &S,
    root: &str,
    tags: Vec<(String, Entry)>,
    walk: &mut Walk,
) {
    let wanted: Vec<(String, ModelName, Entry)> = tags
        .into_iter()
        .filter_map(|(rel, entry)| check_tag(rel, entry, walk))
        .collect();
    let reads: Vec<(String, usize)> = wanted
        .iter()
        .map(|(rel, _, entry)| (join(root, rel), entry.size as usize + 1))
        .collect();
    let results = source.read_many(&reads).await;
    for ((rel, name, entry), result) in wanted.into_iter().zip(results) {
        match result {
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
}

/// The model a tag file names, unless it names none or is too large (a
/// finding then).
fn check_tag(rel: String, entry: Entry, walk: &mut Walk) -> Option<(String, ModelName, Entry)> {
    let name_path = rel.strip_prefix("manifests/").unwrap_or(&rel);
    let name = match ModelName::from_manifest_path(name_path) {
        Ok(name) => name,
        Err(e) => {
            walk.findings.push(Finding::new(
                &rel,
                format!("not a valid model name, Ollama ignores it: {e}"),
            ));
            return None;
        }
    };
    if entry.size > MAX_MANIFEST_BYTES {
        walk.findings.push(Finding::new(
            &rel,
            format!("{} bytes is too large for a manifest; not read", entry.size),
        ));
        return None;
    }
    Some((rel, name, entry))
}
