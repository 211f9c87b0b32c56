//! `ollama-pack unpack ARCHIVE -C DIR [--replace | --keep]`. In: an archive
//! (any kind `verify` reads) and a models folder, its parent `.ollama`, or
//! an empty folder that becomes one. Out: the archive's verified models in
//! it, as Ollama stores them. Two phases: while the archive streams past,
//! each blob the folder lacks is written under a temporary name in
//! `blobs/` and renamed to `sha256-<hex>` only once its digest matched;
//! manifests are held in memory and written last, byte for byte, once
//! every blob they need is final. A refused archive (hostile, damaged,
//! inconsistent) or a conflict leaves the folder as it was: the blobs this
//! run made are removed. Exit 0 imported; 1 refused, or some models
//! skipped (listed); 2 could not run; 130 interrupted.

use super::verify_archive::{self, Pass, Stop};
use crate::core::archive::read::{
    blob_needed, plan_manifests, ArchiveVerifier, Event, Existing, ManifestPlan, Placement,
    VerifiedManifest,
};
use crate::core::digest::Digest;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Ctrl-C was pressed (checked between chunks).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

pub struct Options {
    pub archive: PathBuf,
    pub dir: PathBuf,
    pub existing: Existing,
}

enum Failure {
    /// Nothing imported, the folder as it was (exit 1).
    Refused(String),
    Run(String),
    Interrupted,
}

