//! The disk side of `pull`, in a models folder. In: the machine's file
//! actions. Out: `blobs/sha256-<hex>-partial` written at offsets with
//! Ollama's `-partial-N` part records beside it, renamed to the blob's name
//! only after its digest is verified; the manifest written last, through a
//! temporary file in `blobs/` and a rename.

use super::common::Failure;
use super::net::{partial_path, Event};
use crate::cli::FsSource;
use crate::core::digest::{Digest, DigestVerifier};
use crate::core::name::ModelName;
use crate::core::registry::{LocalBlobs, PartRecord};
use crate::core::store::layout::find_models_root;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

/// The models folder for `dir`: itself or its `models/` child when it is
/// one, or `dir` made into one when it is empty or new.
pub fn models_root(dir: &Path) -> Result<PathBuf, Failure> {
    let is_root = |p: &Path| p.join("manifests").is_dir() && p.join("blobs").is_dir();
    if dir.is_file() {
        return Err(Failure::Run(format!(
            "{}: is a file, not a folder",
            dir.display()
        )));
    }
    if is_root(dir) {
        return Ok(dir.to_path_buf());
    }
    if is_root(&dir.join("models")) {
        return Ok(dir.join("models"));
    }
    let empty = fs::read_dir(dir).map_or(true, |mut entries| entries.next().is_none());
    if !empty {
        let why = pollster::block_on(find_models_root(&FsSource::new(dir)))
            .err()
            .map_or_else(String::new, |e| e.to_string());
        return Err(Failure::Run(format!(
            "{}: {why} To start a new models folder, give an empty or new folder.",
            dir.display()
        )));
    }
    for sub in ["manifests", "blobs"] {
        fs::create_dir_all(dir.join(sub))
            .map_err(|e| Failure::Run(format!("{}: {e}", dir.join(sub).display())))?;
    }
    Ok(dir.to_path_buf())
}

fn record_path(blobs: &Path, digest: &Digest, n: usize) -> PathBuf {
    blobs.join(crate::core::registry::pull::parts::record_file_name(
        digest, n,
    ))
}

fn records(blobs: &Path, digest: &Digest) -> Vec<PathBuf> {
    let prefix = format!(
        "{}-",
        crate::core::registry::pull::parts::partial_file_name(digest)
    );
    let Ok(entries) = fs::read_dir(blobs) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix(&prefix)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|e| e.path())
        .collect()
}

/// Complete blobs and resumable downloads among `wanted`.
pub fn local_blobs(blobs: &Path, wanted: &[(Digest, u64)]) -> LocalBlobs {
    let mut local = LocalBlobs::default();
    for (digest, _) in wanted {
        if let Ok(meta) = fs::metadata(blobs.join(digest.blob_file_name())) {
            if meta.is_file() {
                local.complete.insert(digest.clone(), meta.len());
                continue;
            }
        }
        if !partial_path(blobs, digest).is_file() {
            continue;
        }
        let parsed: Option<Vec<PartRecord>> = records(blobs, digest)
            .iter()
            .map(|p| {
                fs::read(p)
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok())
            })
            .collect();
        if let Some(parts) = parsed.filter(|p| !p.is_empty()) {
            local.partial.insert(digest.clone(), parts);
        }
    }
    local
}

fn io_failure(path: &Path) -> impl Fn(io::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

pub fn open_partial(blobs: &Path, digest: &Digest, size: u64, resume: bool) -> Result<(), String> {
    if !resume {
        discard(blobs, digest)?;
    }
    let path = partial_path(blobs, digest);
    let file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&path)
        .map_err(io_failure(&path))?;
    file.set_len(size).map_err(io_failure(&path))
}

pub fn save_part(blobs: &Path, digest: &Digest, record: &PartRecord) -> Result<(), String> {
    let path = record_path(blobs, digest, record.n);
    fs::write(&path, record.to_json()).map_err(io_failure(&path))
}

pub fn commit(blobs: &Path, digest: &Digest) -> Result<(), String> {
    let from = partial_path(blobs, digest);
    let to = blobs.join(digest.blob_file_name());
    fs::rename(&from, &to).map_err(io_failure(&to))?;
    for r in records(blobs, digest) {
        fs::remove_file(&r).map_err(io_failure(&r))?;
    }
    Ok(())
}

pub fn discard(blobs: &Path, digest: &Digest) -> Result<(), String> {
    let partial = partial_path(blobs, digest);
    for path in records(blobs, digest).into_iter().chain([partial]) {
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_failure(&path)(e)),
            _ => {}
        }
    }
    Ok(())
}

/// Writes the manifest bytes unchanged, whole or not at all.
pub fn write_manifest(root: &Path, name: &ModelName, bytes: &[u8]) -> Result<PathBuf, String> {
    let path = crate::cli::folder::local(&root.join("manifests"), &name.manifest_rel_path());
    let dir = path.parent().expect("four levels");
    fs::create_dir_all(dir).map_err(io_failure(dir))?;
    let tmp = root
        .join("blobs")
        .join(format!("{}.tmp", Digest::of(bytes).blob_file_name()));
    fs::write(&tmp, bytes).map_err(io_failure(&tmp))?;
    fs::rename(&tmp, &path).map_err(io_failure(&path))?;
    Ok(path)
}

/// Hashes the partial file on a thread; the result comes as an event.
pub fn verify(blobs: &Path, digest: Digest, tx: Sender<Event>) {
    let path = partial_path(blobs, &digest);
    std::thread::spawn(move || {
        let result = hash(&path).map_err(io_failure(&path));
        let _ = tx.send(Event::Verified(digest, result));
    });
}

fn hash(path: &Path) -> io::Result<(Digest, u64)> {
    let mut file = File::open(path)?;
    let mut verifier = DigestVerifier::new();
    let mut buf = vec![0u8; 4 << 20];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => verifier.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let bytes = verifier.bytes();
    Ok((verifier.finish(), bytes))
}
