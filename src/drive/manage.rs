//! Managing the open folder: removing models, cleaning up `blobs/`, copying
//! and renaming. In: the user's request (confirmed after a preview) and
//! the open folder. Out: write access asked for at that moment, the
//! core's plan made again from the folder as it is now (not from the
//! report shown minutes earlier), carried out (removals: manifests, then
//! blobs, then empty folders), progress and how it ended dispatched, and
//! the folder read again.

use super::cancel::CancelFlag;
use super::{fresh, send, Dispatch};
use crate::core::format::{capitalized, human_bytes};
use crate::core::source::{join, StoreSource};
use crate::core::store::blob_dir::BlobDir;
use crate::core::store::copy::plan_copy;
use crate::core::store::layout::has_colon_name;
use crate::core::store::prune::plan_prune;
use crate::core::store::removal::{plan_removal, RemovalPlan};
use crate::core::store::{scan_store, StoreReport};
use crate::ui::state::{AppState, ManageAction, ManageStatus, Preview, Shared};
use crate::web::js::{epoch_ms, WebError};
use crate::web::opfs;
use crate::web::picker::BrowserSource;
use crate::web::removal::{self, Stopped};
use crate::web::store_writer;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::FileSystemDirectoryHandle;
use yew::UseReducerHandle;

/// Stops a removal or clean-up between two files.
pub fn cancel() {
    super::cancel(|l| &mut l.manage);
}

fn ended(dispatch: &Dispatch, status: ManageStatus) {
    send(dispatch, ManageAction::Ended(status));
}

/// Shows what removing `names` would do, from the report on screen.
pub fn preview_remove(state: &UseReducerHandle<AppState>, names: Vec<String>) {
    let Some(report) = &state.store.report else {
        return;
    };
    let dispatch = state.dispatcher();
    match plan_removal(report, &names) {
        Ok(plan) => send(
            &dispatch,
            ManageAction::Preview(Preview::Remove(Shared::new(plan))),
        ),
        Err(e) => ended(&dispatch, ManageStatus::Failed(e.to_string())),
    }
}

/// Shows what cleaning up would do (`partials`: partial downloads, else
/// orphaned blobs), from a fresh listing of `blobs/`.
pub fn preview_prune(state: &UseReducerHandle<AppState>, partials: bool) {
    let (Some(source), Some(report)) = (state.store.source.clone(), state.store.report.clone())
    else {
        return;
    };
    let dispatch = state.dispatcher();
    spawn_local(async move {
        match prune_plan(&source, &report, partials).await {
            Ok(plan) => send(
                &dispatch,
                ManageAction::Preview(Preview::Prune {
                    partials,
                    plan: Shared::new(plan),
                }),
            ),
            Err(e) => ended(&dispatch, ManageStatus::Failed(e)),
        }
    });
}

async fn prune_plan(
    source: &BrowserSource,
    report: &StoreReport,
    partials: bool,
) -> Result<crate::core::store::prune::PrunePlan, String> {
    let listing = source
        .list(&join(&report.models_dir, "blobs"))
        .await
        .map_err(|e| format!("the blobs folder could not be listed: {e}"))?;
    let plan = plan_prune(
        report,
        &BlobDir::from_listing(listing),
        epoch_ms(),
        partials,
    );
    Ok(if partials { plan.partials_only() } else { plan })
}

/// The open folder, asked for write access now, its models folder, and
/// its report made again (with what the page can see of its manifests).
struct Writable {
    source: Rc<BrowserSource>,
    models: FileSystemDirectoryHandle,
    report: StoreReport,
    on_disk: bool,
}

async fn writable(source: Rc<BrowserSource>, what: &str) -> Result<Writable, String> {
    let BrowserSource::Dir(dir) = &*source else {
        return Err("this folder was opened read-only (file input); open it with \"Open models folder\" to change it".into());
    };
    store_writer::request_write(dir.handle(), what)
        .await
        .map_err(|e| e.to_string())?;
    let mut report = scan_store(&*source, &source.name())
        .await
        .map_err(|e| e.to_string())?;
    report.listing = super::open::listing_of(&source).await.0;
    let models = store_writer::models_dir(dir.handle(), &report.models_dir)
        .await
        .map_err(|e| e.to_string())?;
    let on_disk = !opfs::contains(dir.handle()).await;
    Ok(Writable {
        source: source.clone(),
        models,
        report,
        on_disk,
    })
}

