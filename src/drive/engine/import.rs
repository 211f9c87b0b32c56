//! Imports a checked archive into the open models folder. In: the archive
//! (a `File`, or a direct download's files), the models folder's handle (with write access), the user's [`Choices`] (what to
//! do with manifests that differ, models to import under another name) and
//! a Cancel flag. Out: a second streaming pass in which each blob the
//! folder lacks is written under a temporary name and renamed only once its
//! digest verified, then the manifests the core's plan allows, last and
//! byte for byte; the folder is rescanned. A refused, failed or cancelled
//! import removes the blobs it wrote: the folder is left as it was, and the
//! message says so (or names what could not be removed, or says that the
//! import stopped while writing the manifests). The app rescans the folder.

use super::import_blobs::{stream_blobs, text, Import, Stop};
use crate::core::archive::read::rename::apply_renames;
use crate::core::archive::read::{
    plan_import, Choices, ManifestPlan, VerifiedManifest, FLAT_PLACEHOLDER,
};
use crate::core::digest::Digest;
use crate::core::source::StoreSource;
use crate::core::store::blob_dir::BlobDir;
use crate::drive::cancel::CancelFlag;
use crate::ui::state::ImportStatus;
use crate::web::archive_input::ArchiveInput;
use crate::web::dir_source::DirSource;
use crate::web::store_writer;
use std::collections::{BTreeMap, BTreeSet};
use web_sys::FileSystemDirectoryHandle;

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
            Some(from) if from != FLAT_PLACEHOLDER => {
                format!("{} (the archive's {from})", manifests[i].name)
            }
            _ => manifests[i].name.clone(),
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

/// The digest of each manifest already where the import would write one.
async fn existing_manifests(
    models: &FileSystemDirectoryHandle,
    manifests: &[VerifiedManifest],
    choices: &Choices,
) -> Result<BTreeMap<String, Option<Digest>>, Stop> {
    let mut places = manifests.to_vec();
    apply_renames(&mut places, &choices.renames).map_err(text)?;
    let mut out = BTreeMap::new();
    // Only where the manifests land: a renamed model's own place may be a
    // name this folder refuses (':' on disk).
    for m in &places {
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
    let has_blob = |d: &Digest| import.has_blob(d);
    let plan = plan_import(&mut manifests, lookup, &has_blob, choices).map_err(text)?;
    if let Some(words) = plan.lacking_words() {
        return Err(Stop::Failed(words));
    }
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

/// What blobs the models folder has.
async fn prepare(models: FileSystemDirectoryHandle, cancel: CancelFlag) -> Result<Import, Stop> {
    let listing = DirSource::new(models.clone())
        .list("blobs")
        .await
        .map_err(text)?;
    let present = BlobDir::from_listing(listing)
        .blobs
        .iter()
        .map(|(d, f)| (d.clone(), f.size))
        .collect();
    Ok(Import::new(models, present, cancel))
}

pub async fn run(
    input: &ArchiveInput,
    models: FileSystemDirectoryHandle,
    choices: Choices,
    cancel: CancelFlag,
    on_read: &dyn Fn(u64),
) -> ImportStatus {
    let mut import = match prepare(models, cancel).await {
        Ok(import) => import,
        Err(stop) => return status(Err(stop), NOTHING_WRITTEN.into()),
    };
    let result = match stream_blobs(input, &mut import, &choices, on_read).await {
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
