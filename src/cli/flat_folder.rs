//! A direct download as a folder (oget, omdd, curl): `manifest` and its
//! blobs side by side. In: the folder. Out: whether it is one, and its
//! files fed to the core's verifier as an archive's entries would be (one
//! entry per file, 4 MiB of data at a time, then the end), so `verify` and
//! `unpack` treat it as they treat an archive of it.

use crate::core::archive::read::{is_flat_download, EntryInfo, EntryKind, Event};
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;
use std::time::UNIX_EPOCH;

const CHUNK: usize = 4 << 20;

/// `dir` holds a flat download.
pub fn is_flat(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    let names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    is_flat_download(names.iter().map(String::as_str))
}

/// Feeds every file of `dir` (sorted by name; folders skipped) to `on`;
/// `read(n)` is told how many bytes were read. Returns the bytes read.
pub fn feed(
    dir: &Path,
    on: &mut dyn FnMut(Event<'_>),
    read: &mut dyn FnMut(u64) -> bool,
) -> io::Result<u64> {
    let mut files: Vec<(String, fs::Metadata)> = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if let (true, Ok(name)) = (meta.is_file(), entry.file_name().into_string()) {
            files.push((name, meta));
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    for (name, meta) in files {
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let info = EntryInfo {
            path: name.clone(),
            kind: EntryKind::File,
            size: meta.len(),
            size_known: true,
            mtime,
            offset: total,
        };
        on(Event::Entry(&info));
        let mut file = File::open(dir.join(&name))?;
        loop {
            let n = read_some(&mut file, &mut buf)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            on(Event::Data(&buf[..n]));
            if !read(n as u64) {
                return Ok(total);
            }
        }
        on(Event::EntryEnd);
    }
    on(Event::End);
    Ok(total)
}

/// The next bytes of `file` into `buf` (0 at its end); a read a signal
/// interrupted is tried again.
pub fn read_some(file: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}