/// The models of `plan` this page cannot remove: in a folder on disk the
/// browser refuses names holding ':'.
fn unremovable(plan: &RemovalPlan, on_disk: bool) -> Option<String> {
    let names: Vec<&str> = plan
        .models
        .iter()
        .filter(|m| on_disk && has_colon_name(&m.manifest_path))
        .map(|m| m.name.as_str())
        .collect();
    (!names.is_empty()).then(|| format!("nothing was removed: in a folder on disk the browser refuses names with ':' (manifests/host:port/…), so this page cannot remove {}; the CLI can: ollama-pack rm {}", names.join(", "), names.join(" ")))
}

/// Removes `names`, planned again from the folder as it is now.
pub fn remove(state: &UseReducerHandle<AppState>, names: Vec<String>) {
    let Some(source) = state.store.source.clone() else {
        return;
    };
    let (dispatch, generation) = (state.dispatcher(), state.store.generation + 1);
    let cancel = fresh(|l| &mut l.manage);
    spawn_local(async move {
        let status = match remove_now(source.rc(), &names, &dispatch, &cancel).await {
            Ok(words) | Err(words) => words,
        };
        ended(&dispatch, status);
        super::open::reopen(dispatch, generation, &source);
    });
}

async fn remove_now(
    source: Rc<BrowserSource>,
    names: &[String],
    dispatch: &Dispatch,
    cancel: &CancelFlag,
) -> Result<ManageStatus, ManageStatus> {
    let failed = ManageStatus::Failed;
    let w = writable(source, "remove models").await.map_err(failed)?;
    let plan = plan_removal(&w.report, names).map_err(|e| failed(e.to_string()))?;
    if let Some(why) = unremovable(&plan, w.on_disk) {
        return Err(failed(why));
    }
    send(
        dispatch,
        ManageAction::Started {
            what: format!("Removing {}", names.join(", ")),
            total: plan.freed_bytes,
        },
    );
    let progress = |bytes| send(dispatch, ManageAction::Progress(bytes));
    let done = removal::remove(&w.models, &plan, &|| cancel.is_cancelled(), &progress).await;
    let removed = format!(
        "{} model(s) removed ({}), {} blob(s), {} freed",
        done.models.len(),
        done.models.join(", "),
        done.blobs,
        human_bytes(done.bytes)
    );
    let note = plan.withheld.as_ref().map_or(String::new(), |why| {
        format!(" {}.", capitalized(&why.to_string()))
    });
    Ok(match done.stopped {
        None => ManageStatus::Done(format!("Removed: {removed}.{note}")),
        Some(Stopped::Cancelled) => ManageStatus::Done(format!("Cancelled: {removed}; no remaining manifest points at a removed blob. Remove again to finish.")),
        Some(Stopped::Failed(why)) => ManageStatus::Failed(format!("stopped at {why}: {removed}; no remaining manifest points at a removed blob")),
    })
}

/// Cleans up `blobs/` (`partials`: partial downloads, else orphaned blobs),
/// planned again from the folder as it is now.
pub fn prune(state: &UseReducerHandle<AppState>, partials: bool) {
    let Some(source) = state.store.source.clone() else {
        return;
    };
    let (dispatch, generation) = (state.dispatcher(), state.store.generation + 1);
    let cancel = fresh(|l| &mut l.manage);
    spawn_local(async move {
        let status = match prune_now(source.rc(), partials, &dispatch, &cancel).await {
            Ok(s) | Err(s) => s,
        };
        ended(&dispatch, status);
        super::open::reopen(dispatch, generation, &source);
    });
}

