//! The engine module's registry entry points (see `drive::engine`). In: a
//! request as JSON ([`PullRequest`], [`PushRequest`]), the folder's
//! directory handle, and a JS function for events. Out: the run,
//! driven by `pull_task`/`push_task`, reporting each [`EngineEvent`] to
//! that function as JSON; `engineCancel("transfer", id)` stops a run.

use super::common::Emit;
use super::pull::{self as pull_task, Destination, PullJob};
use super::push::{self as push_task, PushJob};
use crate::core::name::ModelName;
use crate::core::registry::pull::tuning::Link;
use crate::core::registry::{PullOptions, PushOptions, RegistryRef};
use crate::core::store::scan_store;
use crate::drive::engine::{cancel_flag, forget, parse};
use crate::ui::state::registry::{
    Ended, EngineEvent, Kind, PullRequest, PullTo, PushRequest, TransferRun,
};
use crate::web::dir_source::DirSource;
use crate::web::js::{now_ms, WebError};
use crate::web::picker::BrowserSource;
use crate::web::save::SaveTarget;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::FileSystemDirectoryHandle;

/// Progress reaches the page at most this often (each report re-renders
/// the panel, on the thread that also reads the network); a new step and
/// the end always go at once.
const PROGRESS_EVERY_MS: f64 = 200.0;

fn emitter(on_event: js_sys::Function) -> Emit {
    let last = RefCell::new((f64::NEG_INFINITY, String::new()));
    Rc::new(move |event: EngineEvent| {
        if let EngineEvent::Progress(run) = &event {
            if run.ended.is_some() {
                forget((TRANSFER, run.id));
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

/// The kind of run pulls and pushes are, for `engineCancel`.
const TRANSFER: &str = "transfer";

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
    let store_as = (request.store_as.as_deref())
        .map(ModelName::parse)
        .transpose()
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    let opts = PullOptions {
        credentials: o.credentials(),
        store_as,
        ..PullOptions::default()
    }
    .tuned(Link::Browser, o.part_size, o.parallel);
    let emit = emitter(on_event);
    let cancel = cancel_flag((TRANSFER, request.id));
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
    let cancel = cancel_flag((TRANSFER, request.id));
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
