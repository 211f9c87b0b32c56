//! Opening a folder and reading what the page shows of it. In: a user
//! gesture (pick, drop, file input, demo, reopen) or a selection. Out:
//! [`StoreAction`]s dispatched to the state as results arrive; nothing here
//! renders.

use super::{send, Dispatch};
use crate::core::digest::Digest;
use crate::core::manifest::LayerKind;
use crate::core::source::join;
use crate::core::store::reads::{read_gguf_head, read_text_preview};
use crate::core::store::{scan_store, ManifestListing, StoreReport};
use crate::ui::state::{Loaded, Shared, StoreAction};
use crate::web::dir_source::DirSource;
use crate::web::hidden::{ChosenManifests, HiddenFiles};
use crate::web::js::{now_ms, WebError};
use crate::web::opfs;
use crate::web::picker::BrowserSource;
use crate::web::remember;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;

/// Text layers are previewed up to this many bytes.
pub const PREVIEW_BYTES: usize = 16 * 1024;

/// Gets a folder (however `get` obtains it), scans it and shows it.
pub fn open(
    dispatch: Dispatch,
    generation: u32,
    get: impl Future<Output = Result<BrowserSource, WebError>> + 'static,
) {
    // One copy of the scan for every way of getting a folder: boxed.
    let get: Pin<Box<dyn Future<Output = Result<BrowserSource, WebError>>>> = Box::pin(get);
    spawn_local(scan_and_show(dispatch, generation, get));
}

async fn scan_and_show(
    dispatch: Dispatch,
    generation: u32,
    get: Pin<Box<dyn Future<Output = Result<BrowserSource, WebError>>>>,
) {
    {
        let source = match get.await {
            Ok(source) => source,
            Err(WebError::Cancelled) => return send(&dispatch, StoreAction::Cancelled),
            Err(e) => return send(&dispatch, StoreAction::Failed(explain(&e))),
        };
        let started = now_ms();
        send(&dispatch, StoreAction::Opening(source.name()));
        match scan_store(&source, &source.name()).await {
            Ok(mut report) => {
                let (listing, notice) = listing_of(&source).await;
                report.listing = listing;
                let refuses_colons = match &source {
                    BrowserSource::Dir(dir) => !opfs::contains(dir.handle()).await,
                    BrowserSource::Files(_) => false,
                };
                if let (true, BrowserSource::Dir(dir)) = (refuses_colons, &source) {
                    remember::keep(dir.handle()).await;
                }
                let source = Rc::new(source);
                // A verify of the folder shown before stops.
                super::verify::cancel();
                let weights = weights_digests(&report);
                let root = report.models_dir.clone();
                send(
                    &dispatch,
                    StoreAction::Opened {
                        generation,
                        source: Shared::from(source.clone()),
                        report,
                        open_ms: now_ms() - started,
                        notice,
                        refuses_colons,
                    },
                );
                load_gguf(dispatch, generation, source, root, weights).await;
            }
            Err(e) => send(&dispatch, StoreAction::Failed(e.to_string())),
        }
    }
}

/// Whether the page saw every manifest of the folder, and what the user
/// should know about how it was opened: read-only through the file input;
/// or, in a folder on disk (not in OPFS), that the browser hides and
/// refuses names with ':' there (Chromium: "Name is not allowed"), which
/// Ollama gives a registry's folder when it has a port.
pub(crate) async fn listing_of(source: &BrowserSource) -> (ManifestListing, Option<String>) {
    let dir = match source {
        BrowserSource::Files(_) => return (ManifestListing::Complete, Some("Opened through the file input: read-only, and this browser cannot write archives or import into this folder.".into())),
        BrowserSource::Dir(dir) if opfs::contains(dir.handle()).await => return (ManifestListing::Complete, None),
        BrowserSource::Dir(dir) => dir,
    };
    if !dir.sees_every_name() {
        return (
            ManifestListing::MayHideColonNames,
            Some(HIDDEN_NOTICE.into()),
        );
    }
    let notice = (dir.hidden_count() > 0).then(|| format!("{} manifest(s) of a registry with a port (manifests/host:port/…) were read through a second listing of this folder: the browser hides names with ':' from this page's handle on it. Their models are listed, checked and packed like the others; this page cannot write, replace or remove them: the CLI (ollama-pack) and Ollama can.", dir.hidden_count()));
    (ManifestListing::Complete, notice)
}

