//! `ollama-pack verify DIR [--json] [--orphans] [--quick-state FILE]
//! [MODEL...]`. In: a models folder and model names (none: all). Out: a
//! table of blobs with their results and a verdict per model (or the
//! [`VerifyReport`] as JSON); exit 0 all good, 1 problems found, 2 could not
//! run. The core plans and judges; this driver reads the files with
//! std::fs on every core: a pool of threads, each streaming 4 MiB chunks
//! into one reused buffer and the core's [`BlobHasher`].
//!
//! [`BlobHasher`]: crate::core::verify::BlobHasher

use super::table;
use super::FsSource;
use crate::cli::folder::local;
use crate::core::digest::Digest;
use crate::core::format::human_bytes;
use crate::core::name::ModelName;
use crate::core::source::{join, StoreSource};
use crate::core::store::blob_dir::BlobDir;
use crate::core::store::{scan_store, StoreReport};
use crate::core::verify::{BlobCheck, Outcome, QuickMemory, Selection, VerifyPlan, VerifyReport};
use indicatif::ProgressBar;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Bytes read at a time per thread.
const CHUNK: usize = 4 << 20;

pub struct Options {
    pub dir: PathBuf,
    pub models: Vec<String>,
    pub json: bool,
    pub orphans: bool,
    pub quick_state: Option<PathBuf>,
    /// The name of a flat download's model.
    pub name: Option<ModelName>,
}

pub fn run(opts: &Options) -> ExitCode {
    if opts.dir.is_file() || super::flat_folder::is_flat(&opts.dir) {
        if !opts.models.is_empty() || opts.orphans || opts.quick_state.is_some() {
            eprintln!(
                "ollama-pack: {}: is an archive or a direct download; MODEL names, --orphans \
                 and --quick-state apply to a models folder only",
                opts.dir.display()
            );
            return ExitCode::from(2);
        }
        return super::verify_archive::run(&opts.dir, opts.json, opts.name.as_ref());
    }
    match verify(opts) {
        Ok(report) => {
            if report.has_problems() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(message) => {
            eprintln!("ollama-pack: {message}");
            ExitCode::from(2)
        }
    }
}

fn verify(opts: &Options) -> Result<VerifyReport, String> {
    let dir = &opts.dir;
    let root = crate::cli::folder::absolute(dir);
    let source = FsSource::new(&root);
    let report = pollster::block_on(scan_store(&source, &root.to_string_lossy()))
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let blobs_dir = join(&report.models_dir, "blobs");
    let listing = pollster::block_on(source.list(&blobs_dir))
        .map(BlobDir::from_listing)
        .map_err(|e| format!("the blobs folder could not be listed: {e}"))?;
    let selection = Selection {
        models: opts.models.clone(),
        orphans: opts.orphans,
    };
    let mut plan = VerifyPlan::new(&report, &listing, &selection).map_err(|e| e.to_string())?;
    let mut memory = match &opts.quick_state {
        Some(path) => load_memory(path),
        None => QuickMemory::new(),
    };
    if opts.quick_state.is_some() {
        plan = memory.skip_in(plan);
    }

    let started = Instant::now();
    let mut outcomes = plan.settled();
    outcomes.extend(hash_all(&root, &plan));
    let elapsed = started.elapsed();
    let verified = VerifyReport::build(&plan, &outcomes);

    if let Some(path) = &opts.quick_state {
        for c in &plan.checks {
            if let Some(o) = outcomes.get(&c.digest) {
                memory.record(c, o);
            }
        }
        save_memory(path, &memory);
    }
    if opts.json {
        let text = serde_json::to_string_pretty(&verified)
            .map_err(|e| format!("could not write JSON: {e}"))?;
        println!("{text}");
    } else {
        print!("{}", render(&verified, &report, &plan, elapsed));
    }
    Ok(verified)
}

/// Hashes every blob the listing did not settle, in the plan's hash order
/// (largest first), on as many threads as there are cores (never more than
/// blobs).
fn hash_all(root: &Path, plan: &VerifyPlan) -> Vec<(Digest, Outcome)> {
    let jobs: Vec<&BlobCheck> = plan.hash_order();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len());
    let bar = match jobs.len() {
        0 => indicatif::ProgressBar::hidden(),
        n => {
            let bar = super::progress::bar(plan.bytes_to_hash());
            super::progress::say(&bar, format!("0/{n} blobs"));
            bar
        }
    };
    let (next, done) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (tx, jobs, next, done, bar) = (tx.clone(), &jobs, &next, &done, &bar);
            scope.spawn(move || {
                let mut buf = vec![0u8; CHUNK];
                while let Some(check) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = hash_file(&local(root, &check.path), check, &mut buf, bar);
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    super::progress::say(bar, format!("{finished}/{} blobs", jobs.len()));
                    // The receiver outlives the scope, so this cannot fail.
                    let _ = tx.send((check.digest.clone(), outcome));
                }
            });
        }
    });
    drop(tx);
    bar.finish_and_clear();
    rx.into_iter().collect()
}