async fn prune_now(
    source: Rc<BrowserSource>,
    partials: bool,
    dispatch: &Dispatch,
    cancel: &CancelFlag,
) -> Result<ManageStatus, ManageStatus> {
    let failed = ManageStatus::Failed;
    let w = writable(source, "clean up").await.map_err(failed)?;
    let plan = prune_plan(&w.source, &w.report, partials)
        .await
        .map_err(failed)?;
    send(
        dispatch,
        ManageAction::Started {
            what: "Cleaning up".into(),
            total: plan.freed_bytes(),
        },
    );
    let (mut files, mut bytes) = (0, 0);
    for f in plan.orphans.iter().chain(&plan.partials) {
        if cancel.is_cancelled() {
            return Ok(ManageStatus::Done(format!(
                "Cancelled: {files} file(s) removed, {} freed.",
                human_bytes(bytes)
            )));
        }
        removal::remove_file(&w.models, &format!("blobs/{}", f.name))
            .await
            .map_err(|e| {
                failed(format!(
                    "blobs/{}: {e}; {files} file(s) removed before it",
                    f.name
                ))
            })?;
        (files, bytes) = (files + 1, bytes + f.size);
        send(dispatch, ManageAction::Progress(bytes));
    }
    let kept = if plan.recent.is_empty() {
        String::new()
    } else {
        format!(
            " {} file(s) written within the last hour were kept.",
            plan.recent.len()
        )
    };
    let why = plan.withheld.as_ref().map_or(String::new(), |w| {
        format!(" {}.", capitalized(&w.to_string()))
    });
    Ok(ManageStatus::Done(format!(
        "Cleaned up: {files} file(s) removed, {} freed.{kept}{why}",
        human_bytes(bytes)
    )))
}

/// Copies `from` to the name `to` (the same manifest bytes: the same ID);
/// `rename` then removes `from`'s manifest (its blobs stay: the copy uses
/// them). `replace`: a model of that name may be replaced.
pub fn copy(
    state: &UseReducerHandle<AppState>,
    from: String,
    to: String,
    replace: bool,
    rename: bool,
) {
    let Some(source) = state.store.source.clone() else {
        return;
    };
    let (dispatch, generation) = (state.dispatcher(), state.store.generation + 1);
    let what = if rename { "Renaming" } else { "Copying" };
    send(
        &dispatch,
        ManageAction::Started {
            what: format!("{what} {from} to {to}"),
            total: 0,
        },
    );
    spawn_local(async move {
        let status = match copy_now(source.rc(), &from, &to, replace, rename).await {
            Ok(words) => ManageStatus::Done(words),
            Err(e) => ManageStatus::Failed(e),
        };
        ended(&dispatch, status);
        super::open::reopen(dispatch, generation, &source);
    });
}

async fn copy_now(
    source: Rc<BrowserSource>,
    from: &str,
    to: &str,
    replace: bool,
    rename: bool,
) -> Result<String, String> {
    let what = if rename {
        "rename a model"
    } else {
        "copy a model"
    };
    let w = writable(source, what).await?;
    let plan = plan_copy(&w.report, from, to, replace).map_err(|e| e.to_string())?;
    let text = |e: WebError| e.to_string();
    store_writer::check_path(&w.models, &plan.to_path)
        .await
        .map_err(text)?;
    let bytes = w
        .source
        .read(&join(&w.report.models_dir, &plan.from_path), 0, 4 << 20)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(old) = plan.replaces.as_ref().filter(|p| **p != plan.to_path) {
        removal::remove_file(&w.models, old).await.map_err(text)?;
    }
    store_writer::write_file(&w.models, &plan.to_path, &bytes)
        .await
        .map_err(text)?;
    if !rename {
        return Ok(format!(
            "Copied {} to {}: the same manifest, so the same ID and blobs.",
            plan.from, plan.to
        ));
    }
    let mut after = scan_store(&*w.source, &w.source.name())
        .await
        .map_err(|e| e.to_string())?;
    after.listing = super::open::listing_of(&w.source).await.0;
    let removal =
        plan_removal(&after, std::slice::from_ref(&plan.from)).map_err(|e| e.to_string())?;
    let done = removal::remove(&w.models, &removal, &|| false, &|_| {}).await;
    match done.stopped {
        None => Ok(format!(
            "Renamed {} to {}: the same manifest, so the same ID; no blob moved.",
            plan.from, plan.to
        )),
        Some(_) => Err(format!(
            "{} was copied to {}, but its old name could not be removed: remove it yourself",
            plan.from, plan.to
        )),
    }
}
