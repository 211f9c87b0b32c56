//! `ollama-pack pull REF -o ARCHIVE [--gzip[=LEVEL]]`: a model from a
//! registry straight into an archive, no models folder needed. In: the
//! pull's arguments and where the archive goes (`-`: standard output). Out: the archive exactly as
//! `pack` writes it for that model. How: the ordinary pull into a download
//! folder beside ARCHIVE (`ARCHIVE.pulling`; for `-`, `<reference>.pulling`
//! in the current folder), so parallel parts, verification and resume are
//! the same; then `pack` of that folder (temporary file + rename, every
//! blob re-checked as it is written); then the folder is removed. A failed
//! pull writes no archive and keeps the download folder (unless nothing was
//! downloaded) so that the same command continues.

use super::common::Failure;
use super::{parse_reference, pull, report, Args};
use crate::cli::pack::{self, WriteEnd};
use crate::cli::{removal, FsSource};
use crate::core::archive::PackPlan;
use crate::core::registry::to_archive::{self, PackEnd, Staging, ToArchiveError};
use crate::core::registry::{PullSummary, RegistryRef};
use crate::core::store::removal::RemovalPlan;
use std::fs;
use std::path::{Path, PathBuf};

pub fn run(args: &Args, output: &Path) -> Result<(), Failure> {
    let reference = parse_reference(args)?;
    let staging = staging_dir(output, &reference)?;
    pack::check_output(output, &staging).map_err(Failure::Run)?;
    let mut steps = ToArchive {
        args,
        output,
        source: FsSource::new(&staging),
        staging: staging.clone(),
        pack_exit: 2,
    };
    // The CLI's steps block in place: the future never waits.
    match pollster::block_on(to_archive::pull_to_archive(&mut steps)) {
        Ok(_) => Ok(()),
        Err(ToArchiveError::Pull(failure)) => Err(kept(failure, &staging)),
        Err(ToArchiveError::Pack(PackEnd::Cancelled)) => Err(Failure::Interrupted(format!(
            "interrupted; no archive was finished. The verified download stays in {}: run the same command again to pack it, or delete that folder",
            staging.display()
        ))),
        Err(e) => {
            let words = e.after_pull().unwrap_or_default();
            eprintln!("ollama-pack: {words} (in {})", staging.display());
            Err(Failure::Reported(steps.pack_exit))
        }
    }
}

/// The CLI's side of a pull into an archive: the download folder beside
/// the archive, the archive file (or stdout).
struct ToArchive<'a> {
    args: &'a Args,
    output: &'a Path,
    staging: PathBuf,
    source: FsSource,
    /// The exit code of a failed pack (1 the data, 2 anything else).
    pack_exit: u8,
}

impl Staging for ToArchive<'_> {
    type Source = FsSource;
    type PullFailure = Failure;

    fn source(&self) -> &FsSource {
        &self.source
    }

    async fn pull(&mut self) -> Result<PullSummary, Failure> {
        let (summary, root, secs) = pull(self.args, &self.staging)?;
        eprintln!("{}", report(self.args, &summary, &root, secs));
        Ok(summary)
    }

    async fn pack(&mut self, plan: PackPlan) -> Result<(), PackEnd> {
        let models_dir = "";
        pack::write_planned(
            &self.staging,
            models_dir,
            plan,
            self.output,
            self.args.gzip.gzip,
        )
        .map_err(|e| match e {
            WriteEnd::Interrupted => PackEnd::Cancelled,
            WriteEnd::Failed(message, code) => {
                self.pack_exit = code;
                PackEnd::Failed(message)
            }
        })
    }

    /// The model leaves the download folder; the folder goes once it holds
    /// no manifest (it was made for this archive).
    async fn unstage(&mut self, plan: &RemovalPlan) {
        let _ = removal::remove(&self.staging, plan, &|_| {});
        let manifests_left =
            fs::read_dir(self.staging.join("manifests")).is_ok_and(|mut d| d.next().is_some());
        if manifests_left {
            return;
        }
        if let Err(e) = fs::remove_dir_all(&self.staging) {
            eprintln!(
                "ollama-pack: warning: the download folder {} could not be removed ({e}); delete it",
                self.staging.display()
            );
        }
    }

    async fn discard_target(&mut self) {
        // The CLI makes the archive only when it packs.
    }
}

/// `ARCHIVE.pulling` beside ARCHIVE; for `-`, a folder named after the
/// model in the current folder.
fn staging_dir(output: &Path, reference: &RegistryRef) -> Result<PathBuf, Failure> {
    if output == Path::new("-") {
        let name: String = reference
            .model_name()
            .display_shortest()
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' => c,
                _ => '_',
            })
            .collect();
        return Ok(PathBuf::from(format!("{name}.pulling")));
    }
    let name = output
        .file_name()
        .ok_or_else(|| Failure::Run(format!("{}: not a file name", output.display())))?;
    let mut staging = name.to_owned();
    staging.push(".pulling");
    Ok(output.with_file_name(staging))
}

/// A failed pull: the download folder stays when it holds data to resume
/// from, and goes when it holds nothing.
fn kept(failure: Failure, staging: &Path) -> Failure {
    let has_data = fs::read_dir(staging.join("blobs"))
        .map(|mut entries| entries.next().is_some())
        .unwrap_or(false);
    if has_data {
        return failure.with_note(&format!(
            "No archive was written. What was downloaded is kept in {}: run the same command \
             again to continue, or delete that folder.",
            staging.display()
        ));
    }
    // Only empty folders go (remove_dir refuses others).
    for dir in [
        staging.join("blobs"),
        staging.join("manifests"),
        staging.to_path_buf(),
    ] {
        let _ = fs::remove_dir(dir);
    }
    failure.with_note("No archive was written.")
}