/// Said when a folder on disk was opened through its handle alone.
pub const HIDDEN_NOTICE: &str = "In a folder on disk the browser hides and refuses names with ':', so models from a registry with a port (manifests/host:port/…) are not listed, and cannot be pulled or imported into this folder from here: `ollama-pack inspect`, `pull` and `unpack` handle them, and a pull into an archive works. Blobs only such a model uses would look unused, so none is called orphaned until the page has seen every manifest.";

/// What to tell the user when getting a folder failed.
fn explain(e: &WebError) -> String {
    match e {
        WebError::PermissionDenied(m) => format!("The browser did not allow reading that folder: {}. Open it again and answer Allow (system folders are refused whatever the answer).", m.trim_end_matches('.')),
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
        send(
            &dispatch,
            StoreAction::Gguf {
                generation,
                digest: digest.clone(),
                value: Loaded::Loading,
            },
        );
        let value = match read_gguf_head(&*source, &root, &digest).await {
            Ok(info) => Loaded::Done(Rc::new(info.summary())),
            Err(e) => Loaded::Failed(e.to_string()),
        };
        send(
            &dispatch,
            StoreAction::Gguf {
                generation,
                digest,
                value,
            },
        );
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
            send(
                &dispatch,
                StoreAction::Preview {
                    generation,
                    digest,
                    value,
                },
            );
        }
    });
}

/// Reads the manifests a folder handle on disk cannot see from an
/// `<input webkitdirectory>` listing of the same folder (`list`), checks
/// that it is the same folder (every manifest the handle sees, same size
/// and time), then reads the folder again with them.
pub fn see_hidden(
    dispatch: Dispatch,
    generation: u32,
    source: Rc<BrowserSource>,
    report: Rc<StoreReport>,
    list: web_sys::FileList,
) {
    spawn_local(async move {
        let BrowserSource::Dir(dir) = &*source else {
            return;
        };
        match chosen_hidden(dir, &report, &list).await {
            Ok(hidden) => {
                dir.see_hidden(Rc::new(hidden));
                let again = BrowserSource::Dir(dir.reopened());
                open(dispatch, generation, async move { Ok(again) });
            }
            Err(message) => send(&dispatch, StoreAction::Notice(message)),
        }
    });
}

async fn chosen_hidden(
    dir: &DirSource,
    report: &StoreReport,
    list: &web_sys::FileList,
) -> Result<HiddenFiles, String> {
    let chosen =
        ChosenManifests::from_file_list(list, &report.models_dir).map_err(|e| e.to_string())?;
    let not_this = |why: String| {
        format!("That is not the folder that is open ({why}): choose {} (or its models or manifests folder) in the dialog.", report.root)
    };
    for (path, file) in &chosen.visible {
        let mine = dir
            .file(path)
            .await
            .map_err(|_| not_this(format!("{path} is not in the open folder")))?;
        if mine.size() != file.size() || mine.last_modified() != file.last_modified() {
            return Err(not_this(format!("{path} differs")));
        }
    }
    let seen = |p: &str| {
        chosen
            .visible
            .iter()
            .any(|(v, _)| v == &join(&report.models_dir, p))
    };
    if let Some(missing) = report.models.iter().find(|m| !seen(&m.manifest_path)) {
        return Err(not_this(format!("it has no {}", missing.manifest_path)));
    }
    Ok(chosen.hidden)
}

/// Offers the folder on disk opened last (from an earlier visit).
pub fn load_last_folder(dispatch: Dispatch) {
    spawn_local(async move {
        if let Some(handle) = remember::last().await {
            send(&dispatch, StoreAction::LastFolder(handle));
        }
    });
}

/// Opens the folder kept from an earlier visit, asking the browser for read
/// access again on this click.
pub fn reopen_last(
    dispatch: Dispatch,
    generation: u32,
    handle: web_sys::FileSystemDirectoryHandle,
) {
    open(dispatch, generation, async move {
        remember::request_read(&handle).await?;
        Ok(BrowserSource::Dir(DirSource::new(handle)))
    });
}

/// Reads the open folder again (after a write into it), keeping what a
/// second listing showed of it.
pub fn reopen(dispatch: Dispatch, generation: u32, source: &Shared<BrowserSource>) {
    let again = match &**source {
        BrowserSource::Dir(dir) => BrowserSource::Dir(dir.reopened()),
        BrowserSource::Files(_) => return,
    };
    open(dispatch, generation, async move { Ok(again) });
}
