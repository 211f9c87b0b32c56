//! The streaming pass of an import. In: the archive (a `File`, or a direct
//! download's files), the user's choices (a direct download needs a name), the models
//! folder's handle, the blobs it has and a Cancel flag. Out: each blob the
//! folder lacks written under a temporary name and given its final name
//! once its digest verified (a verified copy of a blob present with the
//! wrong size waits for the manifests: [`Import::settle`]); the verified
//! manifests; or why it stopped, after which [`Import::undo`] removes
//! every file it made. Cancel is seen within 64 KiB of input.
//!
//! A verified blob's close and rename run while the next blob is written
//! (up to [`FINISHING`] at once): in a folder on disk Chromium reads each
//! closed file back to hash it, and again on the rename to its final name
//! (a name without an extension), each as long as writing it took. Every
//! one is done before the manifests are planned.

use super::archive::PROGRESS_EVERY_MS;
use crate::core::archive::read::{
    blob_needed, ArchiveReader, ArchiveVerifier, Choices, OwnedEvent, Placement, ReadOptions,
    VerifiedManifest,
};
use crate::core::digest::Digest;
use crate::drive::cancel::CancelFlag;
use crate::web::archive_input::ArchiveInput;
use crate::web::file_chunks::CHUNK;
use crate::web::js::now_ms;
use crate::web::store_writer::{self, ClosedBlob, TempBlob};
use futures_channel::oneshot;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use wasm_bindgen_futures::spawn_local;
use web_sys::FileSystemDirectoryHandle;

/// Verified blobs being closed and renamed while the import goes on.
const FINISHING: usize = 2;

/// Where a verified blob's close (and rename) left it.
enum Finished {
    /// Under its final name.
    Named,
    /// Closed under its temporary name: a repair, for [`Import::settle`].
    Closed(ClosedBlob),
}

/// A verified blob's close and rename, running on their own.
struct Finishing {
    digest: Digest,
    done: oneshot::Receiver<Result<Finished, String>>,
}

/// Input handed to the reader per call: bounds what one call can inflate,
/// and how long Cancel waits.
const SLICE: usize = 64 << 10;

/// Why an import stopped early.
pub enum Stop {
    Failed(String),
    Cancelled,
}

impl From<String> for Stop {
    fn from(e: String) -> Self {
        Self::Failed(e)
    }
}

pub fn text(e: impl ToString) -> Stop {
    Stop::Failed(e.to_string())
}

pub struct Import {
    pub models: FileSystemDirectoryHandle,
    present: BTreeMap<Digest, u64>,
    cancel: CancelFlag,
    /// Final blobs this run made (the folder lacked them).
    pub written: Vec<Digest>,
    /// Wrong-size blobs replaced by their verified copy.
    pub repaired: usize,
    /// Verified copies of blobs the folder has with the wrong size: they
    /// replace those only when the manifests are written.
    repairs: Vec<(ClosedBlob, Digest)>,
    current: Option<(TempBlob, Digest)>,
    /// Verified blobs still being closed and renamed, oldest first.
    finishing: VecDeque<Finishing>,
    /// Blob bytes not yet written: writes go out 4 MiB at a time.
    pending: Vec<u8>,
    verifier: ArchiveVerifier,
    /// Manifests are being written: the blobs stay, whatever happens.
    pub committed: bool,
}

impl Import {
    pub fn new(
        models: FileSystemDirectoryHandle,
        present: BTreeMap<Digest, u64>,
        cancel: CancelFlag,
    ) -> Self {
        Self {
            models,
            present,
            cancel,
            written: Vec::new(),
            repaired: 0,
            repairs: Vec::new(),
            current: None,
            finishing: VecDeque::new(),
            pending: Vec::with_capacity(CHUNK),
            verifier: ArchiveVerifier::new(),
            committed: false,
        }
    }

