//! Checks an archive file (or a direct download's folder), in the engine module (`drive::engine::archive`:
//! one streaming pass, memory flat). In: a `File` chosen by the user. Out:
//! progress and, at the end, the [`CheckedArchive`](crate::core::archive::read::CheckedArchive)
//! (kind, models with verdicts, problems, the verified manifests),
//! dispatched to the state.

use super::{engine_link, send, Dispatch};
use crate::ui::state::{AppState, ArchiveAction, ArchiveRun, CheckEvent};
use crate::web::archive_input::{self, ArchiveInput};
use crate::web::js::now_ms;
use crate::web::js::WebError;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::DataTransfer;
use yew::UseReducerHandle;

thread_local! {
    /// The run a Cancel stops.
    static RUNNING: RefCell<Option<u32>> = const { RefCell::new(None) };
}

/// Stops the running check.
pub fn cancel() {
    if let Some(id) = RUNNING.with(|r| r.borrow_mut().take()) {
        engine_link::cancel("check", id);
    }
}

/// Checks the archive (or direct download) `input`.
pub fn start(state: &UseReducerHandle<AppState>, input: ArchiveInput) {
    cancel();
    let dispatch = state.dispatcher();
    let id = state.archive.run.as_ref().map_or(1, |r| r.id + 1);
    let run = ArchiveRun {
        id,
        name: input.name(),
        size: input.size(),
        read: 0,
        started_ms: now_ms(),
        last_ms: now_ms(),
        checked: None,
        cancelled: false,
        error: None,
        input: input.clone(),
    };
    send(&dispatch, ArchiveAction::Started(run.clone()));
    RUNNING.with(|r| *r.borrow_mut() = Some(id));
    let run = Rc::new(RefCell::new(run));
    let on_json = {
        let (dispatch, run) = (dispatch.clone(), run.clone());
        move |json: String| {
            if let Ok(event) = serde_json::from_str(&json) {
                report(&dispatch, &run, event);
            }
        }
    };
    spawn_local(async move {
        let args = [id.into(), input.to_js(), engine_link::listener(on_json)];
        if let Err(e) = engine_link::start("archiveCheck", &args).await {
            report(&dispatch, &run, CheckEvent::Failed(e));
        }
    });
}

/// Asks for a direct download's folder and checks it; a cancelled picker
/// changes nothing.
pub fn pick_folder(state: &UseReducerHandle<AppState>) {
    let state = state.clone();
    spawn_local(async move {
        opened(
            &state,
            archive_input::pick_download_folder().await.map(Some),
        );
    });
}

/// Checks what was dropped on the archive panel: a folder as a direct
/// download, else the first file.
pub fn dropped(state: &UseReducerHandle<AppState>, data: DataTransfer) {
    let handle = archive_input::dropped_handle(&data);
    let file = data.files().and_then(|f| f.get(0));
    let state = state.clone();
    spawn_local(async move {
        opened(&state, archive_input::from_drop(handle, file).await);
    });
}

fn opened(state: &UseReducerHandle<AppState>, input: Result<Option<ArchiveInput>, WebError>) {
    match input {
        Ok(Some(input)) => start(state, input),
        Ok(None) | Err(WebError::Cancelled) => {}
        Err(e) => send(
            &state.dispatcher(),
            ArchiveAction::Unreadable(format!("The folder could not be read: {e}")),
        ),
    }
}

/// Applies the engine's `event` to `run` and shows it.
fn report(dispatch: &Dispatch, run: &RefCell<ArchiveRun>, event: CheckEvent) {
    let mut run = run.borrow_mut();
    run.last_ms = now_ms();
    match event {
        CheckEvent::Read(bytes) => run.read = bytes,
        CheckEvent::Checked(checked) => {
            run.read = run.size;
            run.checked = Some(Rc::new(checked));
        }
        CheckEvent::Failed(error) => run.error = Some(error),
        CheckEvent::Cancelled => run.cancelled = true,
    }
    if run.ended() {
        RUNNING.with(|r| r.borrow_mut().take_if(|r| *r == run.id));
    }
    send(dispatch, ArchiveAction::Progress(run.clone()));
}
