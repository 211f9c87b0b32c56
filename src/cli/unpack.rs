//! `ollama-pack unpack ARCHIVE -C DIR [--replace | --keep] [--as [OLD=]NEW]`.
//! In: an archive (any kind `verify` reads), a models folder, its parent
//! `.ollama`, or an empty folder that becomes one, and the user's choices.
//! Out: the archive's verified models in it, as Ollama stores them (under
//! another name where `--as` says so, the manifest bytes and so the ID
//! unchanged). Two phases: while the archive streams past, each blob the
//! folder lacks is written under a temporary name ([`blobs`]); manifests
//! are held in memory and written last, byte for byte, once every blob
//! they need is final. A refused archive (hostile, damaged, inconsistent),
//! a conflict or a wrong `--as` leaves the folder as it was: the blobs this
//! run made are removed. Exit 0 imported; 1 refused, or some models
//! skipped (listed); 2 could not run; 130 interrupted.

mod blobs;
mod target;

use super::verify_archive::{self, Pass, Stop};
use crate::cli::folder::local;
use crate::core::archive::read::rename::{name_of, suggest_name};
use crate::core::archive::read::{plan_import, Choices, ManifestPlan, VerifiedManifest};
use crate::core::digest::Digest;
use crate::core::format::capitalized;
use blobs::BlobWriter;
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};
use target::Target;

pub struct Options {
    pub archive: PathBuf,
    pub dir: PathBuf,
    pub choices: Choices,
}

enum Failure {
    /// Nothing imported, the folder as it was (exit 1).
    Refused(String),
    Run(String),
    Interrupted,
}

pub fn run(opts: &Options) -> ExitCode {
    super::interrupt::catch();
    match unpack(opts) {
        Ok(skipped) => ExitCode::from(u8::from(skipped)),
        Err(failure) => {
            let (message, code) = match failure {
                Failure::Refused(m) => (m, 1),
                Failure::Run(m) => (m, 2),
                Failure::Interrupted => ("interrupted; nothing was imported".to_string(), 130),
            };
            eprintln!("ollama-pack: {message}");
            ExitCode::from(code)
        }
    }
}

const UNCHANGED: &str = "The models folder was left as it was.";

/// Imports; true when some models were skipped.
fn unpack(opts: &Options) -> Result<bool, Failure> {
    if !opts.archive.is_file() && !super::flat_folder::is_flat(&opts.archive) {
        return Err(Failure::Run(format!(
            "{}: no such archive file (nor a direct download's folder: a manifest and its blobs)",
            opts.archive.display()
        )));
    }
    // `--as NEW` names a direct download's model, which carries no name.
    let flat_name = match opts.choices.renames.as_slice() {
        [one] if one.from.is_none() => Some(&one.to),
        _ => None,
    };
    let target = Target::resolve(&opts.dir).map_err(Failure::Run)?;
    let mut blobs = BlobWriter::new(target.models.join("blobs")).map_err(|e| {
        target.undo();
        Failure::Run(format!("the blobs folder could not be listed: {e}"))
    })?;
    let pass = verify_archive::stream(&opts.archive, flat_name, &mut |ev, v| blobs.event(ev, v));
    let fail = |blobs: &mut BlobWriter, f: Failure| {
        blobs.abort();
        target.undo();
        f
    };
    let pass = match pass {
        Ok(pass) => pass,
        Err(Stop::Hook(m)) if m == "interrupted" => {
            return Err(fail(&mut blobs, Failure::Interrupted))
        }
        Err(Stop::Io(m)) => return Err(fail(&mut blobs, Failure::Run(m))),
        Err(Stop::Hook(m)) => {
            return Err(fail(&mut blobs, Failure::Run(format!("{m}. {UNCHANGED}"))))
        }
    };
    if let Some(e) = &pass.report.error {
        return Err(fail(
            &mut blobs,
            Failure::Refused(format!("{e}\n{UNCHANGED}")),
        ));
    }
    if !pass.report.problems.is_empty() {
        let text = verify_archive::render(&opts.archive, &pass);
        let msg =
            format!("{text}The archive is not consistent, so nothing was imported. {UNCHANGED}");
        return Err(fail(&mut blobs, Failure::Refused(msg)));
    }
    if pass.report.layout.needs_name() {
        let msg = format!(
            "{} is a direct download (a manifest and its blobs): it holds no model name. Give it one: --as NAME. {UNCHANGED}",
            opts.archive.display()
        );
        return Err(fail(&mut blobs, Failure::Refused(msg)));
    }
    let mut pass = pass;
    let mut existing = |rel: &str| {
        fs::read(local(&target.models, rel))
            .ok()
            .map(|b| Digest::of(&b))
    };
    let blobs_dir = target.models.join("blobs");
    let has_blob = |d: &Digest| blobs_dir.join(d.blob_file_name()).is_file();
    let plan = match plan_import(&mut pass.manifests, &mut existing, &has_blob, &opts.choices) {
        Ok(plan) => plan,
        Err(e) => {
            let msg = format!("--as: {e}. {UNCHANGED}");
            return Err(fail(&mut blobs, Failure::Run(msg)));
        }
    };
    if plan.refused() {
        let msg = match plan.lacking_words() {
            Some(words) => format!("{}. {UNCHANGED}", capitalized(&words)),
            None => conflict_message(&target, &pass.manifests, &plan),
        };
        return Err(fail(&mut blobs, Failure::Refused(msg)));
    }
    let keep: BTreeSet<&Digest> = pass
        .manifests
        .iter()
        .filter(|m| m.ok)
        .flat_map(|m| m.blobs.iter())
        .collect();
    let written = blobs
        .commit_repairs(&keep)
        .and_then(|()| write_manifests(&target, &pass, &plan));
    if let Err(e) = written {
        return Err(fail(&mut blobs, Failure::Run(format!("{e}. {UNCHANGED}"))));
    }
    blobs.remove_unused(&keep);
    print_summary(&target, &pass, &plan, &blobs);
    if !plan.skipped.is_empty() {
        eprintln!(
            "ollama-pack: {} model(s) skipped: they did not verify (see above). Get a good copy \
             of the archive and unpack it again.",
            plan.skipped.len()
        );
    }
    Ok(!plan.skipped.is_empty())
}

