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
pub mod common;
mod files;
pub mod net;

use crate::core::format::human_bytes;
use crate::core::registry::auth_flow::AuthFailure;
use crate::core::registry::{Pull, PullAction, PullError, PullOptions, PullSummary, RegistryRef};
use common::{Failure, RegistryArgs};
use net::{Event, Net};
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
    /// new folder that becomes a models folder.
    #[arg(short = 'C', long = "dir", value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Or write the model into this archive (as `pack` makes it; no models folder
    /// needed): downloaded into the folder ARCHIVE.pulling beside it (kept if the
    /// pull fails, so that running it again continues), then packed, then that
    /// folder is removed. `-` streams the archive to standard output (the
    /// download folder is then made in the current folder).
    #[arg(short = 'o', long = "output", value_name = "ARCHIVE")]
    output: Option<PathBuf>,
    /// Bytes per ranged part. Default, as Ollama: 1/16 of the blob, 100 MB to 1 GB.
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    part_size: Option<u64>,
    /// Parts downloaded at once.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    #[command(flatten)]
    registry: RegistryArgs,
}

pub fn run(args: &Args) -> ExitCode {
    let result = match (&args.dir, &args.output) {
        (_, Some(output)) => archive::run(args, output),
        (Some(dir), None) => pull(args, dir).map(|(summary, root, secs)| {
            println!("{}", report(args, &summary, &root, secs));
        }),
        (None, None) => Err(Failure::Run("give -C DIR or -o ARCHIVE".into())),
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

fn options(args: &Args) -> Result<PullOptions, Failure> {
    let mut opts = PullOptions {
        concurrency: usize::from(args.concurrency),
        credentials: args.registry.credentials()?,
        ..PullOptions::default()
    };
    opts.retry.max_attempts = args.registry.attempts;
    if let Some(size) = args.part_size {
        (opts.min_part_size, opts.max_part_size) = (size, size);
    }
    Ok(opts)
}

/// Pulls into the models folder `dir`: the summary, the models folder and
/// the seconds it took.
fn pull(args: &Args, dir: &Path) -> Result<(PullSummary, PathBuf, f64), Failure> {
    let started = Instant::now();
    let reference = parse_reference(args)?;
    let opts = options(args)?;
    let root = files::models_root(dir)?;
    let blobs = root.join("blobs");
    let mut net = Net::new(blobs.clone(), args.registry.stall()).map_err(Failure::Run)?;
    let mut machine = Pull::new(reference, opts);
    common::catch_ctrl_c();
    let bar = common::progress_bar();
    loop {
        while let Some(action) = machine.poll_action() {
            let done = match action {
                PullAction::Send {
                    id,
                    request,
                    delay_ms,
                } => {
                    net.send(id, request, delay_ms);
                    Ok(())
                }
                PullAction::Cancel { id } => {
                    net.cancel(id);
                    Ok(())
                }
                PullAction::CheckLocal { blobs: wanted } => {
                    let total: u64 = wanted.iter().map(|(_, s)| s).sum();
                    bar.set_length(total);
                    bar.println(format!(
                        "{}: {} blobs, {}",
                        machine.reference(),
                        wanted.len(),
                        human_bytes(total)
                    ));
                    machine.provide_local(files::local_blobs(&blobs, &wanted));
                    Ok(())
                }
                PullAction::OpenPartial {
                    digest,
                    size,
                    resume,
                } => files::open_partial(&blobs, &digest, size, resume),
                PullAction::SavePart { digest, record } => {
                    files::save_part(&blobs, &digest, &record)
                }
                PullAction::Verify { digest, .. } => {
                    files::verify(&blobs, digest, net.sender());
                    Ok(())
                }
                PullAction::Commit { digest } => files::commit(&blobs, &digest),
                PullAction::Discard { digest } => files::discard(&blobs, &digest),
                PullAction::WriteManifest { name, bytes } => {
                    files::write_manifest(&root, &name, &bytes).map(drop)
                }
                PullAction::Finished(result) => {
                    bar.finish_and_clear();
                    net.cancel_all();
                    let secs = started.elapsed().as_secs_f64();
                    return result.map(|s| (s, root, secs)).map_err(failure);
                }
            };
            if let Err(message) = done {
                // The folder failed us: stop here, before any later step
                // (the manifest) runs; what is recorded so far stays.
                bar.finish_and_clear();
                net.cancel_all();
                return Err(Failure::Transfer(format!(
                    "{message}; the pull stopped (run it again to continue)"
                )));
            }
        }
        if common::interrupted() {
            machine.cancel();
            continue;
        }
        if let Some(event) = net.next(Duration::from_millis(200)) {
            match net.deliver(&mut machine, event) {
                Some(Event::Verified(digest, Ok((actual, bytes)))) => {
                    machine.on_verified(&digest, actual, bytes)
                }
                Some(Event::Verified(_, Err(message)) | Event::Local(message)) => {
                    machine.fail_local(message)
                }
                _ => {}
            }
        }
        let p = machine.progress();
        bar.set_position(p.done_bytes);
        bar.set_message(format!("{}/{} blobs", p.blobs_done, p.blobs));
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
        _ => Failure::Transfer(message),
    }
}
