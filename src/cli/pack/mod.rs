//! `ollama-pack pack DIR -o FILE [--gzip[=LEVEL]] (MODEL... | --all)`. In:
//! a models folder, the models to pack and where to write. Out: the archive
//! (DESIGN.md section 5), written to a temporary file beside FILE and
//! renamed to FILE only when every blob matched its digest; on any failure
//! or Ctrl-C the temporary file is deleted and no FILE appears. `-o -`
//! streams to stdout (a failure can then only cut the stream short). Exit 0
//! packed; 1 the data stopped it (a damaged, missing or wrong-size blob; with
//! --all: the intact models were packed, the others skipped and listed); 2
//! could not run; 130 interrupted. The core plans and writes; this driver
//! reads 4 MiB at a time and moves the bytes.

mod pipeline;
mod target;

use super::FsSource;
use crate::cli::folder::local;
use crate::core::archive::{
    prepare_pack, ArchiveWriter, Choice, PackError, PackPlan, PackPlanError, PreparePackError,
    WriteOptions,
};
use crate::core::format::human_bytes;
use crate::core::store::scan_store;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use target::Target;

pub struct Options {
    pub dir: PathBuf,
    pub output: PathBuf,
    pub gzip: Option<u32>,
    pub models: Vec<String>,
    pub all: bool,
}

/// Why a pack did not finish, and its exit code.
enum Failure {
    /// The data: a damaged, missing or wrong-size blob (exit 1).
    Data(String),
    /// Anything else: arguments, folders, I/O (exit 2).
    Run(String),
    Interrupted,
}

impl Failure {
    fn with_note(self, note: &str) -> Self {
        match self {
            Self::Data(m) => Self::Data(format!("{m}\n{note}")),
            Self::Run(m) => Self::Run(format!("{m}\n{note}")),
            Self::Interrupted => Self::Interrupted,
        }
    }
}

impl From<PackError> for Failure {
    fn from(e: PackError) -> Self {
        match e {
            PackError::BlobMismatch { .. } | PackError::BlobSize { .. } => {
                Self::Data(e.to_string())
            }
            _ => Self::Run(e.to_string()),
        }
    }
}

pub fn run(opts: &Options) -> ExitCode {
    match execute(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => ExitCode::from(code),
    }
}

/// Packs, says what went wrong on stderr; `Err` holds the exit code.
pub fn execute(opts: &Options) -> Result<(), u8> {
    match pack(opts) {
        Ok(skipped) if skipped > 0 => Err(1),
        Ok(_) => Ok(()),
        Err(failure) => {
            let (message, code) = match failure {
                Failure::Data(m) => (m, 1),
                Failure::Run(m) => (m, 2),
                Failure::Interrupted => ("interrupted; no archive was finished".to_string(), 130),
            };
            eprintln!("ollama-pack: {message}");
            Err(code)
        }
    }
}

/// Why `output` cannot receive an archive of the models folder
/// `models_root` (`-` is standard output), before anything is read.
pub fn check_output(output: &Path, models_root: &Path) -> Result<(), String> {
    match Target::check(output, models_root) {
        Ok(_) => Ok(()),
        Err(Failure::Data(m) | Failure::Run(m)) => Err(m),
        Err(Failure::Interrupted) => Err("interrupted".into()),
    }
}

/// Packs; returns how many models or manifests `--all` skipped.
fn pack(opts: &Options) -> Result<usize, Failure> {
    let dir = &opts.dir;
    if dir.is_file() {
        return Err(Failure::Run(format!(
            "{}: is a file; give a models folder (~/.ollama or ~/.ollama/models)",
            dir.display()
        )));
    }
    let root = crate::cli::folder::absolute(dir);
    let source = FsSource::new(&root);
    let report = pollster::block_on(scan_store(&source, &root.to_string_lossy()))
        .map_err(|e| Failure::Run(format!("{}: {e}", dir.display())))?;
    let choice = if opts.all {
        Choice::Intact
    } else {
        Choice::Named(opts.models.clone())
    };
    let plan =
        pollster::block_on(prepare_pack(&source, &report, &choice)).map_err(|e| match e {
            PreparePackError::Plan(e) => plan_failure(e),
            other => Failure::Run(other.to_string()),
        })?;
    write(&root, &report.models_dir, plan, &opts.output, opts.gzip)
}

/// Writes a planned archive of the models folder `models_dir` under `root`
/// into `output`; returns how many models or manifests the plan skipped.
fn write(
    root: &Path,
    models_dir: &str,
    plan: PackPlan,
    output: &Path,
    gzip: Option<u32>,
) -> Result<usize, Failure> {
    let target = Target::check(output, &local(root, models_dir))?;
    for s in plan.skipped() {
        eprintln!("ollama-pack: skipped {}: {}", s.what, s.reason);
    }
    eprintln!(
        "Packing {} model(s) ({}): {} blobs, {}; archive {}{}",
        plan.model_names().len(),
        plan.model_names().join(", "),
        plan.blobs().len(),
        human_bytes(plan.blob_bytes()),
        human_bytes(plan.archive_size()),
        if gzip.is_some() { " before gzip" } else { "" },
    );
    crate::cli::interrupt::catch();
    let skipped = plan.skipped().len();
    let started = Instant::now();
    let writer = ArchiveWriter::new(plan, WriteOptions { gzip })?;
    let progress = target.write(|out| pipeline::stream(root, writer, out))?;
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    eprintln!(
        "Packed into {}: {} in {secs:.1} s, {}/s{}",
        target.describe(),
        human_bytes(progress.out_bytes),
        human_bytes((progress.blob_bytes as f64 / secs) as u64),
        if skipped > 0 {
            format!("; {skipped} skipped (see above)")
        } else {
            String::new()
        },
    );
    Ok(skipped)
}

/// How writing a planned archive ended when it did not: interrupted, or
/// why, with the exit code (1 the data, 2 anything else).
pub enum WriteEnd {
    Interrupted,
    Failed(String, u8),
}

/// [`write`] for a plan made elsewhere (`pull -o`).
pub fn write_planned(
    root: &Path,
    models_dir: &str,
    plan: PackPlan,
    output: &Path,
    gzip: Option<u32>,
) -> Result<(), WriteEnd> {
    match write(root, models_dir, plan, output, gzip) {
        Ok(_) => Ok(()),
        Err(Failure::Interrupted) => Err(WriteEnd::Interrupted),
        Err(Failure::Data(m)) => Err(WriteEnd::Failed(m, 1)),
        Err(Failure::Run(m)) => Err(WriteEnd::Failed(m, 2)),
    }
}

fn plan_failure(e: PackPlanError) -> Failure {
    match e {
        PackPlanError::Unpackable(_) | PackPlanError::NothingIntact { .. } => {
            Failure::Data(format!("{e}\nNo archive was written."))
        }
        _ => Failure::Run(e.to_string()),
    }
}
