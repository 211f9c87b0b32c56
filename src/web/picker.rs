//! Getting a folder from the user. In: a click (directory picker), a drop,
//! or an `<input webkitdirectory>` change. Out: a [`BrowserSource`] opened
//! read-only, or a [`WebError`] (cancelled, unsupported, denied).

use super::dir_source::DirSource;
use super::files_source::FilesSource;
use super::hash_pool::BlobFile;
use super::hidden::HiddenFiles;
use super::js::{call, call_method, prop, resolve, window, WebError};
use crate::core::source::{Entry, SourceError, StoreSource};
use js_sys::{Object, Reflect};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    DataTransfer, FileList, FileSystemDirectoryHandle, FileSystemHandle, FileSystemHandleKind,
};

/// A folder the user gave us, however it came.
pub enum BrowserSource {
    Dir(DirSource),
    Files(FilesSource),
}

impl BrowserSource {
    pub fn name(&self) -> String {
        match self {
            Self::Dir(d) => d.name(),
            Self::Files(f) => f.name(),
        }
    }

    /// The `File` at `path`, to hand to a worker.
    pub async fn file(&self, path: &str) -> Result<web_sys::File, WebError> {
        match self {
            Self::Dir(d) => d.file(path).await,
            Self::Files(f) => f.file(path),
        }
    }

    /// The blob at `path` for a verify worker: its `File`, and its handle
    /// when this is a folder handle.
    pub async fn blob_file(&self, path: &str) -> Result<BlobFile, WebError> {
        match self {
            Self::Dir(d) => {
                let handle = d.file_handle(path).await?;
                let file = resolve(handle.get_file()).await?.unchecked_into();
                Ok(BlobFile {
                    file,
                    handle: Some(handle),
                })
            }
            Self::Files(f) => Ok(BlobFile {
                file: f.file(path)?,
                handle: None,
            }),
        }
    }
}

impl StoreSource for BrowserSource {
    async fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        match self {
            Self::Dir(d) => d.list(dir).await,
            Self::Files(f) => f.list(dir).await,
        }
    }

    async fn read(&self, path: &str, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        match self {
            Self::Dir(d) => d.read(path, offset, len).await,
            Self::Files(f) => f.read(path, offset, len).await,
        }
    }

    async fn list_many(&self, dirs: &[String]) -> Vec<Result<Vec<Entry>, SourceError>> {
        match self {
            Self::Dir(d) => d.list_many(dirs).await,
            Self::Files(f) => f.list_many(dirs).await,
        }
    }

    async fn read_many(&self, files: &[(String, usize)]) -> Vec<Result<Vec<u8>, SourceError>> {
        match self {
            Self::Dir(d) => d.read_many(files).await,
            Self::Files(f) => f.read_many(files).await,
        }
    }
}

/// Whether this browser can open folders through `showDirectoryPicker`.
pub fn has_directory_picker() -> bool {
    window()
        .ok()
        .and_then(|w| prop(&w, "showDirectoryPicker"))
        .is_some()
}

/// Opens the browser's folder picker, read-only.
pub async fn pick_directory() -> Result<BrowserSource, WebError> {
    let handle = show_directory_picker(
        "ollama-models",
        "choose the folder with the file input below",
    )
    .await?;
    Ok(BrowserSource::Dir(DirSource::new(handle)))
}

/// The browser's folder picker, read-only, remembering its place under
/// `id`; `otherwise` says what to do in a browser without it.
pub async fn show_directory_picker(
    id: &str,
    otherwise: &str,
) -> Result<FileSystemDirectoryHandle, WebError> {
    let w = window()?;
    let options = Object::new();
    let _ = Reflect::set(&options, &"mode".into(), &"read".into());
    let _ = Reflect::set(&options, &"id".into(), &id.into());
    let promise = call_method(&w, "showDirectoryPicker", &[options.into()]).map_err(|e| match e {
        WebError::Unsupported(_) => WebError::Unsupported(format!(
            "This browser cannot open folders (no showDirectoryPicker). Use Chrome or Edge, or {otherwise}."
        )),
        other => other,
    })?;
    Ok(resolve(promise).await?.unchecked_into())
}

/// What was dropped, taken while the drop event runs (the browser lets a
/// page read a drop only then): the item's handle and its entry.
pub struct Dropped {
    data: DataTransfer,
    handle: Option<js_sys::Promise>,
    entry: Option<JsValue>,
}

impl Dropped {
    pub fn take(data: DataTransfer) -> Self {
        let item = data.items().get(0);
        let handle = item
            .as_ref()
            .filter(|i| prop(i, "getAsFileSystemHandle").is_some())
            .and_then(|i| call_method(i, "getAsFileSystemHandle", &[]).ok());
        // The entry of the same item lists names the handle hides (':').
        let entry = item.and_then(|i| call(&i, "webkitGetAsEntry", &[]).ok());
        Self {
            data,
            handle,
            entry: entry.filter(|e| prop(e, "isDirectory").is_some_and(|v| v.is_truthy())),
        }
    }
}

/// The folder dropped on the page, if a folder it was.
pub async fn from_drop(dropped: Dropped) -> Result<BrowserSource, WebError> {
    let Dropped {
        data,
        handle,
        entry,
    } = dropped;
    let Some(handle) = handle else {
        return from_file_list(data.files().as_ref());
    };
    let handle: JsValue = resolve(handle).await?;
    // No handle (not from the file system): read what was dropped as files.
    let Ok(handle) = handle.dyn_into::<FileSystemHandle>() else {
        return from_file_list(data.files().as_ref());
    };
    if handle.kind() != FileSystemHandleKind::Directory {
        return Err(WebError::Other(format!(
            "\"{}\" is a file; drop the models folder (or ~/.ollama) here, or an archive on \"Open an archive\"",
            handle.name()
        )));
    }
    let source = DirSource::new(handle.unchecked_into());
    if let Some(entry) = entry {
        source.see_hidden(Rc::new(HiddenFiles::from_entry(&entry).await?));
    }
    Ok(BrowserSource::Dir(source))
}

/// The folder chosen through `<input type=file webkitdirectory>`.
pub fn from_file_list(list: Option<&FileList>) -> Result<BrowserSource, WebError> {
    let list = list.ok_or_else(|| WebError::Other("no folder was chosen".into()))?;
    Ok(BrowserSource::Files(FilesSource::from_file_list(list)?))
}
