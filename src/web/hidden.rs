//! The manifests a folder handle cannot reach. In a folder on disk Chromium
//! hides and refuses names holding ':' (Ollama's `manifests/host:port/…`,
//! the folder of every registry with a port), but two other ways of reading
//! the same folder show them: the entries of a dropped folder
//! (`webkitGetAsEntry`) and an `<input webkitdirectory>` listing. In: one of
//! those. Out: [`HiddenFiles`], the `File`s of the manifests whose path
//! holds ':', by their path in the opened folder, for
//! [`super::dir_source::DirSource`] to list and read beside its handle.

use super::js::{call, prop, prop_string, resolve, WebError};
use crate::core::source::{join, Entry, EntryKind};
use crate::core::store::layout::{has_colon_name, manifest_below};
use js_sys::{Array, Promise};
use std::collections::{BTreeMap, BTreeSet};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{File, FileList};

/// Files the folder's handle cannot see, by path from the opened folder.
#[derive(Default)]
pub struct HiddenFiles {
    files: BTreeMap<String, File>,
}

impl HiddenFiles {
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn file(&self, path: &str) -> Option<&File> {
        self.files.get(path)
    }

    /// Whether any file here lies under `dir`.
    pub fn has_dir(&self, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        self.files.keys().any(|p| p.starts_with(&prefix))
    }

    /// The entries directly in `dir` that come from here (files, and the
    /// folders on the way to them).
    pub fn children(&self, dir: &str) -> Vec<Entry> {
        let mut dirs = BTreeSet::new();
        let mut out = Vec::new();
        for (path, file) in &self.files {
            let rest = match dir {
                "" => path.as_str(),
                _ => match path.strip_prefix(dir).and_then(|r| r.strip_prefix('/')) {
                    Some(rest) => rest,
                    None => continue,
                },
            };
            match rest.split_once('/') {
                Some((sub, _)) => {
                    dirs.insert(sub.to_string());
                }
                None => out.push(Entry {
                    name: rest.to_string(),
                    kind: EntryKind::File,
                    size: file.size() as u64,
                    modified_ms: Some(file.last_modified() as i64),
                }),
            }
        }
        out.extend(dirs.into_iter().map(|name| Entry {
            name,
            kind: EntryKind::Dir,
            size: 0,
            modified_ms: None,
        }));
        out
    }

    /// The hidden manifests under a dropped folder's entry (a
    /// `FileSystemDirectoryEntry`, which lists names holding ':'); `blobs`
    /// folders are not walked (blob names never hold ':').
    pub async fn from_entry(entry: &JsValue) -> Result<Self, WebError> {
        let mut hidden = Self::default();
        let mut todo = vec![(entry.clone(), String::new())];
        while let Some((dir, path)) = todo.pop() {
            for child in read_entries(&dir).await? {
                let name = prop_string(&child, "name").unwrap_or_default();
                let child_path = join(&path, &name);
                if prop(&child, "isDirectory").is_some_and(|v| v.is_truthy()) {
                    if name != "blobs" {
                        todo.push((child, child_path));
                    }
                } else if has_colon_name(&child_path) {
                    hidden.files.insert(child_path, entry_file(&child).await?);
                }
            }
        }
        Ok(hidden)
    }
}

/// Every entry of a `FileSystemDirectoryEntry` (readEntries gives batches).
async fn read_entries(dir: &JsValue) -> Result<Vec<JsValue>, WebError> {
    let reader = call(dir, "createReader", &[])?;
    let mut out = Vec::new();
    loop {
        let batch = resolve(Promise::new(&mut |ok, err| {
            let _ = call(&reader, "readEntries", &[ok.into(), err.into()]);
        }))
        .await?;
        let batch = Array::from(&batch);
        if batch.length() == 0 {
            return Ok(out);
        }
        out.extend(batch.iter());
    }
}

async fn entry_file(entry: &JsValue) -> Result<File, WebError> {
    let file = resolve(Promise::new(&mut |ok, err| {
        let _ = call(entry, "file", &[ok.into(), err.into()]);
    }))
    .await?;
    Ok(file.unchecked_into())
}

/// The manifests of an `<input webkitdirectory>` listing of the open
/// folder (or of its models folder, or of its `manifests` folder), placed
/// at their paths in the open folder, whose models folder is `models_dir`.
/// Out: the hidden ones, and the others (path, `File`) to check against
/// the handle (is it the same folder?).
pub struct ChosenManifests {
    pub hidden: HiddenFiles,
    pub visible: Vec<(String, File)>,
}

impl ChosenManifests {
    pub fn from_file_list(list: &FileList, models_dir: &str) -> Result<Self, WebError> {
        let mut hidden = HiddenFiles::default();
        let mut visible = Vec::new();
        for i in 0..list.length() {
            let Some(file) = list.item(i) else { continue };
            let rel = prop_string(&file, "webkitRelativePath").unwrap_or_default();
            let Some(manifest) = manifest_below(&rel) else {
                continue;
            };
            let path = join(models_dir, &format!("manifests/{manifest}"));
            if has_colon_name(&path) {
                hidden.files.insert(path, file);
            } else {
                visible.push((path, file));
            }
        }
        if hidden.is_empty() && visible.is_empty() {
            return Err(WebError::Other("no manifests in the chosen folder: choose the open models folder (or its manifests folder)".into()));
        }
        Ok(Self { hidden, visible })
    }
}
