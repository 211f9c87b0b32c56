//! The app's side of the registry engine (a second WebAssembly module,
//! `dist/registry/`, fetched the first time it is needed so the app's own
//! module stays small). In: a request for a run, the folder's handle, and
//! a callback. Out: the module loaded (once) and the run started in it;
//! its events, JSON from the engine, parsed into [`EngineEvent`]s for the
//! callback; Cancel passed on.

use crate::ui::state::registry::{EngineEvent, PullRequest, PushRequest};
use crate::web::js::{call, call_method, prop, resolve, window, WebError};
use crate::web::store_writer;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::VecDeque;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;
use web_sys::FileSystemDirectoryHandle;
use yew::Callback;

type Listener = Closure<dyn FnMut(String)>;

thread_local! {
    /// The event callbacks of the last runs (runs go one at a time; older
    /// ones have ended and are dropped).
    static LISTENERS: RefCell<VecDeque<Listener>> = RefCell::default();
}

/// The engine module (loaded by index.html's `ollamaPackRegistry`).
async fn engine() -> Result<JsValue, String> {
    let loader = window()
        .ok()
        .and_then(|w| prop(&w.into(), "ollamaPackRegistry"))
        .ok_or("this page has no registry loader")?;
    let loading =
        call_method(&loader, "call", std::slice::from_ref(&loader)).map_err(|e| e.to_string())?;
    resolve(loading).await.map_err(|e: WebError| {
        format!(
            "the registry part of the app could not be loaded ({e}); reload the page and try again"
        )
    })
}

fn listener(on_event: Callback<EngineEvent>) -> JsValue {
    let closure = Listener::new(move |json: String| {
        if let Some(event) = EngineEvent::from_json(&json) {
            on_event.emit(event);
        }
    });
    let value: JsValue = closure.as_ref().clone();
    LISTENERS.with(|l| {
        let mut l = l.borrow_mut();
        l.push_back(closure);
        while l.len() > 4 {
            l.pop_front();
        }
    });
    value
}

/// Calls the engine's `export` with the request as JSON, a folder handle
/// (or `null`) and the event listener.
async fn start(
    export: &str,
    request: &impl Serialize,
    folder: JsValue,
    on_event: Callback<EngineEvent>,
) -> Result<(), String> {
    let engine = engine().await?;
    let json = serde_json::to_string(request).map_err(|e| e.to_string())?;
    call(&engine, export, &[json.into(), folder, listener(on_event)])
        .map(drop)
        .map_err(|e| e.to_string())
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
    spawn_local(async move {
        if let Ok(engine) = engine().await {
            let _ = call(&engine, "registryCancel", &[id.into()]);
        }
    });
}
