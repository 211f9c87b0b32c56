//! `ollama-pack rm MODEL... [-C DIR] [--dry-run] [--json]`: removes models
//! without Ollama's server. In: the models folder and the names. Out: the
//! core's removal plan made from the folder as it is now (the manifests
//! that go, the blobs no remaining manifest uses, the blobs kept and who
//! uses them, the bytes freed), carried out (manifests first, then blobs,
//! then empty folders) unless `--dry-run`; printed, or as JSON. Exit 0
//! done, 1 stopped part-way (what was removed is said), 2 could not run,
//! 130 interrupted.

use super::removal::{self, Removed};
use super::FsSource;
use crate::core::format::human_bytes;
use crate::core::store::removal::{plan_removal, RemovalPlan};
use crate::core::store::scan_store;
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, models: &[String], dry_run: bool, json: bool) -> ExitCode {
    let source = FsSource::new(dir);
    let plan = pollster::block_on(scan_store(&source, &dir.to_string_lossy()))
        .map_err(|e| e.to_string())
        .and_then(|report| {
            let plan = plan_removal(&report, models).map_err(|e| e.to_string())?;
            Ok((report.models_dir, plan))
        });
    let (models_dir, plan) = match plan {
        Ok(p) => p,
        Err(e) => {
            eprintln!("ollama-pack: {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    if !json {
        print!("{}", preview(&plan, dry_run));
    }
    if dry_run {
        if json {
            println!("{}", serde_json::json!({ "plan": plan, "dry_run": true }));
        }
        return ExitCode::SUCCESS;
    }
    super::interrupt::catch();
    let done = removal::remove(&super::folder::local(dir, &models_dir), &plan, &|_| {});
    if json {
        println!(
            "{}",
            serde_json::json!({ "plan": plan, "removed": { "models": done.models, "blobs": done.blobs, "bytes": done.bytes }, "stopped": stopped_words(&done) })
        );
    } else {
        println!("{}", outcome(&done));
    }
    match &done.stopped {
        None => ExitCode::SUCCESS,
        Some(None) => ExitCode::from(130),
        Some(Some(_)) => ExitCode::from(1),
    }
}

fn preview(plan: &RemovalPlan, dry_run: bool) -> String {
    let mut out = String::new();
    let verb = if dry_run { "Would remove" } else { "Removing" };
    let names: Vec<&str> = plan.models.iter().map(|m| m.name.as_str()).collect();
    out.push_str(&format!(
        "{verb} {} model(s): {}\n",
        names.len(),
        names.join(", ")
    ));
    for m in &plan.models {
        out.push_str(&format!("  manifest {}\n", m.manifest_path));
    }
    out.push_str(&format!(
        "  {} blob(s) no other model uses: {}\n",
        plan.blobs.len(),
        human_bytes(plan.freed_bytes)
    ));
    for k in &plan.kept {
        out.push_str(&format!(
            "  kept {} ({}): used by {}\n",
            k.digest,
            human_bytes(k.size),
            k.users.join(", ")
        ));
    }
    if let Some(why) = &plan.withheld {
        out.push_str(&format!("  {why}\n"));
    }
    out
}

fn stopped_words(done: &Removed) -> Option<String> {
    match &done.stopped {
        None => None,
        Some(None) => Some("interrupted".into()),
        Some(Some(why)) => Some(why.clone()),
    }
}

fn outcome(done: &Removed) -> String {
    let removed = format!(
        "{} manifest(s) and {} blob(s) removed, {} freed",
        done.models.len(),
        done.blobs,
        human_bytes(done.bytes)
    );
    match stopped_words(done) {
        None => format!("Done: {removed}."),
        Some(why) => format!(
            "Stopped ({why}): {removed}; no remaining manifest points at a removed blob. Run the same command again to finish."
        ),
    }
}
