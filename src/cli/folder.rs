//! Where a command reads or writes. In: the folder a user typed. Out: its
//! absolute path, for reading and for printing. `std::path::absolute`, not
//! `canonicalize`: the same on every OS (on Windows `canonicalize` gives
//! `\\?\C:\…`, which users do not type and many tools do not take). And
//! the local path of a store path (`/`-separated, relative).

use std::path::{Path, PathBuf};

/// `dir` made absolute (as typed when that fails).
pub fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// The local path of `rel` (`/`-separated, relative to `root`).
pub fn local(root: &Path, rel: &str) -> PathBuf {
    rel.split('/')
        .filter(|p| !p.is_empty())
        .fold(root.to_path_buf(), |p, part| p.join(part))
}
