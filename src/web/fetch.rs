//! HTTP for the registry machines, through the browser's `fetch`. In: a core
//! [`HttpRequest`], its body as a JS value (bytes, or a `Blob` slice of a
//! local blob for an upload) and an `AbortSignal`. Out: the answer's head
//! as a core [`HttpResponse`] plus a [`BodyStream`] of its bytes, or a
//! [`FetchError`] that tells a CORS refusal from a host that cannot be
//! reached. Redirects are followed by the browser (which drops
//! `Authorization` when they lead to another origin).

use super::js::{call, call_method, ignore_rejection, prop, resolve, window, WebError};
use crate::core::registry::{HttpRequest, HttpResponse, TransportError};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

/// Why a fetch got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// Our own abort (Cancel, or the machine dropped the request).
    Aborted,
    Transport(TransportError),
}

/// The bytes of an answer, chunk by chunk as the network delivers them:
/// each in a fresh array ([`Self::next`]), or read straight into the
/// caller's buffer ([`Self::read_into`], a BYOB reader: no array per read
/// for the garbage collector, no copy).
pub struct BodyStream {
    stream: JsValue,
    /// Made on the first read, of the kind that read asks for.
    reader: Option<JsValue>,
}

/// What [`BodyStream::read_into`] read: the buffer it was given back (the
/// same memory, a new array: the old one is detached), how many bytes it
/// put at the offset asked for, and whether the body has ended.
pub struct ReadInto {
    pub buffer: Uint8Array,
    pub len: u32,
    pub done: bool,
}

impl BodyStream {
    fn reader(&mut self, byob: bool) -> Result<&JsValue, FetchError> {
        if self.reader.is_none() {
            let reader = if byob {
                let options = Object::new();
                let _ = Reflect::set(&options, &"mode".into(), &"byob".into());
                call(&self.stream, "getReader", &[options.into()])
            } else {
                call(&self.stream, "getReader", &[])
            };
            self.reader = Some(reader.map_err(broken)?);
        }
        self.reader
            .as_ref()
            .ok_or_else(|| broken(WebError::Other("no reader".into())))
    }

    /// The read's result object, or why there is none.
    async fn read(&mut self, byob: bool, args: &[JsValue]) -> Result<JsValue, FetchError> {
        let read = call_method(self.reader(byob)?, "read", args).map_err(broken)?;
        resolve(read).await.map_err(|e| match e {
            WebError::Cancelled => FetchError::Aborted,
            other => broken(other),
        })
    }

    /// The next chunk, or `None` at the end.
    pub async fn next(&mut self) -> Result<Option<Uint8Array>, FetchError> {
        let result = self.read(false, &[]).await?;
        if prop(&result, "done").and_then(|d| d.as_bool()) == Some(true) {
            return Ok(None);
        }
        Ok(prop(&result, "value").and_then(|v| v.dyn_into::<Uint8Array>().ok()))
    }

    /// Reads at most `max` bytes into `buffer` at `at`. The buffer moves
    /// into the read: use the one handed back, also at the end (it holds
    /// whatever was put in it before).
    pub async fn read_into(
        &mut self,
        buffer: Uint8Array,
        at: u32,
        max: u32,
    ) -> Result<ReadInto, FetchError> {
        let view = buffer.subarray(at, at + max);
        let result = self.read(true, &[view.into()]).await?;
        let done = prop(&result, "done").and_then(|d| d.as_bool()) == Some(true);
        let value = prop(&result, "value")
            .and_then(|v| v.dyn_into::<Uint8Array>().ok())
            .ok_or_else(|| broken(WebError::Other("the read gave no buffer back".into())))?;
        Ok(ReadInto {
            buffer: Uint8Array::new(&value.buffer()),
            len: value.length(),
            done,
        })
    }

    /// Stops reading; the rest of the body is not downloaded.
    pub fn cancel(&self) {
        let target = self.reader.as_ref().unwrap_or(&self.stream);
        if let Ok(promise) = call_method(target, "cancel", &[]) {
            // A rejection here only means the stream had already ended.
            ignore_rejection(&promise);
        }
    }
}

fn broken(e: WebError) -> FetchError {
    FetchError::Transport(TransportError::Broken(e.to_string()))
}

