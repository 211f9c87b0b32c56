//! Background work started by the UI. In: a user gesture (pick, drop, file
//! input, demo) or a selection. Out: [`Action`]s dispatched to the state as
//! results arrive; nothing here renders.

use super::state::{Action, AppState, Loaded};
use crate::core::digest::Digest;
use crate::core::manifest::LayerKind;
use crate::core::store::reads::{read_gguf_head, read_text_preview};
use crate::core::store::{scan_store, StoreReport};
use crate::web::js::{now_ms, WebError};
use crate::web::opfs;
use crate::web::picker::BrowserSource;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::UseReducerDispatcher;

type Dispatch = UseReducerDispatcher<AppState>;

/// Text layers are previewed up to this many bytes.
pub const PREVIEW_BYTES: usize = 16 * 1024;

/// Gets a folder (however `get` obtains it), scans it and shows it.
pub fn open(
    dispatch: Dispatch,
    generation: u32,
    get: impl Future<Output = Result<BrowserSource, WebError>> + 'static,
) {
    spawn_local(async move {
        let source = match get.await {
            Ok(source) => source,
            Err(WebError::Cancelled) => return dispatch.dispatch(Action::Cancelled),
            Err(e) => return dispatch.dispatch(Action::Failed(explain(&e))),
        };
        let started = now_ms();
        dispatch.dispatch(Action::Opening(source.name()));
        match scan_store(&source, &source.name()).await {
            Ok(report) => {
                let notice = notice_for(&source).await.map(str::to_string);
                let source = Rc::new(source);
                let weights = weights_digests(&report);
                let root = report.models_dir.clone();
                dispatch.dispatch(Action::Opened {
                    generation,
                    source: source.clone(),
                    report,
                    open_ms: now_ms() - started,
                    notice,
                });
                load_gguf(dispatch, generation, source, root, weights).await;
            }
            Err(e) => dispatch.dispatch(Action::Failed(e.to_string())),
        }
    });
}

/// What the user should know about how this folder was opened: read-only
/// through the file input; or, in a folder on disk (not in OPFS), that the
/// browser hides and refuses names with ':' there (Chromium: "Name is not
/// allowed"), which Ollama gives a registry's folder when it has a port.
async fn notice_for(source: &BrowserSource) -> Option<&'static str> {
    match source {
        BrowserSource::Files(_) => Some("Opened through the file input: read-only, and this browser cannot write archives or import into this folder."),
        BrowserSource::Dir(dir) if !opfs::contains(dir.handle()).await => Some("In a folder on disk the browser hides and refuses names with ':', so models from a registry with a port (manifests/host:port/…) are not listed, and cannot be pulled or imported into this folder from here: `ollama-pack inspect`, `pull` and `unpack` handle them, and a pull into an archive works."),
        BrowserSource::Dir(_) => None,
    }
}

/// What to tell the user when getting a folder failed.
fn explain(e: &WebError) -> String {
    match e {
        WebError::PermissionDenied(m) => format!("The browser did not allow reading that folder ({m}). Pick it again and allow access, or choose a folder outside the browser's blocked list (system folders are refused)."),
        other => other.to_string(),
    }
}

fn weights_digests(report: &StoreReport) -> Vec<Digest> {
    let mut out: Vec<Digest> = report
        .models
        .iter()
        .flat_map(|m| m.layers.iter())
        .filter(|l| {
            LayerKind::of(&l.media_type) == LayerKind::Model
                && l.status == crate::core::store::report::BlobStatus::Present
        })
        .map(|l| l.digest.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Reads the GGUF header of every weights blob, one after another.
async fn load_gguf(
    dispatch: Dispatch,
    generation: u32,
    source: Rc<BrowserSource>,
    root: String,
    digests: Vec<Digest>,
) {
    for digest in digests {
        dispatch.dispatch(Action::Gguf {
            generation,
            digest: digest.clone(),
            value: Loaded::Loading,
        });
        let value = match read_gguf_head(&*source, &root, &digest).await {
            Ok(info) => Loaded::Done(Rc::new(info.summary())),
            Err(e) => Loaded::Failed(e.to_string()),
        };
        dispatch.dispatch(Action::Gguf {
            generation,
            digest,
            value,
        });
    }
}

/// Loads previews of a model's text layers that are not loaded yet.
pub fn load_previews(
    dispatch: Dispatch,
    generation: u32,
    source: Rc<BrowserSource>,
    root: String,
    digests: Vec<Digest>,
) {
    spawn_local(async move {
        for digest in digests {
            let value = match read_text_preview(&*source, &root, &digest, PREVIEW_BYTES).await {
                Ok(p) => Loaded::Done(p),
                Err(e) => Loaded::Failed(e.message),
            };
            dispatch.dispatch(Action::Preview {
                generation,
                digest,
                value,
            });
        }
    });
}
