//! A streamed download through `www/download-sw.js`, for browsers without
//! `showSaveFilePicker`. In: a file name, then chunks of bytes. Out: a
//! browser download of any size with flat memory: each chunk goes to the
//! service worker only when its stream asks for one (backpressure).

use super::js::{call, epoch_ms, prop, resolve, window, WebError};
use super::messages::{FromWorker, ToWorker};
use js_sys::{Array, Function, Promise, Uint8Array};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageChannel, MessageEvent, MessagePort};

const WORKER_SCRIPT: &str = "download-sw.js";

#[derive(Default)]
struct Inbox {
    ready: bool,
    credits: u32,
    cancelled: bool,
    wake: Option<Function>,
}

pub struct StreamDownload {
    port: MessagePort,
    inbox: Rc<RefCell<Inbox>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

/// Whether this page can register the download worker.
pub fn available() -> bool {
    window()
        .ok()
        .is_some_and(|w| w.is_secure_context() && prop(&w.navigator(), "serviceWorker").is_some())
}

fn wake(inbox: &RefCell<Inbox>) {
    if let Some(resolve) = inbox.borrow_mut().wake.take() {
        let _ = resolve.call0(&JsValue::NULL);
    }
}

async fn wait_until(inbox: &Rc<RefCell<Inbox>>, done: impl Fn(&Inbox) -> bool) {
    while !done(&inbox.borrow()) {
        let promise = Promise::new(&mut |resolve, _| inbox.borrow_mut().wake = Some(resolve));
        let _ = JsFuture::from(promise).await;
    }
}

impl StreamDownload {
    /// Registers the worker, opens a channel and starts the download.
    pub async fn open(name: &str, size: Option<u64>) -> Result<Self, WebError> {
        let w = window()?;
        let container = prop(&w.navigator(), "serviceWorker")
            .ok_or_else(|| WebError::Unsupported("no service workers".into()))?;
        resolve(call(&container, "register", &[WORKER_SCRIPT.into()])?.unchecked_into()).await?;
        let registration = resolve(
            prop(&container, "ready")
                .ok_or_else(|| WebError::Unsupported("no serviceWorker.ready".into()))?
                .unchecked_into(),
        )
        .await?;
        let worker = prop(&registration, "active")
            .ok_or_else(|| WebError::Other("the download worker did not start".into()))?;
        let channel = MessageChannel::new().map_err(|e| WebError::from_js(&e))?;
        let inbox = Rc::new(RefCell::new(Inbox::default()));
        let on_message = {
            let inbox = inbox.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                match FromWorker::of(e.data()).kind().as_deref() {
                    Some("ready") => inbox.borrow_mut().ready = true,
                    Some("pull") => inbox.borrow_mut().credits += 1,
                    Some("cancel") => inbox.borrow_mut().cancelled = true,
                    _ => {}
                }
                wake(&inbox);
            })
        };
        let port = channel.port1();
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let id = format!("{}-{}", epoch_ms(), (js_sys::Math::random() * 1e9) as u64);
        let size = size.map_or(JsValue::UNDEFINED, |s| JsValue::from_f64(s as f64));
        let hello = ToWorker::new(Some("stream"));
        hello.set_stream_id(&id);
        hello.set_name(name);
        hello.set_size(&size);
        call(
            &worker,
            "postMessage",
            &[hello.into(), Array::of1(&channel.port2()).into()],
        )?;
        wait_until(&inbox, |i| i.ready).await;
        start_navigation(&id)?;
        Ok(Self {
            port,
            inbox,
            _on_message: on_message,
        })
    }

    /// Sends one chunk when the stream asks for it.
    pub async fn write(&self, bytes: &[u8]) -> Result<(), WebError> {
        wait_until(&self.inbox, |i| i.credits > 0 || i.cancelled).await;
        if self.inbox.borrow().cancelled {
            return Err(WebError::Other(
                "the download was cancelled in the browser".into(),
            ));
        }
        self.inbox.borrow_mut().credits -= 1;
        let buffer = Uint8Array::from(bytes).buffer();
        let chunk = ToWorker::new(Some("chunk"));
        chunk.set_chunk(&buffer);
        self.port
            .post_message_with_transferable(&chunk, &Array::of1(&buffer))
            .map_err(|e| WebError::from_js(&e))
    }

    pub fn finish(self) -> Result<(), WebError> {
        self.port
            .post_message(&ToWorker::new(Some("end")))
            .map_err(|e| WebError::from_js(&e))
    }

    /// Ends the download with an error: the browser drops the partial file.
    pub fn discard(self) {
        let _ = self.port.post_message(&ToWorker::new(Some("abort")));
    }
}

/// A hidden iframe asks for the worker's URL; the worker answers with the
/// stream as an attachment, so the browser saves it as a download.
fn start_navigation(id: &str) -> Result<(), WebError> {
    let document = window()?
        .document()
        .ok_or_else(|| WebError::Unsupported("no document".into()))?;
    let frame = document
        .create_element("iframe")
        .map_err(|e| WebError::from_js(&e))?;
    let _ = frame.set_attribute("hidden", "");
    let _ = frame.set_attribute("src", &format!("download/{id}"));
    let body = document
        .body()
        .ok_or_else(|| WebError::Unsupported("no document body".into()))?;
    body.append_child(&frame)
        .map_err(|e| WebError::from_js(&e))?;
    Ok(())
}

impl Drop for StreamDownload {
    /// Detaches the handler before its closure goes: the worker may still
    /// ask for chunks after the end.
    fn drop(&mut self) {
        self.port.set_onmessage(None);
    }
}
