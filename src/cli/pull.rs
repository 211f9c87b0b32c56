//! `ollama-pack pull REF (-C DIR | -o ARCHIVE)`. In: a reference as Ollama
//! writes it and a models folder (its parent `.ollama`, or an empty folder
//! that becomes a models folder), or an archive to write (`archive.rs`).
//! Out: the model stored as Ollama stores it, under
//! `manifests/<host[:port]>/<ns>/<model>/<tag>`, blobs already present
//! skipped, the others fetched in parallel ranged parts, each verified
//! before it gets its name, the manifest written last, unchanged. An
//! interrupted pull continues where it stopped. Exit 0 pulled; 1 the
//! transfer or a verification failed; 2 could not run (bad reference, not
//! a models folder, no such model on the registry, login needed); 130
//! interrupted. The core's [`Pull`] machine decides; this drives it.

mod archive;
mod buffers;
pub mod common;
mod drive;
mod files;
pub mod net;
mod prefix;

use crate::core::format::human_bytes;
use crate::core::name::ModelName;
use crate::core::registry::auth_flow::AuthFailure;
use crate::core::registry::pull::tuning::Link;
use crate::core::registry::{Pull, PullError, PullOptions, PullSummary, RegistryRef};
use common::{Failure, RegistryArgs};
use drive::Driver;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("destination").required(true).args(["dir", "output"])))]
pub struct Args {
    /// The model: [http://]host[:port]/namespace/model[:tag] (https unless http://;
    /// namespace defaults to library, tag to latest, host to registry.ollama.ai).
    reference: String,
    /// The models folder to pull into, its parent .ollama folder, or an empty or
    /// new folder that becomes a models folder. Default: Ollama's
    /// ($OLLAMA_MODELS, else ~/.ollama/models).
    #[arg(
        short = 'C',
        long = "dir",
        visible_alias = "directory",
        value_name = "DIR"
    )]
    dir: Option<PathBuf>,
    /// Store the model under this name ([host/][namespace/]model[:tag]) instead
    /// of the reference's; the manifest stays as served, so the ID stays.
    #[arg(long = "as", value_name = "NAME", value_parser = super::parse_name)]
    store_as: Option<ModelName>,
    /// Or write the model into this archive (as `pack` makes it; no models folder
    /// needed): downloaded into the folder ARCHIVE.pulling beside it (kept if the
    /// pull fails, so that running it again continues), then packed, then that
    /// folder is removed. `-` streams the archive to standard output (the
    /// download folder is then made in the current folder). --gzip compresses it.
    #[arg(short = 'o', long = "output", value_name = "ARCHIVE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    gzip: super::GzipArg,
    /// Bytes per ranged part. Default, as Ollama: 1/16 of the blob, 100 MB to 1 GB;
    /// one part per blob from a registry on this machine (localhost, 127.x.x.x, ::1).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    part_size: Option<u64>,
    /// Parts downloaded at once. Default, as Ollama: 16; 4 from a registry on this
    /// machine, where more connections only cost CPU.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: Option<u16>,
    #[command(flatten)]
    registry: RegistryArgs,
}

