//! Imports a checked archive into the open models folder. In: the archive
//! `File`, the folder's directory handle and what to do with manifests that
//! differ. Out: a second streaming pass in which each blob the folder lacks
//! is written under a temporary name and renamed only once its digest
//! verified, then the manifests the core's plan allows, last and byte for
//! byte; the folder is rescanned. A refused or failed import removes the
//! blobs it wrote: the folder is left as it was.

use super::state::{Action, AppState};
use crate::core::archive::read::{
    blob_needed, plan_manifests, ArchiveReader, ArchiveVerifier, Existing, ManifestPlan,
    OwnedEvent, Placement, ReadOptions, VerifiedManifest,
};
use crate::core::digest::Digest;
use crate::core::source::{join, StoreSource};
use crate::core::store::blob_dir::BlobDir;
use crate::web::dir_source::DirSource;
use crate::web::file_chunks::{FileChunks, CHUNK};
use crate::web::picker::BrowserSource;
use crate::web::store_writer::{self, TempBlob};
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::{File, FileSystemDirectoryHandle};
use yew::UseReducerHandle;

/// Input handed to the reader per call: bounds what one call can inflate.
const SLICE: usize = 64 << 10;

#[derive(Clone, PartialEq)]
pub enum ImportStatus {
    Running,
    Done(String),
    Failed(String),
}

struct Import {
    models: FileSystemDirectoryHandle,
    present: BTreeMap<Digest, u64>,
    written: Vec<String>,
    current: Option<(TempBlob, Digest)>,
    /// Blob bytes not yet written: writes go out 4 MiB at a time.
    pending: Vec<u8>,
    verifier: ArchiveVerifier,
}

