//! The app's side of the engine (a second WebAssembly module,
//! `dist/engine/`, fetched the first time it is needed so the app's own
//! module stays small: archive check and import, pull and push). In: an
//! export's name, its arguments and a listener for its JSON events. Out:
//! the module loaded (once) and the export called; Cancel passed on.

use crate::web::js::{call, call_method, prop, resolve, window, WebError};
use std::cell::RefCell;
use std::collections::VecDeque;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;

type Listener = Closure<dyn FnMut(String)>;

thread_local! {
    /// The event callbacks of the last runs (older ones have ended and
    /// are dropped).
    static LISTENERS: RefCell<VecDeque<Listener>> = RefCell::default();
}

/// The engine module (loaded by index.html's `ollamaPackEngine`).
async fn engine() -> Result<JsValue, String> {
    let loader = window()
        .ok()
        .and_then(|w| prop(&w.into(), "ollamaPackEngine"))
        .ok_or("this page has no engine loader")?;
    let loading =
        call_method(&loader, "call", std::slice::from_ref(&loader)).map_err(|e| e.to_string())?;
    resolve(loading).await.map_err(|e: WebError| {
        format!("a part of the app could not be loaded ({e}); reload the page and try again")
    })
}

/// A JS function handing each JSON event to `on_json`; kept alive while
/// runs use it.
pub fn listener(on_json: impl FnMut(String) + 'static) -> JsValue {
    let closure = Listener::new(on_json);
    let value: JsValue = closure.as_ref().clone();
    LISTENERS.with(|l| {
        let mut l = l.borrow_mut();
        l.push_back(closure);
        while l.len() > 8 {
            l.pop_front();
        }
    });
    value
}

/// Calls the engine's `export` with `args`.
pub async fn start(export: &str, args: &[JsValue]) -> Result<(), String> {
    let engine = engine().await?;
    call(&engine, export, args)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Stops run `id` of `kind` ("transfer", "check", "import").
pub fn cancel(kind: &'static str, id: u32) {
    spawn_local(async move {
        if let Ok(engine) = engine().await {
            let _ = call(&engine, "engineCancel", &[kind.into(), id.into()]);
        }
    });
}
