//! [`StoreSource`] over the local file system. In: a folder path. Out:
//! listings (following symlinks, as Ollama does when it reads) and byte
//! ranges, with I/O errors mapped to [`SourceError`].

use crate::core::source::{Entry, EntryKind, SourceError, SourceErrorKind, StoreSource};
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::UNIX_EPOCH;

pub struct FsSource {
    root: PathBuf,
}

impl FsSource {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, rel: &str) -> PathBuf {
        super::folder::local(&self.root, rel)
    }

    fn list_now(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let err = |e: io::Error| source_error(dir, &e);
        let mut out = Vec::new();
        for item in fs::read_dir(self.path(dir)).map_err(err)? {
            let item = item.map_err(err)?;
            let name = item.file_name().to_string_lossy().into_owned();
            out.push(match fs::metadata(item.path()) {
                Ok(meta) => entry(name, &meta),
                Err(_) => Entry {
                    name,
                    kind: EntryKind::Other,
                    size: 0,
                    modified_ms: None,
                },
            });
        }
        Ok(out)
    }

    fn read_now(&self, rel: &str, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        let err = |e: io::Error| source_error(rel, &e);
        let mut file = File::open(self.path(rel)).map_err(err)?;
        file.seek(SeekFrom::Start(offset)).map_err(err)?;
        let mut buf = Vec::with_capacity(len.min(16 << 20));
        file.take(len as u64).read_to_end(&mut buf).map_err(err)?;
        Ok(buf)
    }
}

fn entry(name: String, meta: &fs::Metadata) -> Entry {
    let kind = if meta.is_dir() {
        EntryKind::Dir
    } else if meta.is_file() {
        EntryKind::File
    } else {
        EntryKind::Other
    };
    let modified_ms = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_millis()).ok());
    Entry {
        name,
        kind,
        size: if meta.is_file() { meta.len() } else { 0 },
        modified_ms,
    }
}

pub fn source_error(path: &str, e: &io::Error) -> SourceError {
    let kind = match e.kind() {
        io::ErrorKind::NotFound => SourceErrorKind::NotFound,
        io::ErrorKind::PermissionDenied => SourceErrorKind::PermissionDenied,
        _ => SourceErrorKind::Other,
    };
    SourceError::new(path, kind, e.to_string())
}

impl StoreSource for FsSource {
    async fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        self.list_now(dir)
    }

    async fn read(&self, path: &str, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        self.read_now(path, offset, len)
    }
}
