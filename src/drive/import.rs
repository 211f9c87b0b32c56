//! Imports a checked archive into the open models folder, in the engine
//! module (`drive::engine::import`: blobs verified before they get their
//! names, manifests last, undone when refused, failed or cancelled). In:
//! the user's [`Choices`], the open folder and the checked archive. Out:
//! write access asked for (on the click), the import started, its progress
//! and how it ended dispatched to the state, and the folder rescanned.

use super::{engine_link, send, Dispatch};
use crate::core::archive::read::Choices;
use crate::ui::state::{AppState, ImportAction, ImportEvent, ImportStatus};
use crate::web::js::now_ms;
use crate::web::picker::BrowserSource;
use crate::web::store_writer;
use std::cell::Cell;
use wasm_bindgen_futures::spawn_local;
use web_sys::FileSystemDirectoryHandle;
use yew::UseReducerHandle;

thread_local! {
    /// The run a Cancel stops; counts runs.
    static RUN: Cell<(u32, bool)> = const { Cell::new((0, false)) };
}

/// Stops the running import (what it wrote is removed).
pub fn cancel() {
    let (id, running) = RUN.get();
    if running {
        engine_link::cancel("import", id);
    }
}

pub fn start(state: &UseReducerHandle<AppState>, choices: Choices) {
    let (Some(source), Some(report), Some(archive)) = (
        state.store.source.clone(),
        state.store.report.clone(),
        state.archive.run.clone(),
    ) else {
        return;
    };
    let source = source.rc();
    let dispatch = state.dispatcher();
    let generation = state.store.generation + 1;
    let id = RUN.get().0 + 1;
    RUN.set((id, true));
    let input = archive.input.clone();
    send(
        &dispatch,
        ImportAction::Started {
            size: input.size(),
            now_ms: now_ms(),
        },
    );
    spawn_local(async move {
        let rescan = {
            let (dispatch, source) = (dispatch.clone(), source.clone());
            move || {
                if let BrowserSource::Dir(dir) = &*source {
                    let again = BrowserSource::Dir(dir.reopened());
                    super::open::open(dispatch.clone(), generation, async move { Ok(again) });
                }
            }
        };
        let on_json = {
            let dispatch = dispatch.clone();
            move |json: String| match serde_json::from_str(&json) {
                Ok(ImportEvent::Read(bytes)) => send(
                    &dispatch,
                    ImportAction::Read {
                        bytes,
                        now_ms: now_ms(),
                    },
                ),
                Ok(ImportEvent::Ended(status)) => {
                    RUN.set((id, false));
                    send(&dispatch, ImportAction::Ended(status));
                    rescan();
                }
                Err(_) => {}
            }
        };
        let started = async {
            let models = writable_models(&source, &report.models_dir).await?;
            let choices = serde_json::to_string(&choices).map_err(|e| e.to_string())?;
            let args = [
                id.into(),
                input.to_js(),
                choices.into(),
                models.into(),
                engine_link::listener(on_json),
            ];
            engine_link::start("archiveImport", &args).await
        };
        if let Err(e) = started.await {
            RUN.set((id, false));
            ended_early(&dispatch, e);
        }
    });
}

fn ended_early(dispatch: &Dispatch, why: String) {
    let nothing = "Nothing was written to the folder.".to_string();
    send(
        dispatch,
        ImportAction::Ended(ImportStatus::Failed(why, nothing)),
    );
}

/// The open folder's models folder, with write access asked for now.
async fn writable_models(
    source: &BrowserSource,
    models_dir: &str,
) -> Result<FileSystemDirectoryHandle, String> {
    let BrowserSource::Dir(dir) = source else {
        return Err("this folder was opened read-only (file input); open it with \"Open models folder\" to import into it".into());
    };
    store_writer::request_write(dir.handle(), "import")
        .await
        .map_err(|e| e.to_string())?;
    store_writer::models_dir(dir.handle(), models_dir)
        .await
        .map_err(|e| e.to_string())
}