pub fn run(args: &Args) -> ExitCode {
    let result = match (&args.dir, &args.output) {
        (_, Some(output)) => archive::run(args, output),
        (Some(_), None) if args.gzip.gzip.is_some() => Err(Failure::Run(
            "--gzip compresses an archive: give -o ARCHIVE with it".into(),
        )),
        (dir, None) => crate::cli::folder::models_folder(dir.as_deref())
            .map_err(Failure::Run)
            .and_then(|dir| pull(args, &dir))
            .map(|(summary, root, secs)| {
                println!("{}", report(args, &summary, &root, secs));
            }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

/// The line that says what a pull did.
fn report(args: &Args, summary: &PullSummary, root: &Path, secs: f64) -> String {
    format!(
        "pulled {} into {} as {}: {} blobs ({}), {} already present, {} downloaded in {secs:.1} s",
        args.reference,
        root.display(),
        summary.name.display_shortest(),
        summary.blobs,
        human_bytes(summary.total_bytes),
        summary.already_present,
        human_bytes(summary.downloaded_bytes),
    )
}

/// The pull's options: the part plan and concurrency the core tunes for
/// where the registry is, unless the user set them.
fn options(args: &Args, reference: &RegistryRef) -> Result<PullOptions, Failure> {
    let mut opts = PullOptions {
        credentials: args.registry.credentials()?,
        ..PullOptions::default()
    }
    .tuned(
        Link::from_cli_to(&reference.host),
        args.part_size,
        args.concurrency.map(usize::from),
    );
    opts.retry.max_attempts = args.registry.attempts;
    opts.store_as = args.store_as.clone();
    Ok(opts)
}

/// Pulls into the models folder `dir`: the summary, the models folder and
/// the seconds it took.
fn pull(args: &Args, dir: &Path) -> Result<(PullSummary, PathBuf, f64), Failure> {
    let started = Instant::now();
    let reference = parse_reference(args)?;
    let opts = options(args, &reference)?;
    let root = files::models_root(dir)?;
    let mut driver = Driver::new(root, args.registry.stall())?;
    let mut machine = Pull::new(reference, opts);
    crate::cli::interrupt::catch();
    loop {
        while let Some(action) = machine.poll_action() {
            match driver.act(&mut machine, action) {
                Ok(Some(result)) => {
                    let secs = started.elapsed().as_secs_f64();
                    return result.map(|s| (s, driver.root, secs)).map_err(failure);
                }
                Ok(None) => {}
                // The folder failed us: stop here, before any later step
                // (the manifest) runs; what is recorded so far stays.
                Err(message) => {
                    driver.stop();
                    return Err(Failure::Transfer(format!(
                        "{message}; the pull stopped (run it again to continue)"
                    )));
                }
            }
        }
        if crate::cli::interrupt::interrupted() {
            machine.cancel();
            continue;
        }
        driver.wait(&mut machine, Duration::from_millis(200));
    }
}

fn parse_reference(args: &Args) -> Result<RegistryRef, Failure> {
    RegistryRef::parse(&args.reference).map_err(|e| Failure::Run(e.to_string()))
}

fn failure(e: PullError) -> Failure {
    let message = e.to_string();
    match e {
        PullError::NotFound { .. } | PullError::NotAModel { .. } => Failure::Run(message),
        PullError::Auth(AuthFailure::NeedCredentials { .. }) => Failure::Run(format!(
            "{message} (--user USER, password in ${})",
            common::PASSWORD_VAR
        )),
        PullError::Auth(AuthFailure::Refused { .. }) => Failure::Run(message),
        PullError::Cancelled => Failure::Interrupted(message),
        // A file could not be read or written (a full disk, say): what was
        // downloaded is kept for the next run.
        PullError::Local(_) => Failure::Transfer(format!(
            "{message}; what was downloaded is kept: once that is fixed, run the same pull \
             again to continue where it stopped"
        )),
        _ => Failure::Transfer(message),
    }
}

#[cfg(test)]
mod tests {
    use super::{failure, options, Args, Failure, PullError};
    use crate::core::registry::RegistryRef;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    /// The parts `pull ARGS REF -C x` plans for a blob of `size` bytes,
    /// and how many it fetches at once.
    fn plan(reference: &str, extra: &[&str], size: u64) -> (usize, usize) {
        let head = ["pull", reference, "-C", "x"];
        let argv = head.iter().chain(extra);
        let cli = Cli::try_parse_from(argv).unwrap();
        let opts = options(&cli.args, &RegistryRef::parse(reference).unwrap()).unwrap();
        (opts.plan_parts(size).len(), opts.concurrency)
    }

    #[test]
    fn a_local_failure_says_the_download_is_kept() {
        let disk = "blobs/x-partial: No space left on device (os error 28)";
        let Failure::Transfer(text) = failure(PullError::Local(disk.into())) else {
            panic!("a transfer failure (exit 1)");
        };
        assert!(text.starts_with(disk), "{text}");
        assert!(
            text.contains("run the same pull again to continue"),
            "{text}"
        );
    }

    #[test]
    fn a_registry_on_this_machine_gets_one_part_per_blob() {
        let size = 5_000_000_000;
        assert_eq!(plan("http://127.0.0.1:5000/a/b:c", &[], size), (1, 4));
        assert_eq!(plan("localhost:5000/a/b", &[], size), (1, 4));
        assert_eq!(
            plan("registry.example/a/b", &[], size),
            (16, 16),
            "as Ollama"
        );
        let split = ["--part-size", "1000000000", "--concurrency", "2"];
        assert_eq!(plan("http://127.0.0.1:5000/a/b", &split, size), (5, 2));
    }
}
