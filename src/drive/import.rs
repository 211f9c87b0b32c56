//! Imports a checked archive into the open models folder. In: the archive
//! `File`, the folder's directory handle, the user's [`Choices`] (what to
//! do with manifests that differ, models to import under another name) and
//! a Cancel flag. Out: a second streaming pass in which each blob the
//! folder lacks is written under a temporary name and renamed only once its
//! digest verified, then the manifests the core's plan allows, last and
//! byte for byte; the folder is rescanned. A refused, failed or cancelled
//! import removes the blobs it wrote: the folder is left as it was, and the
//! message says so (or names what could not be removed, or says that the
//! import stopped while writing the manifests).

use super::cancel::CancelFlag;
use super::import_blobs::{stream_blobs, text, Import, Stop};
use super::{fresh, send};
use crate::core::archive::read::rename::apply_renames;
use crate::core::archive::read::{plan_import, Choices, ManifestPlan, VerifiedManifest};
use crate::core::digest::Digest;
use crate::core::source::{join, StoreSource};
use crate::core::store::blob_dir::BlobDir;
use crate::ui::state::{AppState, ImportAction, ImportStatus};
use crate::web::js::now_ms;
use crate::web::picker::BrowserSource;
use crate::web::store_writer;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::{File, FileSystemDirectoryHandle};
use yew::UseReducerHandle;

/// What a stopped import left in the folder: `committed` when it stopped
/// while writing manifests, else `(made, left)`: how many files it had
/// made, and those it could not remove.
fn aftermath(committed: bool, (made, left): (usize, Vec<String>)) -> String {
    if committed {
        "It stopped while writing the manifests: the blobs and manifests written so far stay in the folder (every blob was verified); import again to finish, what is there already is skipped.".into()
    } else if made == 0 {
        NOTHING_WRITTEN.into()
    } else if left.is_empty() {
        "The folder is as it was: what this import had written was removed.".into()
    } else {
        format!("The folder is as it was, except for files that could not be removed: {}. No manifest uses them: remove them by hand, or leave them (Ollama ignores them).", left.join(", "))
    }
}

const NOTHING_WRITTEN: &str = "Nothing was written to the folder.";

fn summary(plan: &ManifestPlan, manifests: &[VerifiedManifest], import: &Import) -> String {
    let blobs = import.written.len();
    let names: Vec<String> = plan
        .write
        .iter()
        .map(|&i| match &manifests[i].renamed_from {
            Some(from) => format!("{} (the archive's {from})", manifests[i].name),
            None => manifests[i].name.clone(),
        })
        .collect();
    let mut parts = vec![format!(
        "Imported {} model(s){}; {blobs} blob(s) written",
        names.len(),
        if names.is_empty() {
            String::new()
        } else {
            format!(": {}", names.join(", "))
        }
    )];
    if import.repaired > 0 {
        parts.push(format!(
            "{} blob(s) of the wrong size replaced by the archive's verified copy",
            import.repaired
        ));
    }
    for (label, list) in [
        ("already there", &plan.unchanged),
        ("replaced", &plan.replaced),
        ("kept as they were", &plan.kept),
        ("skipped, they did not verify", &plan.skipped),
    ] {
        if !list.is_empty() {
            parts.push(format!("{label}: {}", list.join(", ")));
        }
    }
    parts.join("; ") + "."
}

/// The digest of each manifest the import could write or replace.
async fn existing_manifests(
    models: &FileSystemDirectoryHandle,
    manifests: &[VerifiedManifest],
    choices: &Choices,
) -> Result<BTreeMap<String, Option<Digest>>, Stop> {
    let mut places = manifests.to_vec();
    apply_renames(&mut places, &choices.renames).map_err(text)?;
    let mut out = BTreeMap::new();
    for m in manifests.iter().chain(&places) {
        let bytes = store_writer::read_file(models, &m.manifest_path)
            .await
            .map_err(text)?;
        out.insert(m.manifest_path.clone(), bytes.map(|b| Digest::of(&b)));
    }
    Ok(out)
}