    async fn event(&mut self, event: OwnedEvent) -> Result<(), Stop> {
        self.verifier.event(&event.as_event());
        match event {
            OwnedEvent::Entry(info) => {
                if let Some(Placement::Blob { digest }) = self.verifier.placement().cloned() {
                    if blob_needed(&info, self.present.get(&digest).copied()) {
                        let blob = TempBlob::create(&self.models, &digest.blob_file_name())
                            .await
                            .map_err(text)?;
                        self.current = Some((blob, digest));
                    }
                }
            }
            OwnedEvent::Data(bytes) if self.current.is_some() => {
                self.pending.extend_from_slice(&bytes);
                if self.pending.len() >= CHUNK {
                    self.flush().await?;
                }
            }
            OwnedEvent::EntryEnd => {
                self.flush().await?;
                if let Some((blob, digest)) = self.current.take() {
                    self.end_blob(blob, digest).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn end_blob(&mut self, blob: TempBlob, digest: Digest) -> Result<(), Stop> {
        let verified = self
            .verifier
            .last_blob()
            .is_some_and(|(d, ok)| d == &digest && *ok);
        if !verified {
            // Its models are skipped; the import goes on either way.
            let _ = blob.discard().await;
            return Ok(());
        }
        // A repair keeps its temporary name until the manifests.
        let name = (!self.present.contains_key(&digest)).then(|| digest.blob_file_name());
        let (tx, done) = oneshot::channel();
        spawn_local(async move {
            let finished = match blob.close().await {
                Err(e) => Err(e.to_string()),
                Ok(closed) => match name {
                    None => Ok(Finished::Closed(closed)),
                    Some(name) => closed
                        .commit(&name)
                        .await
                        .map(|()| Finished::Named)
                        .map_err(|e| e.to_string()),
                },
            };
            let _ = tx.send(finished);
        });
        self.finishing.push_back(Finishing { digest, done });
        while self.finishing.len() > FINISHING {
            self.finish_oldest().await?;
        }
        Ok(())
    }

    /// Waits for the oldest blob being finished and records where it is.
    async fn finish_oldest(&mut self) -> Result<(), Stop> {
        let Some(Finishing { digest, done }) = self.finishing.pop_front() else {
            return Ok(());
        };
        let finished = done
            .await
            .unwrap_or_else(|_| Err("the browser stopped closing the file".into()));
        match finished.map_err(|e| Stop::Failed(format!("{}: {e}", digest.blob_file_name())))? {
            Finished::Named => self.written.push(digest),
            Finished::Closed(closed) => self.repairs.push((closed, digest)),
        }
        Ok(())
    }

    /// Waits until every verified blob is closed and renamed; the first
    /// failure after all of them ended.
    pub async fn finish_all(&mut self) -> Result<(), Stop> {
        let mut first = Ok(());
        while !self.finishing.is_empty() {
            let result = self.finish_oldest().await;
            if first.is_ok() {
                first = result;
            }
        }
        first
    }

    async fn flush(&mut self) -> Result<(), Stop> {
        if let Some((blob, _)) = &mut self.current {
            if !self.pending.is_empty() {
                blob.write(&self.pending).await.map_err(text)?;
            }
        }
        self.pending.clear();
        Ok(())
    }

    /// Removes every file this run made, unless manifests use them.
    /// Returns how many files it had made and those it could not remove
    /// (with why).
    pub async fn undo(&mut self) -> (usize, Vec<String>) {
        if self.committed {
            return (0, Vec::new());
        }
        let mut results: Vec<Result<(), String>> = Vec::new();
        // What was still being closed and renamed is found where it ended.
        let _ = self.finish_all().await;
        if let Some((blob, _)) = self.current.take() {
            results.push(blob.discard().await);
        }
        for (blob, _) in self.repairs.drain(..) {
            results.push(blob.discard().await);
        }
        for digest in self.written.drain(..) {
            results.push(store_writer::remove_blob(&self.models, &digest.blob_file_name()).await);
        }
        let made = results.len();
        (made, results.into_iter().filter_map(Result::err).collect())
    }

    /// Puts the repairs the imported models need in place, drops the
    /// others, and removes new blobs that no verified model uses.
    pub async fn settle(&mut self, keep: &BTreeSet<&Digest>) -> Result<(), Stop> {
        for (blob, digest) in std::mem::take(&mut self.repairs) {
            if keep.contains(&digest) {
                blob.commit(&digest.blob_file_name()).await.map_err(text)?;
                self.repaired += 1;
            } else {
                // Unused: a leftover temporary file is shown as such.
                let _ = blob.discard().await;
            }
        }
        for digest in self.written.iter().filter(|d| !keep.contains(d)) {
            // No manifest uses it: a leftover is shown as an orphan.
            let _ = store_writer::remove_blob(&self.models, &digest.blob_file_name()).await;
        }
        self.written.retain(|d| keep.contains(d));
        Ok(())
    }

    /// The folder had the blob, or this run wrote it.
    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.present.contains_key(digest) || self.written.contains(digest)
    }

    pub fn check_cancel(&self) -> Result<(), Stop> {
        if self.cancel.is_cancelled() {
            Err(Stop::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Reads the archive once, writing the blobs; `on_read(bytes)` tells how
/// far it got.
pub async fn stream_blobs(
    input: &ArchiveInput,
    import: &mut Import,
    choices: &Choices,
    on_read: &dyn Fn(u64),
) -> Result<Vec<VerifiedManifest>, Stop> {
    let mut reader = ArchiveReader::new(ReadOptions {
        input_size: Some(input.size()),
        ..ReadOptions::default()
    });
    let mut chunks = input.chunks().map_err(text)?;
    let mut chunk = Vec::with_capacity(CHUNK);
    let (mut read, mut told) = (0u64, f64::NEG_INFINITY);
    loop {
        import.check_cancel()?;
        chunks.next_into(&mut chunk).await.map_err(text)?;
        if chunk.is_empty() {
            break;
        }
        read += chunk.len() as u64;
        if now_ms() - told >= PROGRESS_EVERY_MS {
            told = now_ms();
            on_read(read);
        }
        for slice in chunk.chunks(SLICE) {
            import.check_cancel()?;
            for event in reader.feed_owned(slice).map_err(text)? {
                import.event(event).await?;
            }
        }
    }
    let mut tail = Vec::new();
    reader
        .finish(&mut |e| tail.push(OwnedEvent::from(e)))
        .map_err(text)?;
    for event in tail {
        import.event(event).await?;
    }
    import.finish_all().await?;
    let verifier = std::mem::take(&mut import.verifier);
    let (report, manifests) = verifier.finish(None);
    if report.layout.needs_name() && !choices.names_placeholder() {
        return Err(Stop::Failed("this is a direct download (a manifest and its blobs): it holds no model name, so nothing was imported. Give it a name and import again".into()));
    }
    if !report.problems.is_empty() {
        let problems: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
        return Err(Stop::Failed(format!(
            "the archive has problems, nothing was imported: {}",
            problems.join("; ")
        )));
    }
    Ok(manifests)
}
