//! Opens an archive file and verifies it in one streaming pass. In: a
//! `File` chosen by the user. Out: progress and, at the end, the core's
//! `ArchiveReport` (layout, models with verdicts, bad blobs, problems) and
//! the verified manifests, dispatched to the state. Memory stays flat: one chunk at a time.

use super::cancel::CancelFlag;
use super::{fresh, send, Dispatch};
use crate::core::archive::read::{
    ArchiveReader, ArchiveReport, ArchiveVerifier, ReadOptions, VerifiedManifest,
};
use crate::ui::state::{AppState, ArchiveAction, ArchiveRun};
use crate::web::file_chunks::{FileChunks, CHUNK};
use crate::web::js::now_ms;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::File;
use yew::UseReducerHandle;

/// Stops the running check.
pub fn cancel() {
    super::cancel(|l| &mut l.archive);
}

/// Checks the archive `file`.
pub fn start(state: &UseReducerHandle<AppState>, file: File) {
    let dispatch = state.dispatcher();
    let id = state.archive.run.as_ref().map_or(1, |r| r.id + 1);
    let cancel = fresh(|l| &mut l.archive);
    let run = ArchiveRun {
        id,
        name: file.name(),
        size: file.size() as u64,
        read: 0,
        started_ms: now_ms(),
        last_ms: now_ms(),
        report: None,
        manifests: Rc::default(),
        cancelled: false,
        error: None,
        file: file.clone(),
    };
    send(&dispatch, ArchiveAction::Started(run.clone()));
    spawn_local(async move {
        let outcome = read_and_verify(&file, run.clone(), &cancel, &dispatch).await;
        let mut run = run;
        run.last_ms = now_ms();
        match outcome {
            Ok(Some((report, manifests))) => {
                run.read = run.size;
                run.report = Some(Rc::new(report));
                run.manifests = Rc::new(manifests);
            }
            Ok(None) => run.cancelled = true,
            Err(e) => run.error = Some(e),
        }
        send(&dispatch, ArchiveAction::Progress(run));
    });
}

/// The report and manifests, `None` when cancelled, or why the file could
/// not be read.
async fn read_and_verify(
    file: &File,
    mut run: ArchiveRun,
    cancel: &CancelFlag,
    dispatch: &Dispatch,
) -> Result<Option<(ArchiveReport, Vec<VerifiedManifest>)>, String> {
    let mut reader = ArchiveReader::new(ReadOptions {
        input_size: Some(run.size),
        ..ReadOptions::default()
    });
    let mut verifier = ArchiveVerifier::new();
    let mut chunks = FileChunks::open(file).map_err(|e| e.to_string())?;
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        chunks
            .next_into(&mut chunk)
            .await
            .map_err(|e| format!("the file could not be read: {e}"))?;
        if chunk.is_empty() {
            let error = reader.finish(&mut |e| verifier.event(&e)).err();
            return Ok(Some(verifier.finish(error)));
        }
        if let Err(e) = reader.feed(&chunk, &mut |ev| verifier.event(&ev)) {
            return Ok(Some(verifier.finish(Some(e))));
        }
        run.read += chunk.len() as u64;
        run.last_ms = now_ms();
        send(dispatch, ArchiveAction::Progress(run.clone()));
    }
}