impl Import {
    async fn event(&mut self, event: OwnedEvent) -> Result<(), String> {
        self.verifier.event(&event.as_event());
        match event {
            OwnedEvent::Entry(info) => {
                if let Some(Placement::Blob { digest }) = self.verifier.placement().cloned() {
                    if blob_needed(info.size, self.present.get(&digest).copied()) {
                        let blob = TempBlob::create(&self.models, &digest.blob_file_name())
                            .await
                            .map_err(|e| e.to_string())?;
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
                    let verified = self
                        .verifier
                        .last_blob()
                        .is_some_and(|(d, ok)| d == &digest && *ok);
                    if verified {
                        blob.commit(&digest.blob_file_name())
                            .await
                            .map_err(|e| e.to_string())?;
                        self.written.push(digest.blob_file_name());
                    } else {
                        blob.discard().await;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), String> {
        if let Some((blob, _)) = &self.current {
            if !self.pending.is_empty() {
                blob.write(&self.pending).await.map_err(|e| e.to_string())?;
            }
        }
        self.pending.clear();
        Ok(())
    }

    async fn undo(&mut self) {
        if let Some((blob, _)) = self.current.take() {
            blob.discard().await;
        }
        for name in self.written.drain(..) {
            store_writer::remove_blob(&self.models, &name).await;
        }
    }
}

async fn stream_blobs(file: &File, import: &mut Import) -> Result<Vec<VerifiedManifest>, String> {
    let mut reader = ArchiveReader::new(ReadOptions {
        input_size: Some(file.size() as u64),
        ..ReadOptions::default()
    });
    let mut chunks = FileChunks::open(file).map_err(|e| e.to_string())?;
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        chunks
            .next_into(&mut chunk)
            .await
            .map_err(|e| e.to_string())?;
        if chunk.is_empty() {
            break;
        }
        for slice in chunk.chunks(SLICE) {
            for event in reader.feed_owned(slice).map_err(|e| e.to_string())? {
                import.event(event).await?;
            }
        }
    }
    let mut tail = Vec::new();
    reader
        .finish(&mut |e| tail.push(OwnedEvent::from(e)))
        .map_err(|e| e.to_string())?;
    for event in tail {
        import.event(event).await?;
    }
    let verifier = std::mem::take(&mut import.verifier);
    let (report, manifests) = verifier.finish(None);
    if !report.problems.is_empty() {
        return Err(format!(
            "the archive has problems, nothing was imported: {}",
            report
                .problems
                .iter()
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    Ok(manifests)
}

fn summary(plan: &ManifestPlan, manifests: &[VerifiedManifest], blobs: usize) -> String {
    let names: Vec<&str> = plan
        .write
        .iter()
        .map(|&i| manifests[i].name.as_str())
        .collect();
    let mut parts = vec![format!(
        "Imported {} model(s){}; {blobs} blob(s) written",
        names.len(),
        if names.is_empty() {
            String::new()
        } else {
            format!(": {}", names.join(", "))
        }
    )];
    for (label, list) in [
        ("already there", &plan.unchanged),
        ("replaced", &plan.replaced),
        ("kept as they were", &plan.kept),
        ("skipped, they did not verify", &plan.skipped),
    ] {
        if !list.is_empty() {
            parts.push(format!("{label}: {}", list.join(", ")));
        }
    }
    parts.join("; ") + "."
}

async fn run(
    file: File,
    source: Rc<BrowserSource>,
    models_dir: String,
    policy: Existing,
) -> Result<String, String> {
    let BrowserSource::Dir(dir) = &*source else {
        return Err("this folder was opened read-only (file input); open it with \"Open models folder\" to import into it".into());
    };
    store_writer::request_write(dir.handle())
        .await
        .map_err(|e| e.to_string())?;
    let models = store_writer::models_dir(dir.handle(), &models_dir)
        .await
        .map_err(|e| e.to_string())?;
    let listing = BlobDir::from_listing(
        source
            .list(&join(&models_dir, "blobs"))
            .await
            .map_err(|e| e.to_string())?,
    );
    let present = listing
        .blobs
        .iter()
        .map(|(d, f)| (d.clone(), f.size))
        .collect();
    let mut import = Import {
        models,
        present,
        written: Vec::new(),
        current: None,
        pending: Vec::with_capacity(CHUNK),
        verifier: ArchiveVerifier::new(),
    };
    let manifests = match stream_blobs(&file, &mut import).await {
        Ok(m) => m,
        Err(e) => {
            import.undo().await;
            return Err(e);
        }
    };
    let mut existing = BTreeMap::new();
    for m in &manifests {
        existing.insert(
            m.manifest_path.clone(),
            store_writer::read_file(&import.models, &m.manifest_path)
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    let plan = plan_manifests(
        &manifests,
        &mut |p| existing.get(p).cloned().flatten(),
        policy,
    );
    if plan.refused() {
        import.undo().await;
        return Err(format!("nothing was imported: the folder already has other manifests for {}. Choose \"replace\" or \"keep\" to go on.", plan.conflicts.join(", ")));
    }
    for &i in &plan.write {
        store_writer::write_file(
            &import.models,
            &manifests[i].manifest_path,
            &manifests[i].bytes,
        )
        .await
        .map_err(|e| e.to_string())?;
    }
    Ok(summary(&plan, &manifests, import.written.len()))
}

pub fn start(state: &UseReducerHandle<AppState>, policy: Existing) {
    let (Some(source), Some(report), Some(archive)) = (
        state.source.clone(),
        state.report.clone(),
        state.archive.clone(),
    ) else {
        return;
    };
    let dispatch = state.dispatcher();
    let generation = state.generation + 1;
    dispatch.dispatch(Action::Import(ImportStatus::Running));
    spawn_local(async move {
        let result = run(
            archive.file.clone(),
            source.clone(),
            report.models_dir.clone(),
            policy,
        )
        .await;
        let status = match result {
            Ok(done) => ImportStatus::Done(done),
            Err(e) => ImportStatus::Failed(e),
        };
        dispatch.dispatch(Action::Import(status));
        if let BrowserSource::Dir(dir) = &*source {
            let handle = dir.handle().clone();
            super::tasks::open(dispatch, generation, async move {
                Ok(BrowserSource::Dir(DirSource::new(handle)))
            });
        }
    });
}
