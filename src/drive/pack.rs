//! Runs a pack. In: the open store, the chosen models and gzip level. Out:
//! the archive streamed into the file the user picks — manifests read
//! now and checked against the scan, each blob read 4 MiB at a time and
//! hashed by the core's writer as it passes — or, on a bad blob, an error
//! or Cancel, the partial file aborted and removed.

use super::cancel::CancelFlag;
use super::{fresh, send};
use crate::core::archive::{prepare_pack, ArchiveWriter, Choice, PackPlan, WriteOptions};
use crate::ui::state::{AppState, PackAction, PackRun, PackStatus};
use crate::web::file_chunks::{FileChunks, CHUNK};
use crate::web::js::{now_ms, WebError};
use crate::web::picker::BrowserSource;
use crate::web::save::SaveTarget;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::UseReducerHandle;

pub struct PackRequest {
    pub models: Vec<String>,
    pub gzip: Option<u32>,
}

/// Stops the running pack (its file is discarded).
pub fn cancel() {
    super::cancel(|l| &mut l.pack);
}

pub fn start(state: &UseReducerHandle<AppState>, request: PackRequest) {
    let (Some(source), Some(report)) = (state.store.source.clone(), state.store.report.clone())
    else {
        return;
    };
    let source = source.rc();
    let dispatch = state.dispatcher();
    let id = state.pack.run.as_ref().map_or(1, |r| r.id + 1);
    let cancel = fresh(|l| &mut l.pack);
    spawn_local(async move {
        let chosen = Choice::Named(request.models);
        let plan = match prepare_pack(&*source, &report, &chosen)
            .await
            .map_err(|e| e.to_string())
        {
            Ok(plan) => plan,
            Err(e) => return send(&dispatch, PackAction::FailedEarly(e)),
        };
        let gzip = request.gzip.is_some();
        let target =
            match SaveTarget::choose(&plan.suggested_file_name(gzip), plan.archive_size()).await {
                Ok(target) => target,
                Err(WebError::Cancelled) => {
                    return send(
                        &dispatch,
                        PackAction::FailedEarly(
                            "No archive was written: the save dialog was closed.".into(),
                        ),
                    )
                }
                Err(e) => return send(&dispatch, PackAction::FailedEarly(e.to_string())),
            };
        let run = PackRun::new(id, target.name().to_string(), &plan, now_ms());
        send(&dispatch, PackAction::Started(run.clone()));
        let progress = |run: PackRun| send(&dispatch, PackAction::Progress(run));
        let status =
            write_archive(&source, plan, request.gzip, target, &cancel, &progress, run).await;
        send(
            &dispatch,
            PackAction::Ended {
                id,
                status,
                now_ms: now_ms(),
            },
        );
    });
}

/// Streams the archive; on any failure or Cancel the file is discarded.
pub async fn write_archive(
    source: &Rc<BrowserSource>,
    plan: PackPlan,
    gzip: Option<u32>,
    mut target: SaveTarget,
    cancel: &CancelFlag,
    on_progress: &dyn Fn(PackRun),
    mut run: PackRun,
) -> PackStatus {
    let result = stream(
        source,
        plan,
        gzip,
        &mut target,
        cancel,
        on_progress,
        &mut run,
    )
    .await;
    match result {
        Ok(()) => match target.finish().await {
            Ok(()) => PackStatus::Saved,
            Err(e) => PackStatus::Failed(e.to_string()),
        },
        Err(status) => {
            target.discard().await;
            status
        }
    }
}

async fn stream(
    source: &Rc<BrowserSource>,
    plan: PackPlan,
    gzip: Option<u32>,
    target: &mut SaveTarget,
    cancel: &CancelFlag,
    on_progress: &dyn Fn(PackRun),
    run: &mut PackRun,
) -> Result<(), PackStatus> {
    let fail = |e: String| PackStatus::Failed(e);
    let blobs = plan.blobs().to_vec();
    let mut writer =
        ArchiveWriter::new(plan, WriteOptions { gzip }).map_err(|e| fail(e.to_string()))?;
    target
        .write(&writer.head().map_err(|e| fail(e.to_string()))?)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let mut chunk = Vec::with_capacity(CHUNK);
    for (i, blob) in blobs.iter().enumerate() {
        target
            .write(&writer.begin_blob(i).map_err(|e| fail(e.to_string()))?)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let file = source
            .file(&blob.source_path)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let mut chunks = FileChunks::open(&file).map_err(|e| fail(e.to_string()))?;
        let mut offset = 0;
        loop {
            if cancel.is_cancelled() {
                return Err(PackStatus::Cancelled);
            }
            chunks
                .next_into(&mut chunk)
                .await
                .map_err(|e| fail(e.to_string()))?;
            if chunk.is_empty() {
                break; // end_blob reports a blob shorter than its manifest says
            }
            offset += chunk.len() as u64;
            let out = writer.blob_data(&chunk).map_err(|e| fail(e.to_string()))?;
            target.write(out).await.map_err(|e| fail(e.to_string()))?;
            report_progress(
                run,
                &writer,
                Some((blob.digest.to_string(), blob.size, offset)),
                on_progress,
            );
        }
        target
            .write(&writer.end_blob().map_err(|e| fail(e.to_string()))?)
            .await
            .map_err(|e| fail(e.to_string()))?;
    }
    let tail = writer.finish().map_err(|e| fail(e.to_string()))?;
    target.write(&tail).await.map_err(|e| fail(e.to_string()))?;
    report_progress(run, &writer, None, on_progress);
    Ok(())
}

fn report_progress(
    run: &mut PackRun,
    writer: &ArchiveWriter,
    current: Option<(String, u64, u64)>,
    on_progress: &dyn Fn(PackRun),
) {
    let p = writer.progress();
    run.tar_bytes = p.tar_bytes;
    run.out_bytes = p.out_bytes;
    run.blobs_done = p.blobs_done;
    run.current = current;
    run.last_ms = now_ms();
    on_progress(run.clone());
}
