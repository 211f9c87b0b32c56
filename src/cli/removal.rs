//! Carrying out a removal plan in a models folder on disk. In: the models
//! folder, the core's [`RemovalPlan`] (made from the folder as it is now)
//! and a progress callback. Out: what was removed, and why it stopped if it
//! did. Manifests first, then blobs (Ctrl-C is heeded between them), then
//! the folders left empty: stopped at any point, no manifest points at a
//! removed blob.

use crate::cli::folder::local;
use crate::core::store::removal::RemovalPlan;
use std::io::ErrorKind;
use std::path::Path;

#[derive(Debug, Default)]
pub struct Removed {
    pub models: Vec<String>,
    pub blobs: usize,
    pub bytes: u64,
    /// Why it stopped before the end: `None` done, `Some(None)` Ctrl-C,
    /// `Some(Some(why))` a file that could not be removed.
    pub stopped: Option<Option<String>>,
}

/// Removes what `plan` says from `models` (the models folder).
pub fn remove(models: &Path, plan: &RemovalPlan, progress: &dyn Fn(u64)) -> Removed {
    let mut done = Removed::default();
    for m in &plan.models {
        if let Err(e) = remove_file(models, &m.manifest_path) {
            done.stopped = Some(Some(e));
            return done;
        }
        done.models.push(m.name.clone());
    }
    for b in &plan.blobs {
        if super::interrupt::interrupted() {
            done.stopped = Some(None);
            return done;
        }
        if let Err(e) = remove_file(models, &format!("blobs/{}", b.digest.blob_file_name())) {
            done.stopped = Some(Some(e));
            return done;
        }
        done.blobs += 1;
        done.bytes += b.size;
        progress(done.bytes);
    }
    for folder in &plan.folders {
        // Only an empty folder goes.
        let _ = std::fs::remove_dir(local(models, folder));
    }
    done
}

/// Removes the file at `rel` under `models`; gone already is fine.
pub fn remove_file(models: &Path, rel: &str) -> Result<(), String> {
    let path = local(models, rel);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(format!("{}: {e}", path.display())),
        _ => Ok(()),
    }
}
