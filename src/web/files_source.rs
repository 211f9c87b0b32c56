//! [`StoreSource`] over the files of an `<input webkitdirectory>` (browsers
//! without `showDirectoryPicker`). In: a `FileList` whose files carry
//! `webkitRelativePath`. Out: the same listings and byte ranges as a
//! directory handle gives; read-only by nature.

use super::dir_source::{read_file_range, to_source_error};
use super::js::{prop_string, WebError};
use crate::core::source::{Entry, EntryKind, SourceError, SourceErrorKind, StoreSource};
use std::collections::{BTreeMap, BTreeSet};
use web_sys::{File, FileList};

pub struct FilesSource {
    name: String,
    files: BTreeMap<String, File>,
    dirs: BTreeSet<String>,
}

impl FilesSource {
    /// Builds the tree from the relative paths; the first path part (the
    /// picked folder's own name) becomes the root.
    pub fn from_file_list(list: &FileList) -> Result<Self, WebError> {
        let mut source = Self {
            name: String::new(),
            files: BTreeMap::new(),
            dirs: BTreeSet::new(),
        };
        for i in 0..list.length() {
            let Some(file) = list.item(i) else { continue };
            let rel = prop_string(&file, "webkitRelativePath")
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| file.name());
            let (top, rest) = rel.split_once('/').unwrap_or(("", rel.as_str()));
            source.name = top.to_string();
            let mut dir = rest;
            while let Some((parent, _)) = dir.rsplit_once('/') {
                source.dirs.insert(parent.to_string());
                dir = parent;
            }
            source.files.insert(rest.to_string(), file);
        }
        if source.files.is_empty() {
            return Err(WebError::Other(
                "the chosen folder is empty (or the browser gave no files)".into(),
            ));
        }
        Ok(source)
    }

    pub fn name(&self) -> String {
        self.name.clone()
    }

    pub fn file(&self, path: &str) -> Result<File, WebError> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| WebError::NotFound(path.to_string()))
    }

    fn child<'a>(dir: &str, path: &'a str) -> Option<&'a str> {
        let rest = if dir.is_empty() {
            path
        } else {
            path.strip_prefix(dir)?.strip_prefix('/')?
        };
        (!rest.is_empty() && !rest.contains('/')).then_some(rest)
    }
}

impl StoreSource for FilesSource {
    async fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        if !dir.is_empty() && !self.dirs.contains(dir) {
            return Err(SourceError::new(
                dir,
                SourceErrorKind::NotFound,
                "no such folder",
            ));
        }
        let files = self.files.iter().filter_map(|(p, f)| {
            Self::child(dir, p).map(|name| Entry {
                name: name.into(),
                kind: EntryKind::File,
                size: f.size() as u64,
                modified_ms: Some(f.last_modified() as i64),
            })
        });
        let dirs = self.dirs.iter().filter_map(|p| {
            Self::child(dir, p).map(|name| Entry {
                name: name.into(),
                kind: EntryKind::Dir,
                size: 0,
                modified_ms: None,
            })
        });
        Ok(files.chain(dirs).collect())
    }

    async fn read(&self, path: &str, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        let file = self
            .files
            .get(path)
            .ok_or_else(|| SourceError::new(path, SourceErrorKind::NotFound, "no such file"))?;
        read_file_range(file, offset, len)
            .await
            .map_err(|e| to_source_error(path, e))
    }
}
