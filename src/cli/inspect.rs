//! `ollama-pack inspect DIR [--json]`. In: a folder path. Out: the models
//! table and the store findings (or the report as JSON); exit 0 when the
//! folder was read, 2 when it is not a models folder or cannot be read.

use super::table;
use super::FsSource;
use crate::core::format::{human_bytes, relative_time};
use crate::core::store::{scan_store, StoreReport};
use std::path::Path;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn run(dir: &Path, json: bool) -> ExitCode {
    let label = crate::cli::folder::absolute(dir);
    let source = FsSource::new(&label);
    let report = match pollster::block_on(scan_store(&source, &label.to_string_lossy())) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("ollama-pack: {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    let report = super::gguf::with_gguf(&source, report);
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("ollama-pack: could not write JSON: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", render(&report));
    }
    ExitCode::SUCCESS
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn render(r: &StoreReport) -> String {
    let now = now_ms();
    let dash = || "-".to_string();
    let rows: Vec<Vec<String>> = r
        .models
        .iter()
        .map(|m| {
            vec![
                m.name.clone(),
                m.id.clone(),
                human_bytes(m.size),
                m.modified_ms.map_or_else(dash, |t| relative_time(t, now)),
                m.family.clone().unwrap_or_else(dash),
                m.parameter_size.clone().unwrap_or_else(dash),
                m.quantization.clone().unwrap_or_else(dash),
                human_bytes(m.frees),
            ]
        })
        .collect();
    let mut out = format!("{}\n", r.root);
    out += &table::render(
        &[
            "NAME", "ID", "SIZE", "MODIFIED", "FAMILY", "PARAMS", "QUANT", "FREES",
        ],
        &rows,
    );
    out += &findings(r);
    out
}

fn findings(r: &StoreReport) -> String {
    let b = &r.blobs;
    let mut out = format!(
        "\n{} models, {} blobs, {} ({} in blobs/, {} shared between models)\n",
        r.models.len(),
        b.count,
        human_bytes(b.bytes),
        human_bytes(b.disk_bytes),
        human_bytes(b.shared_bytes),
    );
    if !b.orphaned.is_empty() {
        out += &format!(
            "orphaned (no manifest uses them): {} blob(s), {}\n",
            b.orphaned.len(),
            human_bytes(b.orphaned_bytes)
        );
        out += &b
            .orphaned
            .iter()
            .map(|o| format!("  {} {}\n", o.digest, human_bytes(o.size)))
            .collect::<String>();
    }
    if !b.partial.is_empty() {
        out += &format!(
            "partial downloads: {} file(s), {}\n",
            b.partial.len(),
            human_bytes(b.partial_bytes)
        );
        out += &b
            .partial
            .iter()
            .map(|p| format!("  {p}\n"))
            .collect::<String>();
    }
    for m in &b.missing {
        out += &format!("MISSING blob {} (needed by {})\n", m.digest, m.model);
    }
    for m in &b.size_mismatch {
        out += &format!(
            "WRONG SIZE blob {}: manifest says {} bytes, file has {}\n",
            m.digest, m.expected, m.actual
        );
    }
    for e in &r.errors {
        out += &format!("note: {}: {}\n", e.path, e.message);
    }
    out
}
