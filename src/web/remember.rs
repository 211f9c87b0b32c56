//! The last folder opened, kept across reloads and browser restarts. In: a
//! folder's handle (IndexedDB is the only storage that keeps one). Out: that
//! handle again, and read access to it asked for on the user's click:
//! Chromium grants it at once after a reload, and after a restart asks
//! again ("Allow this time", "Allow on every visit", "Don't allow").

use super::js::{call_method, resolve, WebError};
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::FileSystemDirectoryHandle;

#[wasm_bindgen(inline_js = r#"
const DB = 'ollama-pack', STORE = 'folders', KEY = 'last';
function open() {
  return new Promise((ok, fail) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
}
function step(db, mode, act) {
  return new Promise((ok, fail) => {
    const t = db.transaction(STORE, mode);
    const r = act(t.objectStore(STORE));
    t.oncomplete = () => { db.close(); ok(r.result ?? null); };
    t.onerror = () => { db.close(); fail(t.error); };
  });
}
export async function keepFolder(handle) { return step(await open(), 'readwrite', (s) => s.put(handle, KEY)); }
export async function lastFolder() { return step(await open(), 'readonly', (s) => s.get(KEY)); }
"#)]
extern "C" {
    #[wasm_bindgen(catch, js_name = keepFolder)]
    fn keep_folder(handle: &FileSystemDirectoryHandle) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = lastFolder)]
    fn last_folder_js() -> Result<Promise, JsValue>;
}

/// Keeps `handle` as the folder to offer after a reload (best effort: a
/// browser without IndexedDB simply offers nothing).
pub async fn keep(handle: &FileSystemDirectoryHandle) {
    if let Ok(promise) = keep_folder(handle) {
        let _ = resolve(promise).await;
    }
}

/// The folder kept by [`keep`], if any.
pub async fn last() -> Option<FileSystemDirectoryHandle> {
    let value = resolve(last_folder_js().ok()?).await.ok()?;
    value.dyn_into().ok()
}

/// Asks for read access to a kept folder (needs the user's click).
pub async fn request_read(handle: &FileSystemDirectoryHandle) -> Result<(), WebError> {
    let mode = Object::new();
    let _ = Reflect::set(&mode, &"mode".into(), &"read".into());
    let state = resolve(call_method(handle, "requestPermission", &[mode.into()])?).await?;
    match state.as_string().as_deref() {
        Some("granted") => Ok(()),
        _ => Err(WebError::PermissionDenied(format!(
            "its prompt about \"{}\" was answered Don't allow, or closed",
            handle.name()
        ))),
    }
}