/// Why nothing was imported, with the three ways on.
fn conflict_message(
    target: &Target,
    manifests: &[VerifiedManifest],
    plan: &ManifestPlan,
) -> String {
    let taken = |n: &crate::core::name::ModelName| {
        local(
            &target.models,
            &format!("manifests/{}", n.manifest_rel_path()),
        )
        .exists()
            || manifests.iter().any(|m| name_of(m).as_ref() == Some(n))
    };
    let suggestions: Vec<String> = manifests
        .iter()
        .filter(|m| plan.conflicts.contains(&m.name))
        .filter_map(|m| name_of(m).map(|n| format!("--as {}={}", m.name, suggest_name(&n, &taken))))
        .collect();
    format!(
        "these models are already in {} with other content: {}\nNothing was imported. \
         Import again with --replace to overwrite them, --keep to keep them and import the \
         rest, or import them under another name: {}",
        target.models.display(),
        plan.conflicts.join(", "),
        suggestions.join(" ")
    )
}

/// Writes the planned manifests, each only once all its blobs are final.
fn write_manifests(target: &Target, pass: &Pass, plan: &ManifestPlan) -> Result<(), String> {
    let blobs_dir = target.models.join("blobs");
    for &i in &plan.write {
        let m: &VerifiedManifest = &pass.manifests[i];
        let model = pass
            .report
            .model(m.renamed_from.as_deref().unwrap_or(&m.name));
        for b in model.map(|r| r.blobs.as_slice()).unwrap_or_default() {
            let path = blobs_dir.join(b.digest.blob_file_name());
            if fs::metadata(&path).map(|md| md.len()).ok() != Some(b.size) {
                return Err(format!("{}: blob {} is not in place", m.name, b.digest));
            }
        }
    }
    for &i in &plan.write {
        let m = &pass.manifests[i];
        let dest = local(&target.models, &m.manifest_path);
        let temp = blobs_dir.join(format!(".ollama-pack-manifest-{i}.tmp"));
        let written = (|| -> io::Result<()> {
            if let Some(parent) = dest.parent() {
                fs::create_dir_all(parent)?;
            }
            let mut f = File::create(&temp)?;
            f.write_all(&m.bytes)?;
            if m.mtime > 0 {
                f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(m.mtime))?;
            }
            f.sync_all()?;
            fs::rename(&temp, &dest)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(format!("{}: {e}", dest.display()));
        }
    }
    Ok(())
}

fn print_summary(target: &Target, pass: &Pass, plan: &ManifestPlan, blobs: &BlobWriter) {
    let mut out = format!(
        "{} ({}) into {}\n",
        pass.report.description,
        pass.report.models.len(),
        target.models.display()
    );
    for &i in &plan.write {
        let m = &pass.manifests[i];
        let how = if plan.replaced.contains(&m.name) {
            "replaced"
        } else {
            "imported"
        };
        match &m.renamed_from {
            Some(from) => out += &format!("  {how}: {} (the archive's {from})\n", m.name),
            None => out += &format!("  {how}: {}\n", m.name),
        }
    }
    for (list, what) in [
        (&plan.unchanged, "already there, identical"),
        (&plan.kept, "kept the existing one (--keep)"),
    ] {
        for name in list {
            out += &format!("  {what}: {name}\n");
        }
    }
    for name in &plan.skipped {
        let problems = pass
            .report
            .model(name)
            .map(|m| m.problems.join("; "))
            .unwrap_or_default();
        out += &format!("  SKIPPED: {name}: {problems}\n");
    }
    out += &format!(
        "{} blob(s) written, {} already present{}.\n",
        blobs.created.len(),
        blobs.skipped,
        if blobs.repairs_done == 0 {
            String::new()
        } else {
            format!(
                ", {} of the wrong size replaced by the archive's verified copy",
                blobs.repairs_done
            )
        }
    );
    eprint!("{out}");
}
