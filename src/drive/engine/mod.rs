//! The engine: the entry points of the second WebAssembly module (built
//! with the `engine-module` feature, loaded by the app the first time the
//! user checks an archive, looks a model up or pushes), so the app's own
//! module stays small. In: a request (JSON or browser handles) and a JS
//! function for events. Out: the run, reporting events to that function
//! as JSON; `engineCancel` stops a run. What runs here: the archive check
//! and import ([`archive`], [`import`]), pulls and pushes
//! (`drive::registry::engine`).

pub mod archive;
mod import;
mod import_blobs;

use crate::drive::cancel::CancelFlag;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

/// What a run is, for its Cancel flag: ids count per kind.
pub type RunKey = (&'static str, u32);

thread_local! {
    static CANCELS: RefCell<HashMap<RunKey, CancelFlag>> = RefCell::default();
}

/// A fresh Cancel flag for run `key`.
pub fn cancel_flag(key: RunKey) -> CancelFlag {
    let flag = CancelFlag::default();
    CANCELS.with(|c| c.borrow_mut().insert(key, flag.clone()));
    flag
}

/// Run `key` ended: its flag is dropped.
pub fn forget(key: RunKey) {
    CANCELS.with(|c| c.borrow_mut().remove(&key));
}

/// Stops run `id` of `kind` ("transfer", "check", "import").
#[wasm_bindgen(js_name = engineCancel)]
pub fn engine_cancel(kind: &str, id: u32) {
    let flag = CANCELS.with(|c| {
        let mut c = c.borrow_mut();
        let key = c.keys().find(|k| k.0 == kind && k.1 == id).copied();
        key.and_then(|k| c.remove(&k))
    });
    if let Some(flag) = flag {
        flag.cancel();
    }
}

pub fn parse<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T, JsValue> {
    serde_json::from_str(json).map_err(|e| JsValue::from_str(&format!("bad request: {e}")))
}

/// Sends `event` to the app's listener, as JSON.
pub fn tell(on_event: &js_sys::Function, event: &impl Serialize) {
    if let Ok(json) = serde_json::to_string(event) {
        let _ = on_event.call1(&JsValue::NULL, &json.into());
    }
}
