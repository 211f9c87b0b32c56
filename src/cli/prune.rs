//! `ollama-pack prune [-C DIR] [--partials] [--dry-run] [--json]`: reclaims
//! the space of blobs no manifest uses (and, with --partials, of unfinished
//! downloads), as Ollama's own prune does when it starts, without starting
//! it. In: the models folder. Out: the core's clean-up plan made from the
//! folder as it is now (what goes; what stays because it was written within
//! the last hour, as a pull under way would leave it), carried out unless
//! --dry-run; nothing outside `blobs/`. Exit 0 done, 1 a file could not be
//! removed, 2 could not run.

use super::folder::local;
use super::removal::remove_file;
use super::FsSource;
use crate::core::format::human_bytes;
use crate::core::source::{join, StoreSource};
use crate::core::store::blob_dir::BlobDir;
use crate::core::store::prune::{plan_prune, PruneFile, PrunePlan};
use crate::core::store::scan_store;
use std::path::Path;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn run(dir: &Path, partials: bool, dry_run: bool, json: bool) -> ExitCode {
    let (blobs_dir, plan) = match plan(dir, partials) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("ollama-pack: {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    if !json {
        print!("{}", preview(&plan, dry_run));
    }
    let mut failed = Vec::new();
    let mut freed = 0;
    if !dry_run {
        for f in plan.orphans.iter().chain(&plan.partials) {
            match remove_file(&blobs_dir, &f.name) {
                Ok(()) => freed += f.size,
                Err(e) => failed.push(e),
            }
        }
    }
    if json {
        println!(
            "{}",
            serde_json::json!({ "plan": plan, "dry_run": dry_run, "freed_bytes": freed, "failed": failed })
        );
    } else if !dry_run {
        println!("Done: {} freed.", human_bytes(freed));
        for e in &failed {
            eprintln!("ollama-pack: could not remove {e}");
        }
    }
    ExitCode::from(u8::from(!failed.is_empty()))
}

fn plan(dir: &Path, partials: bool) -> Result<(std::path::PathBuf, PrunePlan), String> {
    let source = FsSource::new(dir);
    let report = pollster::block_on(scan_store(&source, &dir.to_string_lossy()))
        .map_err(|e| e.to_string())?;
    let blobs = join(&report.models_dir, "blobs");
    let listing = pollster::block_on(source.list(&blobs)).map_err(|e| e.to_string())?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let plan = plan_prune(&report, &BlobDir::from_listing(listing), now, partials);
    Ok((local(dir, &blobs), plan))
}

fn preview(plan: &PrunePlan, dry_run: bool) -> String {
    let verb = if dry_run { "Would remove" } else { "Removing" };
    let list = |files: &[PruneFile]| {
        files
            .iter()
            .map(|f| format!("    {} ({})\n", f.name, human_bytes(f.size)))
            .collect::<String>()
    };
    let mut out = format!(
        "{verb} {} orphaned blob(s) and {} partial download file(s): {}\n{}{}",
        plan.orphans.len(),
        plan.partials.len(),
        human_bytes(plan.freed_bytes()),
        list(&plan.orphans),
        list(&plan.partials)
    );
    if !plan.recent.is_empty() {
        out.push_str(&format!(
            "  kept, written within the last hour (a pull may be writing them; Ollama writes blobs first and the manifest last):\n{}",
            list(&plan.recent)
        ));
    }
    if let Some(why) = &plan.withheld {
        out.push_str(&format!("  orphans: {why}\n"));
    }
    out
}
