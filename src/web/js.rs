//! Small bridges to JavaScript. In: promises, JS exceptions, property names.
//! Out: Rust results and [`WebError`]s that say what happened in words.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    Unsupported(String),
    #[error("cancelled")]
    Cancelled,
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// The disk, or the browser's storage quota for this page, is full.
    #[error(
        "the disk is full, or the browser's storage for this page is used up: free some \
         space and try again ({0})"
    )]
    DiskFull(String),
    /// Another tab (or program) holds the file open for writing.
    #[error(
        "another tab or program is writing this file: close it, or wait until it is done, \
         and try again ({0})"
    )]
    InUse(String),
    /// The browser refuses a file or folder name here: Chromium refuses
    /// names holding ':' in a folder on disk (not in OPFS).
    #[error(
        "the browser does not allow that name in this folder ({0}): in a folder on disk \
         Chromium refuses names holding ':', such as the host:port folder Ollama keeps a \
         registry's models in; pull into an archive, or use the CLI (ollama-pack pull, unpack)"
    )]
    NameNotAllowed(String),
    #[error("{0}")]
    Other(String),
}

impl WebError {
    /// Classifies a thrown DOMException (or anything else) by its name.
    pub fn from_js(value: &JsValue) -> Self {
        let name = prop_string(value, "name").unwrap_or_default();
        let message = prop_string(value, "message")
            .filter(|m| !m.is_empty())
            .or_else(|| value.as_string())
            .unwrap_or_else(|| format!("{value:?}"));
        Self::named(&name, message)
    }

    /// Classifies an error a worker sent as text, `Name: message` (or
    /// just a message), as [`WebError::from_js`] does.
    pub fn from_text(text: String) -> Self {
        match text.split_once(": ") {
            Some((name, message)) if name.ends_with("Error") && !name.contains(' ') => {
                Self::named(name, message.to_string())
            }
            _ => Self::Other(text),
        }
    }

    fn named(name: &str, message: String) -> Self {
        match name {
            "AbortError" => Self::Cancelled,
            "NotAllowedError" | "SecurityError" => Self::PermissionDenied(message),
            "NotFoundError" => Self::NotFound(message),
            "QuotaExceededError" => Self::DiskFull(message),
            "NoModificationAllowedError" => Self::InUse(message),
            "NotSupportedError" => Self::Unsupported(message),
            "TypeError" if message.contains("Name is not allowed") => Self::NameNotAllowed(message),
            "" => Self::Other(message),
            _ => Self::Other(format!("{name}: {message}")),
        }
    }
}

pub fn prop(target: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(target, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

pub fn prop_string(target: &JsValue, name: &str) -> Option<String> {
    prop(target, name).and_then(|v| v.as_string())
}

/// Awaits a promise, turning a rejection into a [`WebError`].
pub async fn resolve(promise: Promise) -> Result<JsValue, WebError> {
    JsFuture::from(promise)
        .await
        .map_err(|e| WebError::from_js(&e))
}

/// Calls `target[name](args...)` when it exists and returns its result.
pub fn call(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, WebError> {
    let function: Function = prop(target, name)
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| WebError::Unsupported(format!("this browser has no {name}()")))?;
    let args: js_sys::Array = args.iter().collect();
    function
        .apply(target, &args)
        .map_err(|e| WebError::from_js(&e))
}

/// Calls `target[name](args...)` and returns its result as a promise.
pub fn call_method(target: &JsValue, name: &str, args: &[JsValue]) -> Result<Promise, WebError> {
    call(target, name, args)?
        .dyn_into::<Promise>()
        .or_else(|v| Ok(Promise::resolve(&v)))
}

pub fn window() -> Result<web_sys::Window, WebError> {
    web_sys::window().ok_or_else(|| WebError::Unsupported("no window object".into()))
}

/// Milliseconds since the page loaded (monotonic).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Wall-clock milliseconds since the Unix epoch.
pub fn epoch_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Lets a promise reject without an "uncaught (in promise)" error.
pub fn ignore_rejection(promise: &Promise) {
    thread_local! {
        // One handler for every promise, made once and kept for the page's life.
        static NOOP: wasm_bindgen::closure::Closure<dyn FnMut(JsValue)> =
            wasm_bindgen::closure::Closure::new(|_: JsValue| {});
    }
    NOOP.with(|noop| {
        let _ = promise.catch(noop);
    });
}
