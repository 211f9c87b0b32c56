//! What the user opened to check or import: an archive `File`, or a
//! direct download's folder (oget, omdd, curl: `manifest` beside its
//! blobs). In: a `File`, or a folder's handle. Out: its bytes in chunks,
//! with flat memory; a folder's files come as the plain tar an archive of
//! it would be (the core's tar headers, each file's bytes, padding, the
//! end), so the one archive reader and verifier read both. Crosses from
//! the app to the engine module as a `File` or an array of `File`s.

use super::file_chunks::{FileChunks, CHUNK};
use super::js::{call, prop, resolve, WebError};
use super::picker::show_directory_picker;
use crate::core::archive::header::{entry_len, file_header, padding, END_OF_ARCHIVE};
use futures_util::StreamExt;
use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::stream::JsStream;
use web_sys::{File, FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemHandleKind};

#[derive(Clone, PartialEq)]
pub enum ArchiveInput {
    Archive(File),
    /// A folder's files (sorted by name; sub-folders left out).
    Folder {
        name: String,
        files: Vec<File>,
    },
}

impl ArchiveInput {
    /// The files directly in `dir`, as a direct download to check.
    pub async fn from_folder(dir: &FileSystemDirectoryHandle) -> Result<Self, WebError> {
        let mut stream = JsStream::from(dir.values());
        let mut pending = Array::new();
        while let Some(item) = futures_next(&mut stream).await {
            let item: web_sys::FileSystemHandle = item?.unchecked_into();
            if item.kind() == FileSystemHandleKind::File {
                pending.push(&item.unchecked_into::<FileSystemFileHandle>().get_file());
            }
        }
        let all = resolve(js_sys::Promise::all(&pending)).await?;
        pending = Array::from(&all);
        let files: Vec<File> = pending.iter().map(JsCast::unchecked_into).collect();
        Ok(Self::folder(dir.name(), files))
    }

    pub fn folder(name: String, mut files: Vec<File>) -> Self {
        files.sort_by_key(File::name);
        Self::Folder { name, files }
    }

    pub fn name(&self) -> String {
        match self {
            Self::Archive(f) => f.name(),
            Self::Folder { name, .. } => format!("{name}/"),
        }
    }

    /// Bytes [`ArchiveChunks`] yields.
    pub fn size(&self) -> u64 {
        match self {
            Self::Archive(f) => f.size() as u64,
            Self::Folder { files, .. } => {
                let entries: u64 = files.iter().map(|f| entry_len(&f.name(), size(f))).sum();
                entries + END_OF_ARCHIVE.len() as u64
            }
        }
    }

    /// For the engine: the `File`, or an array of them.
    pub fn to_js(&self) -> JsValue {
        match self {
            Self::Archive(f) => f.into(),
            Self::Folder { files, .. } => files.iter().collect::<Array>().into(),
        }
    }

    pub fn from_js(value: JsValue) -> Self {
        match value.dyn_into::<File>() {
            Ok(file) => Self::Archive(file),
            Err(value) => {
                let list = Array::from(&value);
                let files = list.iter().map(JsCast::unchecked_into).collect();
                Self::folder(String::new(), files)
            }
        }
    }

    pub fn chunks(&self) -> Result<ArchiveChunks, WebError> {
        Ok(match self {
            Self::Archive(f) => ArchiveChunks::File(FileChunks::open(f)?),
            Self::Folder { files, .. } => ArchiveChunks::Folder(FolderTar {
                files: files.clone(),
                next: 0,
                current: None,
                ended: false,
                buf: Vec::new(),
            }),
        })
    }
}

/// Asks the user for a direct download's folder (read access).
pub async fn pick_download_folder() -> Result<ArchiveInput, WebError> {
    let dir =
        show_directory_picker("ollama-downloads", "make a tar of the folder and open that").await?;
    ArchiveInput::from_folder(&dir).await
}

/// What was dropped: a folder (as a direct download), else the first file.
/// `handle` is the item's `getAsFileSystemHandle()` promise, taken while
/// the drop event ran.
pub async fn from_drop(
    handle: Option<js_sys::Promise>,
    file: Option<File>,
) -> Result<Option<ArchiveInput>, WebError> {
    if let Some(handle) = handle {
        let handle = resolve(handle).await?;
        if let Ok(dir) = handle.dyn_into::<FileSystemDirectoryHandle>() {
            return ArchiveInput::from_folder(&dir).await.map(Some);
        }
    }
    Ok(file.map(ArchiveInput::Archive))
}

/// The first dropped item's `getAsFileSystemHandle()`, where the browser
/// has it; call while the drop event runs.
pub fn dropped_handle(data: &web_sys::DataTransfer) -> Option<js_sys::Promise> {
    let item = data.items().get(0)?;
    prop(&item, "getAsFileSystemHandle")?;
    call(&item, "getAsFileSystemHandle", &[])
        .ok()
        .map(JsCast::unchecked_into)
}

async fn futures_next(stream: &mut JsStream) -> Option<Result<JsValue, WebError>> {
    stream
        .next()
        .await
        .map(|r| r.map_err(|e| WebError::from_js(&e)))
}

fn size(file: &File) -> u64 {
    file.size() as u64
}

pub enum ArchiveChunks {
    File(FileChunks),
    Folder(FolderTar),
}

impl ArchiveChunks {
    /// Replaces `out` with the next chunk; empty at the end.
    pub async fn next_into(&mut self, out: &mut Vec<u8>) -> Result<(), WebError> {
        match self {
            Self::File(f) => f.next_into(out).await,
            Self::Folder(f) => f.next_into(out).await,
        }
    }
}

/// A folder's files as a tar, produced as it is read.
pub struct FolderTar {
    files: Vec<File>,
    next: usize,
    /// The file being read, and its size.
    current: Option<(FileChunks, u64)>,
    ended: bool,
    /// The current file's last chunk, reused.
    buf: Vec<u8>,
}

impl FolderTar {
    async fn next_into(&mut self, out: &mut Vec<u8>) -> Result<(), WebError> {
        out.clear();
        let chunk = &mut self.buf;
        while out.len() < CHUNK {
            if let Some((reader, size)) = &mut self.current {
                reader.next_into(chunk).await?;
                if chunk.is_empty() {
                    out.resize(out.len() + padding(*size), 0);
                    self.current = None;
                } else {
                    out.extend_from_slice(chunk);
                }
            } else if let Some(file) = self.files.get(self.next) {
                self.next += 1;
                let mtime = (file.last_modified() / 1000.0).max(0.0) as u64;
                out.extend_from_slice(&file_header(&file.name(), size(file), mtime));
                self.current = Some((FileChunks::open(file)?, size(file)));
            } else {
                if !self.ended {
                    out.extend_from_slice(&END_OF_ARCHIVE);
                    self.ended = true;
                }
                break;
            }
        }
        Ok(())
    }
}
