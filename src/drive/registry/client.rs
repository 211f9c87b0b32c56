//! The app's side of the registry runs in the engine module
//! (`drive::engine_link`). In: a request for a run, the folder's handle,
//! and a callback. Out: the run started in the engine;
//! its events, JSON from the engine, parsed into [`EngineEvent`]s for the
//! callback; Cancel passed on.

use crate::drive::engine_link;
use crate::ui::state::registry::{EngineEvent, PullRequest, PushRequest};
use crate::web::store_writer;
use serde::Serialize;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;
use web_sys::FileSystemDirectoryHandle;
use yew::Callback;

fn listener(on_event: Callback<EngineEvent>) -> JsValue {
    engine_link::listener(move |json: String| {
        if let Some(event) = EngineEvent::from_json(&json) {
            on_event.emit(event);
        }
    })
}

/// Calls the engine's `export` with the request as JSON, a folder handle
/// (or `null`) and the event listener.
async fn start(
    export: &str,
    request: &impl Serialize,
    folder: JsValue,
    on_event: Callback<EngineEvent>,
) -> Result<(), String> {
    let json = serde_json::to_string(request).map_err(|e| e.to_string())?;
    engine_link::start(export, &[json.into(), folder, listener(on_event)]).await
}

/// Starts a look-up or pull. `folder`: for a pull into the open folder,
/// that folder's handle and its models folder, asked for write access now
/// (on the click); `None` for the others. A failure to start goes to
/// `on_error`.
pub fn pull(
    request: PullRequest,
    folder: Option<Option<(FileSystemDirectoryHandle, String)>>,
    on_event: Callback<EngineEvent>,
    on_error: Callback<String>,
) {
    spawn_local(async move {
        let started = async {
            let handle = match folder {
                Some(folder) => writable_models(folder).await?.into(),
                None => JsValue::NULL,
            };
            start("registryPull", &request, handle, on_event).await
        };
        if let Err(e) = started.await {
            on_error.emit(e);
        }
    });
}

/// Starts a push of a model of the folder the user opened (`picked`).
pub fn push(
    request: PushRequest,
    picked: FileSystemDirectoryHandle,
    on_event: Callback<EngineEvent>,
    on_error: Callback<String>,
) {
    spawn_local(async move {
        if let Err(e) = start("registryPush", &request, picked.into(), on_event).await {
            on_error.emit(e);
        }
    });
}

/// The models folder, with write access asked for now (on the click).
async fn writable_models(
    folder: Option<(FileSystemDirectoryHandle, String)>,
) -> Result<FileSystemDirectoryHandle, String> {
    let (picked, models_dir) =
        folder.ok_or("open a models folder first (with \"Open models folder\")")?;
    store_writer::request_write(&picked, "pull")
        .await
        .map_err(|e| e.to_string())?;
    store_writer::models_dir(&picked, &models_dir)
        .await
        .map_err(|e| e.to_string())
}

/// Stops run `id`.
pub fn cancel(id: u32) {
    engine_link::cancel("transfer", id);
}
