//! The disk side of a pull, in a models folder the browser can write (a
//! picked folder or one in OPFS). In: the pull machine's file actions.
//! Out: `blobs/sha256-<hex>-partial` written at offsets, Ollama's
//! `-partial-N` part records beside it, the blob renamed to its final name
//! only after its digest verified, and the manifest written last. Every
//! write also goes to the pull's [`StreamHashers`], which hash the blob
//! while it downloads.
//!
//! In OPFS the pull's writer worker writes the partial file through a sync
//! access handle (bytes are in the file once written); elsewhere (a picked
//! folder) the page writes through a [`PageWritable`], whose bytes the
//! browser commits at its checkpoints and when it is closed. Either way
//! part records are written only after their bytes are committed: a tab
//! closed mid-pull leaves records that never claim more than the partial
//! file holds.

use super::js::{resolve, WebError};
use super::opfs;
use super::page_writable::PageWritable;
use super::store_writer;
use super::stream_hash::StreamHashers;
use crate::core::digest::Digest;
use crate::core::format::human_bytes;
use crate::core::name::ModelName;
use crate::core::registry::pull::parts::{partial_file_name, record_file_name};
use crate::core::registry::{LocalBlobs, PartRecord};
use futures_util::future::{ready, LocalBoxFuture};
use js_sys::Uint8Array;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{File, FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemGetFileOptions};

enum Partial {
    /// The page writes through a writable stream.
    Writable(PageWritable),
    /// The pull's writer worker writes through a sync access handle.
    Worker,
}

/// Bytes per write buffer (the buffer moves to a worker after its write).
pub const WRITE_BUFFER: u32 = 4 << 20;

/// A models folder being pulled into. Cheap to clone (shared state).
#[derive(Clone)]
pub struct PullFiles {
    models: FileSystemDirectoryHandle,
    blobs: FileSystemDirectoryHandle,
    open: Rc<RefCell<HashMap<Digest, Rc<Partial>>>>,
    /// Part records whose bytes are not committed yet.
    records: Rc<RefCell<HashMap<Digest, BTreeMap<usize, PartRecord>>>>,
    hashers: StreamHashers,
    /// The folder is in OPFS (and `?writes=page` is not set): the pull
    /// workers may write the partial files through sync access handles.
    in_opfs: bool,
}

async fn file_handle(
    dir: &FileSystemDirectoryHandle,
    name: &str,
    create: bool,
) -> Result<FileSystemFileHandle, WebError> {
    let options = FileSystemGetFileOptions::new();
    options.set_create(create);
    Ok(resolve(dir.get_file_handle_with_options(name, &options))
        .await?
        .unchecked_into())
}

/// `?writes=page` in the page's address: pulls write through the page's
/// writable streams even in OPFS, as they do in a folder on disk (so that
/// path can be tried, and tested, without a folder picked by hand).
fn page_writes() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|q| q.split(['?', '&']).any(|p| p == "writes=page"))
}

/// Where the manifest of `name` lives under the models folder.
fn manifest_rel(name: &ModelName) -> String {
    format!("manifests/{}", name.manifest_rel_path())
}

async fn file_of(handle: &FileSystemFileHandle) -> Result<File, WebError> {
    Ok(resolve(handle.get_file()).await?.unchecked_into())
}

