//! Carrying out a removal plan in a models folder the page may edit. In:
//! the models folder's handle, the core's [`RemovalPlan`] (made from the
//! folder as it is now), a Cancel check and a progress callback. Out: what
//! was removed, and why it stopped if it stopped. Manifests go first, then
//! the blobs, then the folders left empty: stopped at any point, no
//! manifest points at a removed blob.

use super::js::{resolve, WebError};
use super::store_writer::dir;
use crate::core::store::removal::RemovalPlan;
use web_sys::FileSystemDirectoryHandle;

/// Why a removal stopped before the end.
#[derive(Debug, Clone, PartialEq)]
pub enum Stopped {
    Cancelled,
    Failed(String),
}

/// What a removal did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Removed {
    /// Display names of the models whose manifests went.
    pub models: Vec<String>,
    pub blobs: usize,
    pub bytes: u64,
    pub stopped: Option<Stopped>,
}

/// Removes what `plan` says from `models`; `cancelled` is asked between
/// steps, `progress` told the bytes freed so far.
pub async fn remove(
    models: &FileSystemDirectoryHandle,
    plan: &RemovalPlan,
    cancelled: &dyn Fn() -> bool,
    progress: &dyn Fn(u64),
) -> Removed {
    let mut done = Removed::default();
    for m in &plan.models {
        if let Err(e) = remove_file(models, &m.manifest_path).await {
            done.stopped = Some(Stopped::Failed(format!("{}: {e}", m.manifest_path)));
            return done;
        }
        done.models.push(m.name.clone());
    }
    for b in &plan.blobs {
        if cancelled() {
            done.stopped = Some(Stopped::Cancelled);
            return done;
        }
        let path = format!("blobs/{}", b.digest.blob_file_name());
        if let Err(e) = remove_file(models, &path).await {
            done.stopped = Some(Stopped::Failed(format!("{path}: {e}")));
            return done;
        }
        done.blobs += 1;
        done.bytes += b.size;
        progress(done.bytes);
    }
    for folder in &plan.folders {
        // Only an empty folder goes (anything else there stays, and so does it).
        let _ = remove_file(models, folder).await;
    }
    done
}

/// Removes the file (or empty folder) at `rel`; gone already is fine.
pub async fn remove_file(models: &FileSystemDirectoryHandle, rel: &str) -> Result<(), WebError> {
    let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let parent = match dir(models, parent, false).await {
        Ok(parent) => parent,
        Err(WebError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    match resolve(parent.remove_entry(name)).await {
        Ok(_) | Err(WebError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}
