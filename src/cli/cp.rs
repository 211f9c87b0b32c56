//! `ollama-pack cp SRC DST [-C DIR] [--replace]`: a model under another
//! name, as `ollama cp` does, without Ollama's server. In: the models
//! folder and the two names. Out: SRC's manifest bytes written at DST's
//! path (temporary file, then a rename), so DST has the same ID and blobs;
//! an existing DST (in any case) is replaced only with --replace. Exit 0
//! copied, 2 could not (unknown SRC, bad or taken DST, I/O).

use super::folder::local;
use super::FsSource;
use crate::core::digest::Digest;
use crate::core::store::copy::{plan_copy, CopyPlan};
use crate::core::store::scan_store;
use std::fs;
use std::path::Path;
use std::process::ExitCode;

pub fn run(dir: &Path, from: &str, to: &str, replace: bool) -> ExitCode {
    match copy(dir, from, to, replace) {
        Ok((plan, bytes)) => {
            println!(
                "Copied {} to {} (ID {}, the same blobs){}",
                plan.from,
                plan.to,
                Digest::of(&bytes).short_id(),
                if plan.replaces.is_some() {
                    "; the model of that name before was replaced"
                } else {
                    ""
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ollama-pack: {e}");
            ExitCode::from(2)
        }
    }
}

fn copy(dir: &Path, from: &str, to: &str, replace: bool) -> Result<(CopyPlan, Vec<u8>), String> {
    let source = FsSource::new(dir);
    let report = pollster::block_on(scan_store(&source, &dir.to_string_lossy()))
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let plan = plan_copy(&report, from, to, replace).map_err(|e| e.to_string())?;
    let models = local(dir, &report.models_dir);
    let bytes = fs::read(local(&models, &plan.from_path))
        .map_err(|e| format!("{}: {e}", plan.from_path))?;
    if let Some(old) = plan.replaces.as_ref().filter(|p| **p != plan.to_path) {
        super::removal::remove_file(&models, old)?;
    }
    write_atomically(&local(&models, &plan.to_path), &bytes)?;
    Ok((plan, bytes))
}

/// Writes `bytes` to `path` through a temporary file beside it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let at = |e: std::io::Error| format!("{}: {e}", path.display());
    let parent = path
        .parent()
        .ok_or_else(|| format!("{}: no folder", path.display()))?;
    fs::create_dir_all(parent).map_err(at)?;
    let mut temp = path.as_os_str().to_owned();
    temp.push(format!(".{}.tmp", std::process::id()));
    fs::write(&temp, bytes).map_err(at)?;
    fs::rename(&temp, path).map_err(|e| {
        let _ = fs::remove_file(&temp);
        at(e)
    })
}
