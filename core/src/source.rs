//! The seam between the core and a driver. In: a driver's folder (a browser
//! directory handle, a std::fs path, a map in memory) behind the
//! [`StoreSource`] trait. Out: listings and byte ranges, with failures as a
//! typed [`SourceError`]. Paths are relative, `/`-separated, `""` is the
//! picked folder itself.

use std::collections::BTreeMap;
use std::future::Future;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    /// Symlink, device, socket: never followed or read.
    Other,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub kind: EntryKind,
    /// File size in bytes (0 for directories).
    pub size: u64,
    /// Last modification, milliseconds since the Unix epoch, if known.
    pub modified_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceErrorKind {
    NotFound,
    PermissionDenied,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SourceError {
    pub path: String,
    pub kind: SourceErrorKind,
    pub message: String,
}

impl SourceError {
    pub fn new(path: &str, kind: SourceErrorKind, message: impl Into<String>) -> Self {
        Self {
            path: path.to_string(),
            kind,
            message: message.into(),
        }
    }
}

/// Read-only access to a folder tree. Drivers implement it; the core walks it.
pub trait StoreSource {
    /// Lists a directory (not recursive), in any order.
    fn list(&self, dir: &str) -> impl Future<Output = Result<Vec<Entry>, SourceError>>;
    /// Reads up to `len` bytes at `offset`; fewer only at end of file.
    fn read(
        &self,
        path: &str,
        offset: u64,
        len: usize,
    ) -> impl Future<Output = Result<Vec<u8>, SourceError>>;

    /// Lists each of `dirs`, results in the same order. A driver whose
    /// every call is a round trip (the browser's file handles) overrides
    /// this to have them all in flight at once; by default one by one.
    fn list_many(
        &self,
        dirs: &[String],
    ) -> impl Future<Output = Vec<Result<Vec<Entry>, SourceError>>> {
        async move {
            let mut out = Vec::with_capacity(dirs.len());
            for dir in dirs {
                out.push(self.list(dir).await);
            }
            out
        }
    }

    /// Reads the first `len` bytes of each `(path, len)`, results in the
    /// same order; as [`Self::list_many`], all at once where it pays.
    fn read_many(
        &self,
        files: &[(String, usize)],
    ) -> impl Future<Output = Vec<Result<Vec<u8>, SourceError>>> {
        async move {
            let mut out = Vec::with_capacity(files.len());
            for (path, len) in files {
                out.push(self.read(path, 0, *len).await);
            }
            out
        }
    }
}

/// Joins relative path parts, skipping empty ones.
pub fn join(base: &str, name: &str) -> String {
    match (base.is_empty(), name.is_empty()) {
        (true, _) => name.to_string(),
        (_, true) => base.to_string(),
        _ => format!("{base}/{name}"),
    }
}

/// A folder tree held in memory: for tests, and for building stores.
#[derive(Debug, Clone, Default)]
pub struct MemSource {
    files: BTreeMap<String, (Vec<u8>, i64)>,
    dirs: BTreeMap<String, ()>,
}

impl MemSource {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_file(&mut self, path: &str, bytes: impl Into<Vec<u8>>, modified_ms: i64) {
        let mut dir = path;
        while let Some((parent, _)) = dir.rsplit_once('/') {
            self.dirs.insert(parent.to_string(), ());
            dir = parent;
        }
        self.files
            .insert(path.to_string(), (bytes.into(), modified_ms));
    }

    pub fn add_dir(&mut self, path: &str) {
        self.add_file(&join(path, "\0"), Vec::new(), 0);
        self.files.remove(&join(path, "\0"));
    }

    pub fn remove(&mut self, path: &str) {
        self.files.remove(path);
    }

    pub fn files(&self) -> impl Iterator<Item = (&String, &Vec<u8>)> {
        self.files.iter().map(|(k, (v, _))| (k, v))
    }

    fn child_of<'a>(dir: &str, path: &'a str) -> Option<&'a str> {
        let rest = if dir.is_empty() {
            path
        } else {
            path.strip_prefix(dir)?.strip_prefix('/')?
        };
        (!rest.is_empty() && !rest.contains('/')).then_some(rest)
    }

    fn list_now(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        if !dir.is_empty() && !self.dirs.contains_key(dir) {
            return Err(SourceError::new(
                dir,
                SourceErrorKind::NotFound,
                "no such folder",
            ));
        }
        let files = self.files.iter().filter_map(|(p, (bytes, mtime))| {
            Self::child_of(dir, p).map(|name| Entry {
                name: name.to_string(),
                kind: EntryKind::File,
                size: bytes.len() as u64,
                modified_ms: Some(*mtime),
            })
        });
        let dirs = self.dirs.keys().filter_map(|p| {
            Self::child_of(dir, p).map(|name| Entry {
                name: name.to_string(),
                kind: EntryKind::Dir,
                size: 0,
                modified_ms: None,
            })
        });
        Ok(files.chain(dirs).collect())
    }

    fn read_now(&self, path: &str, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        let (bytes, _) = self
            .files
            .get(path)
            .ok_or_else(|| SourceError::new(path, SourceErrorKind::NotFound, "no such file"))?;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let end = start.saturating_add(len).min(bytes.len());
        Ok(bytes[start..end].to_vec())
    }
}

impl StoreSource for MemSource {
    async fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        self.list_now(dir)
    }

    async fn read(&self, path: &str, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        self.read_now(path, offset, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_files_and_dirs_one_level() {
        let mut m = MemSource::new();
        m.add_file("a/b/c.txt", b"hello".to_vec(), 5);
        m.add_file("a/top", b"x".to_vec(), 6);
        m.add_dir("a/empty");
        let mut names: Vec<_> = m
            .list_now("a")
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.kind))
            .collect();
        names.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(
            names,
            vec![
                ("b".into(), EntryKind::Dir),
                ("empty".into(), EntryKind::Dir),
                ("top".into(), EntryKind::File)
            ]
        );
        assert_eq!(m.read_now("a/b/c.txt", 1, 3).unwrap(), b"ell");
        assert_eq!(m.read_now("a/b/c.txt", 4, 100).unwrap(), b"o");
        assert_eq!(m.read_now("a/b/c.txt", 99, 1).unwrap(), b"");
        assert_eq!(
            m.list_now("nope").unwrap_err().kind,
            SourceErrorKind::NotFound
        );
    }
}
