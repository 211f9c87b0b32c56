//! [`StoreSource`] over a File System Access directory handle (picked,
//! dropped, or in the Origin Private File System). In: relative paths. Out:
//! listings with sizes and mtimes, and byte ranges read by `File.slice`.
//! In a folder on disk the handle cannot reach names holding ':'; what
//! another listing of the folder showed of those ([`HiddenFiles`]) is
//! listed and read beside it.

use super::hidden::HiddenFiles;
use super::join::join_all;
use super::js::{resolve, WebError};
use crate::core::source::{Entry, EntryKind, SourceError, SourceErrorKind, StoreSource};
use crate::core::store::layout::has_colon_name;
use futures_util::StreamExt;
use js_sys::{Array, Uint8Array};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::stream::JsStream;
use web_sys::{File, FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemHandleKind};

pub struct DirSource {
    root: FileSystemDirectoryHandle,
    dirs: RefCell<HashMap<String, FileSystemDirectoryHandle>>,
    hidden: RefCell<Rc<HiddenFiles>>,
    /// Whether a listing that shows every name was consulted.
    seen_all: Cell<bool>,
}

fn source_error(path: &str, e: WebError) -> SourceError {
    let kind = match e {
        WebError::NotFound(_) => SourceErrorKind::NotFound,
        WebError::PermissionDenied(_) => SourceErrorKind::PermissionDenied,
        _ => SourceErrorKind::Other,
    };
    SourceError::new(path, kind, e.to_string())
}

impl DirSource {
    pub fn new(root: FileSystemDirectoryHandle) -> Self {
        Self {
            root,
            dirs: RefCell::default(),
            hidden: RefCell::default(),
            seen_all: Cell::new(false),
        }
    }

    /// The same folder read afresh (no cached handles), keeping what
    /// another listing showed of it.
    pub fn reopened(&self) -> Self {
        let fresh = Self::new(self.root.clone());
        fresh.see_hidden(self.hidden.borrow().clone());
        fresh.seen_all.set(self.seen_all.get());
        fresh
    }

    /// What a listing showing every name found that the handle cannot see.
    pub fn see_hidden(&self, hidden: Rc<HiddenFiles>) {
        *self.hidden.borrow_mut() = hidden;
        self.seen_all.set(true);
    }

    /// Whether every name in the folder was seen (see [`Self::see_hidden`]).
    pub fn sees_every_name(&self) -> bool {
        self.seen_all.get()
    }

    /// How many files only the other listing showed.
    pub fn hidden_count(&self) -> usize {
        self.hidden.borrow().len()
    }

    pub fn name(&self) -> String {
        self.root.name()
    }

    pub fn handle(&self) -> &FileSystemDirectoryHandle {
        &self.root
    }

    /// The handle of a folder, walking from the root and caching each step.
    async fn dir(&self, path: &str) -> Result<FileSystemDirectoryHandle, WebError> {
        let mut current = self.root.clone();
        let mut walked = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            walked = crate::core::source::join(&walked, part);
            let cached = self.dirs.borrow().get(&walked).cloned();
            current = match cached {
                Some(handle) => handle,
                None => {
                    let handle: FileSystemDirectoryHandle =
                        resolve(current.get_directory_handle(part))
                            .await?
                            .unchecked_into();
                    self.dirs
                        .borrow_mut()
                        .insert(walked.clone(), handle.clone());
                    handle
                }
            };
        }
        Ok(current)
    }

    /// The handle of the file at `path`.
    pub async fn file_handle(&self, path: &str) -> Result<FileSystemFileHandle, WebError> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        Ok(resolve(self.dir(dir).await?.get_file_handle(name))
            .await?
            .unchecked_into())
    }

    /// The `File` at `path` (a snapshot the browser can hand to a worker).
    pub async fn file(&self, path: &str) -> Result<File, WebError> {
        if let Some(file) = self.hidden.borrow().file(path) {
            return Ok(file.clone());
        }
        let handle = self.file_handle(path).await?;
        Ok(resolve(handle.get_file()).await?.unchecked_into())
    }

    async fn list_now(&self, dir: &str) -> Result<Vec<Entry>, WebError> {
        let hidden = self.hidden.borrow().clone();
        // What the handle cannot reach (on disk: names with ':') is listed
        // from the other listing alone.
        if has_colon_name(dir) && hidden.has_dir(dir) {
            return Ok(hidden.children(dir));
        }
        let mut entries = self.list_handle(dir).await?;
        let extra: Vec<Entry> = hidden
            .children(dir)
            .into_iter()
            .filter(|h| !entries.iter().any(|e| e.name == h.name))
            .collect();
        entries.extend(extra);
        Ok(entries)
    }

    async fn list_handle(&self, dir: &str) -> Result<Vec<Entry>, WebError> {
        let handle = self.dir(dir).await?;
        let mut stream = JsStream::from(handle.values());
        let (mut entries, mut files) = (Vec::new(), Vec::new());
        while let Some(item) = stream.next().await {
            let item: web_sys::FileSystemHandle =
                item.map_err(|e| WebError::from_js(&e))?.unchecked_into();
            match item.kind() {
                FileSystemHandleKind::Directory => entries.push(Entry {
                    name: item.name(),
                    kind: EntryKind::Dir,
                    size: 0,
                    modified_ms: None,
                }),
                _ => files.push(item.unchecked_into::<FileSystemFileHandle>().get_file()),
            }
        }
        // Ask for every file's metadata at once: one round trip, not N.
        let all = resolve(js_sys::Promise::all(&files.into_iter().collect::<Array>())).await?;
        for file in Array::from(&all).iter() {
            let file: File = file.unchecked_into();
            entries.push(Entry {
                name: file.name(),
                kind: EntryKind::File,
                size: file.size() as u64,
                modified_ms: Some(file.last_modified() as i64),
            });
        }
        Ok(entries)
    }

    async fn read_now(&self, path: &str, offset: u64, len: usize) -> Result<Vec<u8>, WebError> {
        read_file_range(&self.file(path).await?, offset, len).await
    }
}

/// Reads `len` bytes at `offset` of a `File` (fewer at its end).
pub async fn read_file_range(file: &File, offset: u64, len: usize) -> Result<Vec<u8>, WebError> {
    let end = (offset as f64 + len as f64).min(file.size());
    let blob = file
        .slice_with_f64_and_f64(offset as f64, end)
        .map_err(|e| WebError::from_js(&e))?;
    let buffer = resolve(blob.array_buffer()).await?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

impl StoreSource for DirSource {
    async fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        self.list_now(dir).await.map_err(|e| source_error(dir, e))
    }

    async fn read(&self, path: &str, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        self.read_now(path, offset, len)
            .await
            .map_err(|e| source_error(path, e))
    }

    // Every call is a round trip to the browser's file system: all of a
    // level's listings, or all manifests, in flight at once.
    async fn list_many(&self, dirs: &[String]) -> Vec<Result<Vec<Entry>, SourceError>> {
        join_all(dirs.iter().map(|d| self.list(d))).await
    }

    async fn read_many(&self, files: &[(String, usize)]) -> Vec<Result<Vec<u8>, SourceError>> {
        join_all(files.iter().map(|(p, len)| self.read(p, 0, *len))).await
    }
}

pub(super) fn to_source_error(path: &str, e: WebError) -> SourceError {
    source_error(path, e)
}