/// Plans and writes the manifests, once every blob they need is final.
async fn finish(
    import: &mut Import,
    mut manifests: Vec<VerifiedManifest>,
    choices: &Choices,
) -> Result<String, Stop> {
    let existing = existing_manifests(&import.models, &manifests, choices).await?;
    let lookup = &mut |p: &str| existing.get(p).cloned().flatten();
    let plan = plan_import(&mut manifests, lookup, choices).map_err(text)?;
    if plan.refused() {
        return Err(Stop::Failed(format!("nothing was imported: the folder has other manifests for {} (did it change since?). Choose what to do with them and import again.", plan.conflicts.join(", "))));
    }
    import.check_cancel()?;
    import.committed = true;
    let keep: BTreeSet<&Digest> = manifests
        .iter()
        .filter(|m| m.ok)
        .flat_map(|m| m.blobs.iter())
        .collect();
    import.settle(&keep).await?;
    for &i in &plan.write {
        let m = &manifests[i];
        store_writer::write_file(&import.models, &m.manifest_path, &m.bytes)
            .await
            .map_err(text)?;
    }
    Ok(summary(&plan, &manifests, import))
}

/// The models folder, with write access, and what blobs it has.
async fn prepare(
    source: &BrowserSource,
    models_dir: &str,
    cancel: CancelFlag,
) -> Result<Import, Stop> {
    let BrowserSource::Dir(dir) = source else {
        return Err(Stop::Failed("this folder was opened read-only (file input); open it with \"Open models folder\" to import into it".into()));
    };
    store_writer::request_write(dir.handle(), "import")
        .await
        .map_err(text)?;
    let models = store_writer::models_dir(dir.handle(), models_dir)
        .await
        .map_err(text)?;
    let listing = source
        .list(&join(models_dir, "blobs"))
        .await
        .map_err(text)?;
    let present = BlobDir::from_listing(listing)
        .blobs
        .iter()
        .map(|(d, f)| (d.clone(), f.size))
        .collect();
    Ok(Import::new(models, present, cancel))
}

async fn run(
    file: File,
    source: Rc<BrowserSource>,
    models_dir: String,
    choices: Choices,
    cancel: CancelFlag,
    on_read: &dyn Fn(u64),
) -> ImportStatus {
    let mut import = match prepare(&source, &models_dir, cancel).await {
        Ok(import) => import,
        Err(stop) => return status(Err(stop), NOTHING_WRITTEN.into()),
    };
    let result = match stream_blobs(&file, &mut import, on_read).await {
        Ok(manifests) => finish(&mut import, manifests, &choices).await,
        Err(stop) => Err(stop),
    };
    let after = match result {
        Ok(_) => String::new(),
        Err(_) => aftermath(import.committed, import.undo().await),
    };
    let result = match result {
        Ok(done) => match store_writer::service_install_note(&import.models).await {
            Some(note) => Ok(format!("{done} {note}")),
            None => Ok(done),
        },
        other => other,
    };
    status(result, after)
}

fn status(result: Result<String, Stop>, after: String) -> ImportStatus {
    match result {
        Ok(done) => ImportStatus::Done(done),
        Err(Stop::Failed(why)) => ImportStatus::Failed(why, after),
        Err(Stop::Cancelled) => ImportStatus::Cancelled(after),
    }
}

/// Stops the running import (what it wrote is removed).
pub fn cancel() {
    super::cancel(|l| &mut l.import);
}

pub fn start(state: &UseReducerHandle<AppState>, choices: Choices) {
    let (Some(source), Some(report), Some(archive)) = (
        state.store.source.clone(),
        state.store.report.clone(),
        state.archive.run.clone(),
    ) else {
        return;
    };
    let source = source.rc();
    let dispatch = state.dispatcher();
    let generation = state.store.generation + 1;
    let cancel = fresh(|l| &mut l.import);
    let size = archive.file.size() as u64;
    send(
        &dispatch,
        ImportAction::Started {
            size,
            now_ms: now_ms(),
        },
    );
    spawn_local(async move {
        let on_read = |bytes| {
            send(
                &dispatch,
                ImportAction::Read {
                    bytes,
                    now_ms: now_ms(),
                },
            )
        };
        let status = run(
            archive.file.clone(),
            source.clone(),
            report.models_dir.clone(),
            choices,
            cancel,
            &on_read,
        )
        .await;
        send(&dispatch, ImportAction::Ended(status));
        if let BrowserSource::Dir(dir) = &*source {
            let again = BrowserSource::Dir(dir.reopened());
            super::open::open(dispatch, generation, async move { Ok(again) });
        }
    });
}