async fn remove(dir: &FileSystemDirectoryHandle, name: &str) -> Result<(), WebError> {
    match resolve(dir.remove_entry(name)).await {
        Ok(_) | Err(WebError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

impl PullFiles {
    /// `models` is the models folder (with `manifests/` and `blobs/`, made
    /// here when missing), already granted `readwrite`.
    pub async fn new(
        models: FileSystemDirectoryHandle,
        hashers: StreamHashers,
    ) -> Result<Self, WebError> {
        let blobs = store_writer::dir(&models, "blobs", true).await?;
        store_writer::dir(&models, "manifests", true).await?;
        let in_opfs = !page_writes() && opfs::contains(&blobs).await;
        Ok(Self {
            in_opfs,
            models,
            blobs,
            open: Rc::default(),
            records: Rc::default(),
            hashers,
        })
    }

    pub fn models(&self) -> &FileSystemDirectoryHandle {
        &self.models
    }

    /// Complete blobs and resumable downloads among `wanted`.
    pub async fn local_blobs(&self, wanted: &[(Digest, u64)]) -> LocalBlobs {
        let mut local = LocalBlobs::default();
        for (digest, _) in wanted {
            if let Ok(h) = file_handle(&self.blobs, &digest.blob_file_name(), false).await {
                if let Ok(file) = file_of(&h).await {
                    local.complete.insert(digest.clone(), file.size() as u64);
                    continue;
                }
            }
            if file_handle(&self.blobs, &partial_file_name(digest), false)
                .await
                .is_err()
            {
                continue;
            }
            let parts = self.saved_records(digest).await;
            if !parts.is_empty() {
                local.partial.insert(digest.clone(), parts);
            }
        }
        local
    }

    /// The records `-partial-0`, `-partial-1`… up to the first missing one;
    /// none at all when one of them does not parse.
    async fn saved_records(&self, digest: &Digest) -> Vec<PartRecord> {
        let mut parts = Vec::new();
        for n in 0.. {
            let name = format!("blobs/{}", record_file_name(digest, n));
            let Ok(Some(bytes)) = store_writer::read_file(&self.models, &name).await else {
                break;
            };
            match serde_json::from_slice(&bytes) {
                Ok(record) => parts.push(record),
                Err(_) => return Vec::new(),
            }
        }
        parts
    }

    /// Opens the partial file for writes at offsets (kept when resuming),
    /// at its full size: a disk without room for the blob says so before
    /// anything is downloaded.
    pub async fn open_partial(
        &self,
        digest: &Digest,
        size: u64,
        resume: bool,
    ) -> Result<(), WebError> {
        self.open_sized(digest, size, resume)
            .await
            .map_err(|e| match e {
                WebError::DiskFull(m) => WebError::DiskFull(format!(
                    "{m}; {} needs {}",
                    digest.blob_file_name(),
                    human_bytes(size)
                )),
                other => other,
            })
    }

    async fn open_sized(&self, digest: &Digest, size: u64, resume: bool) -> Result<(), WebError> {
        if !resume {
            self.discard(digest).await?;
        }
        let handle = file_handle(&self.blobs, &partial_file_name(digest), true).await?;
        self.hashers.begin(digest);
        let partial = if self.in_opfs && self.hashers.open_sync(digest, &handle, size).await? {
            Partial::Worker
        } else {
            let keep = if resume {
                Some(self.saved_end(digest).await)
            } else {
                None
            };
            Partial::Writable(PageWritable::open(handle, size, keep).await?)
        };
        self.open
            .borrow_mut()
            .insert(digest.clone(), Rc::new(partial));
        Ok(())
    }

    /// A [`WRITE_BUFFER`]-byte buffer to read into: one a worker gave
    /// back, or a new one.
    pub fn write_buffer(&self) -> Uint8Array {
        self.hashers.buffer(WRITE_BUFFER)
    }

    /// Writes the first `len` bytes of `buffer` at `position` of the blob's
    /// open partial file and hands them to its hasher. The bytes move on:
    /// `buffer` is replaced by a fresh one of [`WRITE_BUFFER`] bytes. The
    /// write starts now, so several may run at once (they complete in the
    /// order they were started); the future resolves once it is done.
    pub fn write_at(
        &self,
        digest: &Digest,
        position: u64,
        buffer: &mut Uint8Array,
        len: u32,
    ) -> LocalBoxFuture<'static, Result<(), WebError>> {
        let moved = std::mem::replace(buffer, self.write_buffer());
        let partial = self.open.borrow().get(digest).cloned();
        let writable = match partial.as_deref() {
            None => {
                let why = format!(
                    "{}: the partial file is not open",
                    partial_file_name(digest)
                );
                return Box::pin(ready(Err(WebError::Other(why))));
            }
            Some(Partial::Worker) => {
                let write = self.hashers.write(digest, position, &moved, len);
                let (hashers, digest) = (self.hashers.clone(), digest.clone());
                return Box::pin(async move {
                    write.await.map_err(WebError::from_text)?;
                    hashers.room(&digest).await;
                    Ok(())
                });
            }
            Some(Partial::Writable(writable)) => writable,
        };
        let write = writable.write(position, moved.subarray(0, len));
        let (hashers, digest) = (self.hashers.clone(), digest.clone());
        Box::pin(async move {
            write.await?;
            // Written: the bytes move to the hasher.
            hashers.chunk(&digest, position, &moved, len);
            hashers.room(&digest).await;
            Ok(())
        })
    }

    /// Saves a part record once the bytes it claims are in the file: at
    /// once where the writer worker writes the file (its bytes are there as
    /// soon as they are reported written), else at the writable's next
    /// checkpoint or close (the browser commits its bytes then).
    pub async fn save_part(&self, digest: &Digest, record: PartRecord) -> Result<(), WebError> {
        let partial = self.open.borrow().get(digest).cloned();
        if let Some(Partial::Worker) = partial.as_deref() {
            return self.write_record(digest, &record).await;
        }
        self.records
            .borrow_mut()
            .entry(digest.clone())
            .or_default()
            .insert(record.n, record);
        match partial.as_deref() {
            Some(Partial::Writable(w)) if w.checkpoint_due() => {
                // Records saved so far claim bytes written before this.
                let records = self.records.borrow_mut().remove(digest);
                w.checkpoint().await?;
                self.write_records(digest, records.unwrap_or_default())
                    .await
            }
            _ => Ok(()),
        }
    }

    async fn write_records(
        &self,
        digest: &Digest,
        records: BTreeMap<usize, PartRecord>,
    ) -> Result<(), WebError> {
        for record in records.values() {
            self.write_record(digest, record).await?;
        }
        Ok(())
    }

    async fn write_record(&self, digest: &Digest, record: &PartRecord) -> Result<(), WebError> {
        let name = format!("blobs/{}", record_file_name(digest, record.n));
        store_writer::write_file(&self.models, &name, &record.to_json()).await
    }

    /// How far the data of the saved part records reaches.
    async fn saved_end(&self, digest: &Digest) -> u64 {
        let records = self.saved_records(digest).await;
        records
            .iter()
            .map(|r| r.offset + r.completed)
            .max()
            .unwrap_or(0)
    }

    /// Commits the partial file's bytes (closes its writable), then writes
    /// the records that describe them.
    async fn close(&self, digest: &Digest) -> Result<(), WebError> {
        let partial = self.open.borrow_mut().remove(digest);
        match partial.as_deref() {
            Some(Partial::Writable(writable)) => writable.close().await?,
            Some(Partial::Worker) => self
                .hashers
                .close_sync(digest)
                .await
                .map_err(WebError::Other)?,
            None => {}
        }
        let records = self.records.borrow_mut().remove(digest).unwrap_or_default();
        self.write_records(digest, records).await
    }

    /// Closes every open partial file (on the end of a pull, whatever it
    /// was), so that a later pull resumes from what was downloaded.
    pub async fn close_all(&self) -> Result<(), WebError> {
        let mut digests: Vec<Digest> = self.open.borrow().keys().cloned().collect();
        digests.extend(self.records.borrow().keys().cloned());
        digests.sort();
        digests.dedup();
        for digest in digests {
            self.close(&digest).await?;
        }
        Ok(())
    }

    /// The finished partial file, closed, to be hashed (its handle too:
    /// in OPFS a worker reads it through a sync access handle).
    async fn finished_file(
        &self,
        digest: &Digest,
    ) -> Result<(File, FileSystemFileHandle), WebError> {
        self.close(digest).await?;
        let handle = file_handle(&self.blobs, &partial_file_name(digest), false).await?;
        Ok((file_of(&handle).await?, handle))
    }

    /// The partial file is complete: it is closed and its hasher finishes
    /// (the digest comes through the hashers' callback).
    pub async fn verify(&self, digest: &Digest) -> Result<(), WebError> {
        let (file, handle) = self.finished_file(digest).await?;
        self.hashers.finish(digest, &file, &handle);
        Ok(())
    }

    /// Verified: the partial file takes the blob's name; records go.
    pub async fn commit(&self, digest: &Digest) -> Result<(), WebError> {
        self.close(digest).await?;
        let handle = file_handle(&self.blobs, &partial_file_name(digest), false).await?;
        store_writer::rename(&self.blobs, &handle, &digest.blob_file_name()).await?;
        self.remove_records(digest).await
    }

    /// Wrong content (or a fresh start): the partial file and records go.
    pub async fn discard(&self, digest: &Digest) -> Result<(), WebError> {
        let partial = self.open.borrow_mut().remove(digest);
        if let Some(Partial::Writable(writable)) = partial.as_deref() {
            writable.abort().await;
        }
        // The worker lets go of the file (and of its hash) before it goes.
        let _ = self.hashers.forget(digest).await;
        self.records.borrow_mut().remove(digest);
        remove(&self.blobs, &partial_file_name(digest)).await?;
        self.remove_records(digest).await
    }

    async fn remove_records(&self, digest: &Digest) -> Result<(), WebError> {
        for n in 0.. {
            let name = record_file_name(digest, n);
            if file_handle(&self.blobs, &name, false).await.is_err() {
                return Ok(());
            }
            remove(&self.blobs, &name).await?;
        }
        Ok(())
    }

    /// Whether the browser lets this page write the manifest of `name`
    /// (in a folder on disk Chromium refuses a registry's host:port folder).
    pub async fn check_manifest_path(&self, name: &ModelName) -> Result<(), WebError> {
        store_writer::check_path(&self.models, &manifest_rel(name)).await
    }

    /// Writes the manifest bytes unchanged under Ollama's path for `name`.
    pub async fn write_manifest(&self, name: &ModelName, bytes: &[u8]) -> Result<(), WebError> {
        store_writer::write_file(&self.models, &manifest_rel(name), bytes).await
    }
}
