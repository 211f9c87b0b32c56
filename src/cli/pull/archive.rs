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
use crate::cli::pack;
use crate::core::registry::RegistryRef;
use std::fs;
use std::path::{Path, PathBuf};

pub fn run(args: &Args, output: &Path) -> Result<(), Failure> {
    let reference = parse_reference(args)?;
    let staging = staging_dir(output, &reference)?;
    pack::check_output(output, &staging).map_err(Failure::Run)?;
    let (summary, root, secs) = pull(args, &staging).map_err(|f| kept(f, &staging))?;
    eprintln!("{}", report(args, &summary, &root, secs));
    let opts = pack::Options {
        dir: root,
        output: output.to_path_buf(),
        gzip: args.gzip.gzip,
        models: vec![summary.name.display_shortest()],
        all: false,
    };
    pack::execute(&opts).map_err(|code| {
        eprintln!(
            "ollama-pack: the verified download stays in {}: run the same command again to \
             pack it, or delete that folder",
            staging.display()
        );
        Failure::Reported(code)
    })?;
    if let Err(e) = fs::remove_dir_all(&staging) {
        eprintln!(
            "ollama-pack: warning: the download folder {} could not be removed ({e}); delete it",
            staging.display()
        );
    }
    Ok(())
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