fn init(request: &HttpRequest, body: &JsValue, signal: &JsValue) -> Object {
    let init = Object::new();
    let set = |k: &str, v: &JsValue| {
        let _ = Reflect::set(&init, &k.into(), v);
    };
    set("method", &request.method.as_str().into());
    let headers = Object::new();
    for (name, value) in &request.headers {
        let _ = Reflect::set(&headers, &name.into(), &value.into());
    }
    set("headers", &headers.into());
    if !body.is_undefined() {
        set("body", body);
    }
    // Always past the HTTP cache: manifests must be fresh (registry:2 sends
    // no `Vary: Accept`), and blobs go to the models folder, not also to
    // the browser's cache (which would hold a second copy of many GB).
    set("cache", &"no-store".into());
    set("credentials", &"omit".into());
    set("redirect", &"follow".into());
    set("mode", &"cors".into());
    set("signal", signal);
    init
}

/// Sends `request`; `body` is `undefined` for none.
pub async fn send(
    request: &HttpRequest,
    body: &JsValue,
    signal: &JsValue,
) -> Result<(HttpResponse, BodyStream), FetchError> {
    let win: JsValue = window()
        .map_err(|e| FetchError::Transport(TransportError::Connect(e.to_string())))?
        .into();
    let promise = call_method(
        &win,
        "fetch",
        &[
            request.url.as_str().into(),
            init(request, body, signal).into(),
        ],
    )
    .map_err(broken)?;
    let response = match resolve(promise).await {
        Ok(r) => r,
        Err(WebError::Cancelled) => return Err(FetchError::Aborted),
        Err(e) => return Err(FetchError::Transport(why_no_answer(&request.url, &e).await)),
    };
    let head = head(&response);
    let stream = prop(&response, "body").ok_or_else(|| {
        FetchError::Transport(TransportError::Broken("the answer has no body".into()))
    })?;
    Ok((
        head,
        BodyStream {
            stream,
            reader: None,
        },
    ))
}

fn head(response: &JsValue) -> HttpResponse {
    let status = prop(response, "status")
        .and_then(|s| s.as_f64())
        .unwrap_or(0.0) as u16;
    let url = super::js::prop_string(response, "url").unwrap_or_default();
    let mut head = HttpResponse::new(status, url);
    if let Some(headers) = prop(response, "headers") {
        if let Ok(Some(entries)) = js_sys::try_iter(&headers) {
            for pair in entries.flatten() {
                let pair = Array::from(&pair);
                if let (Some(n), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                    head.headers.push((n, v));
                }
            }
        }
    }
    head
}

/// `fetch` only says "Failed to fetch". A second, `no-cors` request tells
/// the two usual causes apart: it gets an (opaque) answer when the host is
/// there but does not allow this page, and fails too when it is not there.
async fn why_no_answer(url: &str, error: &WebError) -> TransportError {
    let origin = origin_of(url);
    let probe = Object::new();
    let _ = Reflect::set(&probe, &"mode".into(), &"no-cors".into());
    let _ = Reflect::set(&probe, &"cache".into(), &"no-store".into());
    let _ = Reflect::set(&probe, &"credentials".into(), &"omit".into());
    let reached = match window() {
        Ok(w) => match call_method(&w.into(), "fetch", &[url.into(), probe.into()]) {
            Ok(p) => resolve(p).await.is_ok(),
            Err(_) => false,
        },
        Err(_) => false,
    };
    if reached {
        TransportError::Blocked(format!(
            "{origin} answered, but its answer does not allow this page to read it (no CORS headers for this origin)"
        ))
    } else {
        TransportError::Connect(format!("{origin} could not be reached ({error})"))
    }
}

/// `scheme://host[:port]` of a URL.
pub fn origin_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let scheme = url.split_once("://").map_or("https", |(s, _)| s);
    format!("{scheme}://{host}")
}

/// This page's origin, for the CORS configuration we suggest.
pub fn page_origin() -> String {
    window()
        .ok()
        .and_then(|w| prop(&w.into(), "location"))
        .and_then(|l| super::js::prop_string(&l, "origin"))
        .unwrap_or_else(|| "http://127.0.0.1:8080".into())
}
