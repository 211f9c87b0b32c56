//! The registry engine: the entry points of the second WebAssembly module
//! (built with the `registry-module` feature, loaded by the app the first
//! time the user looks a model up or pushes), so the app's own module stays
//! small. In: a request as JSON ([`PullRequest`], [`PushRequest`]), the
//! folder's directory handle, and a JS function for events. Out: the run,
//! driven by `pull_task`/`push_task`, reporting each [`EngineEvent`] to
//! that function as JSON; `registryCancel` stops a run.

use super::common::Emit;
use super::pull::{self as pull_task, Destination, PullJob};
use super::push::{self as push_task, PushJob};
use crate::core::registry::pull::tuning::Link;
use crate::core::registry::{PullOptions, PushOptions, RegistryRef};
use crate::core::store::scan_store;
use crate::drive::cancel::CancelFlag;
use crate::ui::state::registry::{
    Ended, EngineEvent, Kind, PullRequest, PullTo, PushRequest, TransferRun,
};
use crate::web::dir_source::DirSource;
use crate::web::js::{now_ms, WebError};
use crate::web::picker::BrowserSource;
use crate::web::save::SaveTarget;
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::FileSystemDirectoryHandle;

thread_local! {
    static CANCELS: RefCell<HashMap<u32, CancelFlag>> = RefCell::default();
}

/// Progress reaches the page at most this often (each report re-renders
/// the panel, on the thread that also reads the network); a new step and
/// the end always go at once.
const PROGRESS_EVERY_MS: f64 = 200.0;

fn emitter(on_event: js_sys::Function) -> Emit {
    let last = RefCell::new((f64::NEG_INFINITY, String::new()));
    Rc::new(move |event: EngineEvent| {
        if let EngineEvent::Progress(run) = &event {
            if run.ended.is_some() {
                CANCELS.with(|c| c.borrow_mut().remove(&run.id));
            } else {
                let mut last = last.borrow_mut();
                let now = now_ms();
                if now - last.0 < PROGRESS_EVERY_MS && last.1 == run.step {
                    return;
                }
                *last = (now, run.step.clone());
            }
        }
        if let Ok(json) = serde_json::to_string(&event) {
            let _ = on_event.call1(&JsValue::NULL, &json.into());
        }
    })
}

fn cancel_flag(id: u32) -> CancelFlag {
    let flag = CancelFlag::default();
    CANCELS.with(|c| c.borrow_mut().insert(id, flag.clone()));
    flag
}

fn parse<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T, JsValue> {
    serde_json::from_str(json).map_err(|e| JsValue::from_str(&format!("bad request: {e}")))
}

/// A run that ended before it began, reported as such.
fn ended_early(emit: &Emit, id: u32, kind: Kind, title: String, ended: Ended) {
    let mut run = TransferRun::new(id, kind, title, String::new(), now_ms());
    run.ended = Some(ended);
    emit(EngineEvent::Progress(run));
}

/// Requests in flight when the user sets none (several blobs at once).
/// Each blob comes in one part unless the user sets a part size — not
/// Looks up or pulls. `folder`: the models folder for `PullTo::Folder`.
#[wasm_bindgen(js_name = registryPull)]
pub fn registry_pull(
    request: &str,
    folder: JsValue,
    on_event: js_sys::Function,
) -> Result<(), JsValue> {
    let request: PullRequest = parse(request)?;
    let reference =
        RegistryRef::parse(&request.reference).map_err(|e| JsValue::from_str(&e.to_string()))?;
    let o = &request.options;
    let opts = PullOptions {
        credentials: o.credentials(),
        ..PullOptions::default()
    }
    .tuned(Link::Browser, o.part_size, o.parallel);
    let emit = emitter(on_event);
    let cancel = cancel_flag(request.id);
    let id = request.id;
    let job = move |destination| PullJob {
        id,
        reference: reference.clone(),
        opts: opts.clone(),
        destination,
    };
    match request.to {
        PullTo::LookUp => pull_task::start(emit, job(Destination::LookUp), cancel),
        PullTo::Folder => {
            let models: FileSystemDirectoryHandle = folder
                .dyn_into()
                .map_err(|_| JsValue::from_str("no folder given"))?;
            pull_task::start(emit, job(Destination::Folder(models)), cancel);
        }
        PullTo::Archive { size } => {
            let name = format!(
                "{}.ollama.tar",
                request
                    .reference
                    .rsplit('/')
                    .next()
                    .unwrap_or("model")
                    .replace(
                        |c: char| !c.is_ascii_alphanumeric() && !matches!(c, '-' | '.' | '_'),
                        "_"
                    )
            );
            wasm_bindgen_futures::spawn_local(async move {
                match SaveTarget::choose(&name, size).await {
                    Ok(target) => pull_task::start(emit, job(Destination::Archive(target)), cancel),
                    Err(WebError::Cancelled) => {}
                    Err(e) => ended_early(
                        &emit,
                        id,
                        Kind::Pull,
                        "Pull into an archive".into(),
                        Ended::Failed {
                            message: e.to_string(),
                            blocked: None,
                        },
                    ),
                }
            });
        }
    }
    Ok(())
}

/// Pushes a model of the folder `picked` (the folder the user opened).
#[wasm_bindgen(js_name = registryPush)]
pub fn registry_push(
    request: &str,
    picked: JsValue,
    on_event: js_sys::Function,
) -> Result<(), JsValue> {
    let request: PushRequest = parse(request)?;
    let reference =
        RegistryRef::parse(&request.reference).map_err(|e| JsValue::from_str(&e.to_string()))?;
    let picked: FileSystemDirectoryHandle = picked
        .dyn_into()
        .map_err(|_| JsValue::from_str("no folder given"))?;
    let opts = PushOptions {
        credentials: request.options.credentials(),
        chunk_size: request
            .options
            .part_size
            .unwrap_or(PushOptions::default().chunk_size),
        ..PushOptions::default()
    };
    let emit = emitter(on_event);
    let cancel = cancel_flag(request.id);
    wasm_bindgen_futures::spawn_local(async move {
        let source = BrowserSource::Dir(DirSource::new(picked));
        let report = match scan_store(&source, &source.name()).await {
            Ok(r) => r,
            Err(e) => {
                let title = format!("Pushing {}", request.model);
                return ended_early(
                    &emit,
                    request.id,
                    Kind::Push,
                    title,
                    Ended::Failed {
                        message: e.to_string(),
                        blocked: None,
                    },
                );
            }
        };
        let job = PushJob {
            id: request.id,
            model: request.model,
            reference,
            opts,
            source: Rc::new(source),
            report: Rc::new(report),
        };
        push_task::start(emit, job, cancel);
    });
    Ok(())
}

/// Stops run `id` (its download is kept for a later pull).
#[wasm_bindgen(js_name = registryCancel)]
pub fn registry_cancel(id: u32) {
    if let Some(flag) = CANCELS.with(|c| c.borrow_mut().remove(&id)) {
        flag.cancel();
    }
}
