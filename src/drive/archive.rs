//! Checks an archive file, in the engine module (`drive::engine::archive`:
//! one streaming pass, memory flat). In: a `File` chosen by the user. Out:
//! progress and, at the end, the [`CheckedArchive`](crate::core::archive::read::CheckedArchive)
//! (kind, models with verdicts, problems, the verified manifests),
//! dispatched to the state.

use super::{engine_link, send, Dispatch};
use crate::ui::state::{AppState, ArchiveAction, ArchiveRun, CheckEvent};
use crate::web::js::now_ms;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::File;
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

/// Checks the archive `file`.
pub fn start(state: &UseReducerHandle<AppState>, file: File) {
    cancel();
    let dispatch = state.dispatcher();
    let id = state.archive.run.as_ref().map_or(1, |r| r.id + 1);
    let run = ArchiveRun {
        id,
        name: file.name(),
        size: file.size() as u64,
        read: 0,
        started_ms: now_ms(),
        last_ms: now_ms(),
        checked: None,
        cancelled: false,
        error: None,
        file: file.clone(),
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
        let args = [id.into(), file.into(), engine_link::listener(on_json)];
        if let Err(e) = engine_link::start("archiveCheck", &args).await {
            report(&dispatch, &run, CheckEvent::Failed(e));
        }
    });
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