fn hash_file(path: &Path, check: &BlobCheck, buf: &mut [u8], bar: &ProgressBar) -> Outcome {
    let unreadable = |e: io::Error| Outcome::Unreadable {
        reason: e.to_string(),
    };
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Outcome::Missing,
        Err(e) => return unreadable(e),
    };
    let mut hasher = check.hasher();
    loop {
        match file.read(buf) {
            Ok(0) => return hasher.finish(),
            Ok(n) => {
                hasher.update(&buf[..n]);
                bar.inc(n as u64);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return unreadable(e),
        }
    }
}

/// An earlier run's memory; a file that is not there or not readable is
/// an empty memory (with a warning for the latter).
fn load_memory(path: &Path) -> QuickMemory {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            eprintln!(
                "ollama-pack: warning: {}: not a quick-check state ({e}); checking everything",
                path.display()
            );
            QuickMemory::new()
        }),
        Err(_) => QuickMemory::new(),
    }
}

/// Writes the memory beside its final name first, then renames it over.
fn save_memory(path: &Path, memory: &QuickMemory) {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let written = serde_json::to_vec(memory)
        .map_err(io::Error::other)
        .and_then(|bytes| std::fs::write(&tmp, bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        eprintln!(
            "ollama-pack: warning: could not save the quick-check state to {}: {e}",
            path.display()
        );
    }
}

fn render(r: &VerifyReport, store: &StoreReport, plan: &VerifyPlan, elapsed: Duration) -> String {
    let rows: Vec<Vec<String>> = r
        .blobs
        .iter()
        .map(|b| {
            let result = match (&b.outcome, b.remembered) {
                (Outcome::Ok, true) => "ok (earlier check)".to_string(),
                (Outcome::Ok, false) => "ok".to_string(),
                (o, _) => o.label().to_uppercase(),
            };
            let models = if b.models.is_empty() {
                "(orphan)".to_string()
            } else {
                b.models.join(", ")
            };
            vec![
                b.digest.short_id().to_string(),
                human_bytes(b.size),
                models,
                result,
            ]
        })
        .collect();
    let mut out = format!("{}\n", r.root);
    out += &table::render(&["BLOB", "SIZE", "MODELS", "RESULT"], &rows);
    let problems: Vec<_> = r.blobs.iter().filter(|b| !b.outcome.is_ok()).collect();
    if !problems.is_empty() {
        out += "\n";
        for b in problems {
            out += &format!("{}: {}\n", b.digest, b.outcome.describe());
        }
    }
    if !r.models.is_empty() {
        let verdicts: Vec<Vec<String>> = r.models.iter().map(verdict_row).collect();
        out += "\n";
        out += &table::render(&["MODEL", "VERDICT"], &verdicts);
    }
    // Manifests that could not be parsed matter when the whole store is asked for.
    let whole_store = r.models.len() == store.models.len();
    let broken = store
        .errors
        .iter()
        .filter(|e| e.path.starts_with("manifests/"));
    for e in broken.filter(|_| whole_store) {
        out += &format!("note: {}: {} (not verified)\n", e.path, e.message);
    }
    out += &summary(r, plan, elapsed);
    out
}

fn verdict_row(m: &crate::core::verify::ModelVerdict) -> Vec<String> {
    let verdict = if m.ok {
        "ok".to_string()
    } else {
        format!("FAILED: {} bad blob(s)", m.problems.len())
    };
    vec![m.name.clone(), verdict]
}

fn summary(r: &VerifyReport, plan: &VerifyPlan, elapsed: Duration) -> String {
    let t = &r.totals;
    let hashed = plan.bytes_to_hash();
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        format!(", {}/s", human_bytes((hashed as f64 / secs) as u64))
    } else {
        String::new()
    };
    let remembered = if t.remembered > 0 {
        format!(
            " ({} unchanged since an earlier check, not re-read)",
            t.remembered
        )
    } else {
        String::new()
    };
    let verdict = if t.problems == 0 {
        "all good".to_string()
    } else {
        format!("{} PROBLEM(S)", t.problems)
    };
    let models: BTreeMap<bool, usize> = r.models.iter().fold(BTreeMap::new(), |mut m, v| {
        *m.entry(v.ok).or_default() += 1;
        m
    });
    format!(
        "\n{verdict}: {} blobs ({}) checked, {} ok{remembered}, {} with problems; \
         {} of {} models ok. Read {} in {secs:.1} s{rate}.\n",
        t.blobs,
        human_bytes(t.bytes),
        t.ok,
        t.problems,
        models.get(&true).copied().unwrap_or(0),
        r.models.len(),
        human_bytes(hashed),
    )
}