pub fn run(opts: &Options) -> ExitCode {
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
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
    if !opts.archive.is_file() {
        return Err(Failure::Run(format!(
            "{}: no such archive file",
            opts.archive.display()
        )));
    }
    let target = Target::resolve(&opts.dir).map_err(Failure::Run)?;
    let mut blobs = BlobWriter::new(target.models.join("blobs")).map_err(|e| {
        target.undo();
        Failure::Run(format!("the blobs folder could not be listed: {e}"))
    })?;
    let pass = verify_archive::stream(&opts.archive, &mut |ev, v| blobs.event(ev, v));
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
    let mut existing = |rel: &str| fs::read(local(&target.models, rel)).ok();
    let plan = plan_manifests(&pass.manifests, &mut existing, opts.existing);
    if plan.refused() {
        let msg = format!(
            "these models are already in {} with other content: {}\nNothing was imported. \
             Import again with --replace to overwrite them, or --keep to keep them and import \
             the rest.",
            target.models.display(),
            plan.conflicts.join(", ")
        );
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

/// Writes the planned manifests, each only once all its blobs are final.
fn write_manifests(target: &Target, pass: &Pass, plan: &ManifestPlan) -> Result<(), String> {
    let blobs_dir = target.models.join("blobs");
    for &i in &plan.write {
        let m: &VerifiedManifest = &pass.manifests[i];
        let model = pass
            .report
            .models
            .iter()
            .find(|r| r.manifest_path == m.manifest_path);
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
        out += &format!("  {how}: {}\n", m.name);
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

/// The `/`-separated path `rel` under `root`.
fn local(root: &Path, rel: &str) -> PathBuf {
    rel.split('/')
        .filter(|p| !p.is_empty())
        .fold(root.to_path_buf(), |p, part| p.join(part))
}

/// The models folder to import into, and the folders this run created.
struct Target {
    models: PathBuf,
    created: Vec<PathBuf>,
}

impl Target {
    fn resolve(dir: &Path) -> Result<Self, String> {
        let is_dir = |p: &Path| p.is_dir();
        let store = |p: &Path| is_dir(&p.join("manifests")) || is_dir(&p.join("blobs"));
        let models = if store(dir) {
            dir.to_path_buf()
        } else if store(&dir.join("models"))
            || (dir.file_name().is_some_and(|n| n == ".ollama") && is_dir(dir))
        {
            dir.join("models")
        } else if !dir.exists()
            || fs::read_dir(dir)
                .map_err(|e| format!("{}: {e}", dir.display()))?
                .next()
                .is_none()
        {
            dir.to_path_buf()
        } else {
            return Err(format!(
                "{}: not a models folder (no manifests/ or blobs/ in it or in its models/), and \
                 not empty. Give ~/.ollama, ~/.ollama/models, or an empty folder.",
                dir.display()
            ));
        };
        let mut created = Vec::new();
        for d in [
            models.clone(),
            models.join("manifests"),
            models.join("blobs"),
        ] {
            if !d.exists() {
                fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
                created.push(d);
            }
        }
        let models = fs::canonicalize(&models).unwrap_or(models);
        Ok(Self { models, created })
    }

    /// Removes the folders this run created, if they are still empty.
    fn undo(&self) {
        for d in self.created.iter().rev() {
            let _ = fs::remove_dir(d);
        }
    }
}

/// Phase one: blobs, as they stream past.
struct BlobWriter {
    dir: PathBuf,
    /// What `blobs/` held before: digest → size.
    present: BTreeMap<Digest, u64>,
    open: Option<(Digest, PathBuf, BufWriter<File>)>,
    /// Final files this run made (new ones).
    created: Vec<Digest>,
    /// Verified copies of blobs present with the wrong size: temp names.
    repaired: Vec<(Digest, PathBuf)>,
    repairs_done: usize,
    skipped: usize,
}

impl BlobWriter {
    fn new(dir: PathBuf) -> io::Result<Self> {
        let mut present = BTreeMap::new();
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let digest = name.to_str().and_then(Digest::from_blob_file_name);
            if let (Some(d), Ok(md)) = (digest, entry.metadata()) {
                if md.is_file() {
                    present.insert(d, md.len());
                }
            }
        }
        Ok(Self {
            dir,
            present,
            open: None,
            created: Vec::new(),
            repaired: Vec::new(),
            repairs_done: 0,
            skipped: 0,
        })
    }

    fn event(&mut self, ev: &Event<'_>, v: &ArchiveVerifier) -> Result<(), String> {
        match ev {
            Event::Entry(info) => {
                let Some(Placement::Blob { digest }) = v.placement() else {
                    return Ok(());
                };
                let done =
                    self.created.contains(digest) || self.repaired.iter().any(|(d, _)| d == digest);
                if done || !blob_needed(info.size, self.present.get(digest).copied()) {
                    self.skipped += usize::from(!done);
                    return Ok(());
                }
                let temp = self
                    .dir
                    .join(format!("{}.ollama-pack.tmp", digest.blob_file_name()));
                let file = File::create(&temp).map_err(|e| format!("{}: {e}", temp.display()))?;
                self.open = Some((
                    digest.clone(),
                    temp,
                    BufWriter::with_capacity(1 << 20, file),
                ));
            }
            Event::Data(data) => {
                if let Some((_, temp, w)) = &mut self.open {
                    w.write_all(data)
                        .map_err(|e| format!("{}: {e}", temp.display()))?;
                }
            }
            Event::EntryEnd => {
                if let Some((digest, temp, w)) = self.open.take() {
                    let verified = matches!(v.last_blob(), Some((d, true)) if *d == digest);
                    let finished = w
                        .into_inner()
                        .map_err(|e| e.into_error())
                        .and_then(|f| f.sync_all());
                    if let Err(e) = finished {
                        let _ = fs::remove_file(&temp);
                        return Err(format!("{}: {e}", temp.display()));
                    }
                    if !verified {
                        // Not what its name says: never under a final name.
                        let _ = fs::remove_file(&temp);
                        return Ok(());
                    }
                    if self.present.contains_key(&digest) {
                        // A file of the wrong size is there: replaced only
                        // when the import commits (phase two).
                        self.repaired.push((digest, temp));
                        return Ok(());
                    }
                    let dest = self.dir.join(digest.blob_file_name());
                    fs::rename(&temp, &dest).map_err(|e| format!("{}: {e}", dest.display()))?;
                    self.created.push(digest);
                }
            }
            Event::End | Event::Trailing { .. } => {}
        }
        Ok(())
    }

    /// Removes the temporary files and every blob this run created.
    fn abort(&mut self) {
        if let Some((_, temp, _)) = self.open.take() {
            let _ = fs::remove_file(temp);
        }
        for (_, temp) in self.repaired.drain(..) {
            let _ = fs::remove_file(temp);
        }
        for d in self.created.drain(..) {
            let _ = fs::remove_file(self.dir.join(d.blob_file_name()));
        }
    }

    /// Puts the verified copies over the wrong-size files they replace,
    /// those an imported model uses; the others are dropped.
    fn commit_repairs(&mut self, keep: &BTreeSet<&Digest>) -> Result<(), String> {
        for (digest, temp) in std::mem::take(&mut self.repaired) {
            if !keep.contains(&digest) {
                let _ = fs::remove_file(&temp);
                continue;
            }
            let dest = self.dir.join(digest.blob_file_name());
            fs::rename(&temp, &dest).map_err(|e| format!("{}: {e}", dest.display()))?;
            self.repairs_done += 1;
        }
        Ok(())
    }

    /// Removes the blobs this run created that no imported model uses.
    fn remove_unused(&mut self, keep: &BTreeSet<&Digest>) {
        let dir = self.dir.clone();
        self.created.retain(|d| {
            let used = keep.contains(d);
            if !used {
                let _ = fs::remove_file(dir.join(d.blob_file_name()));
            }
            used
        });
    }
}
