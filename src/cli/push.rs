//! `ollama-pack push DIR MODEL REF`. In: a models folder, a model in it (as
//! `ollama list` names it) and where to push it. Out: the model on the
//! registry: blobs it has are skipped, others mounted from another
//! repository when asked, or uploaded in chunks; then the manifest bytes,
//! unchanged, so the model keeps its ID. Exit 0 pushed; 1 the transfer
//! failed; 2 could not run (bad reference, not a models folder, unknown or
//! incomplete model, login needed); 130 interrupted. The core's [`Push`]
//! machine decides; this drives it.

use super::pull::common::{self, Failure, RegistryArgs};
use super::pull::net::{Delivered, Event, Net};
use super::FsSource;
use crate::core::format::human_bytes;
use crate::core::name::ModelName;
use crate::core::registry::auth_flow::AuthFailure;
use crate::core::registry::{Push, PushAction, PushError, PushOptions, PushSummary, RegistryRef};
use crate::core::store::report::BlobStatus;
use crate::core::store::{scan_store, ModelReport};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// [DIR] MODEL REFERENCE: the models folder (or ~/.ollama; default: Ollama's,
    /// or -C), the model to push as `ollama list` names it (gemma2 means
    /// gemma2:latest), and where to: [http://]host[:port]/namespace/model[:tag]
    /// (https unless http://).
    #[arg(value_name = "[DIR] MODEL REFERENCE", num_args = 2..=3, required = true)]
    args: Vec<String>,
    /// The models folder (only read).
    #[arg(
        short = 'C',
        long = "dir",
        visible_alias = "directory",
        value_name = "DIR"
    )]
    dir: Option<PathBuf>,
    /// Bytes per upload chunk (PATCH).
    #[arg(long, value_name = "BYTES", default_value_t = 100_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    chunk_size: u64,
    /// Blobs uploaded at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// First try to mount each missing blob from this repository (namespace/model)
    /// of the same registry.
    #[arg(long, value_name = "REPO")]
    mount_from: Option<String>,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// The folder, the model and the reference the positionals give.
struct Target {
    dir: PathBuf,
    model: String,
    reference: String,
}

impl Args {
    fn target(&self) -> Result<Target, Failure> {
        let (dir, model, reference) = match self.args.as_slice() {
            [dir, model, reference] => (Some(PathBuf::from(dir)), model, reference),
            [model, reference] => (self.dir.clone(), model, reference),
            _ => return Err(Failure::Run("give [DIR] MODEL REFERENCE".into())),
        };
        Ok(Target {
            dir: crate::cli::folder::models_folder(dir.as_deref()).map_err(Failure::Run)?,
            model: model.clone(),
            reference: reference.clone(),
        })
    }
}

pub fn run(args: &Args) -> ExitCode {
    let started = Instant::now();
    let target = match args.target() {
        Ok(t) => t,
        Err(f) => return f.exit(),
    };
    match push(args, &target) {
        Ok(s) => {
            let secs = started.elapsed().as_secs_f64();
            println!(
                "pushed {} to {}: {} blobs, {} already there, {} mounted, {} uploaded in {secs:.1} s; \
                 manifest {}",
                target.model,
                s.reference,
                s.blobs,
                s.already_there,
                s.mounted,
                human_bytes(s.uploaded_bytes),
                s.manifest_digest,
            );
            ExitCode::SUCCESS
        }
        Err(failure) => failure.exit(),
    }
}

/// The model's report and manifest bytes; every blob must be present.
fn local_model(dir: &Path, wanted: &str) -> Result<(ModelReport, Vec<u8>, PathBuf), Failure> {
    let root = crate::cli::folder::absolute(dir);
    let report = pollster::block_on(scan_store(&FsSource::new(&root), &root.to_string_lossy()))
        .map_err(|e| Failure::Run(format!("{}: {e}", dir.display())))?;
    let name = ModelName::parse(wanted).map_err(|e| Failure::Run(e.to_string()))?;
    let found = report
        .models
        .iter()
        .find(|m| ModelName::parse(&m.name).is_ok_and(|n| n == name));
    let Some(model) = found else {
        let known: Vec<&str> = report.models.iter().map(|m| m.name.as_str()).collect();
        return Err(Failure::Run(format!(
            "no model named \"{wanted}\" in {}. It holds: {}",
            dir.display(),
            if known.is_empty() {
                "no models".to_string()
            } else {
                known.join(", ")
            }
        )));
    };
    let models = root.join(&report.models_dir);
    let bad = std::iter::once(&model.config_blob)
        .chain(&model.layers)
        .find(|l| l.status != BlobStatus::Present);
    if let Some(layer) = bad {
        let state = match layer.status {
            BlobStatus::SizeMismatch { actual } => {
                format!("{actual} bytes instead of {}", layer.size)
            }
            _ => "missing".to_string(),
        };
        return Err(Failure::Run(format!(
            "{} cannot be pushed: its blob {} is {state}; check the folder with \
             `ollama-pack verify`",
            model.name, layer.digest
        )));
    }
    let path = models.join(&model.manifest_path);
    let bytes =
        std::fs::read(&path).map_err(|e| Failure::Run(format!("{}: {e}", path.display())))?;
    Ok((model.clone(), bytes, models.join("blobs")))
}

fn push(args: &Args, target: &Target) -> Result<PushSummary, Failure> {
    let reference =
        RegistryRef::parse(&target.reference).map_err(|e| Failure::Run(e.to_string()))?;
    let mut opts = PushOptions {
        chunk_size: args.chunk_size,
        concurrency: usize::from(args.concurrency),
        mount_from: args.mount_from.clone(),
        credentials: args.registry.credentials()?,
        ..PushOptions::default()
    };
    opts.retry.max_attempts = args.registry.attempts;
    let (model, manifest, blobs) = local_model(&target.dir, &target.model)?;
    let mut net = Net::new(blobs, args.registry.stall()).map_err(Failure::Run)?;
    let mut machine = Push::new(reference, manifest, opts).map_err(failure)?;
    crate::cli::interrupt::catch();
    let bar = crate::cli::progress::bar(0);
    bar.set_length(model.size);
    loop {
        while let Some(action) = machine.poll_action() {
            match action {
                PushAction::Send {
                    id,
                    request,
                    delay_ms,
                } => net.send(id, request, delay_ms),
                PushAction::Cancel { id } => net.cancel(id),
                PushAction::Finished(result) => {
                    bar.finish_and_clear();
                    net.cancel_all();
                    return result.map_err(failure);
                }
            }
        }
        if crate::cli::interrupt::interrupted() {
            machine.cancel();
            continue;
        }
        if let Some(event) = net.next(Duration::from_millis(200)) {
            if let Delivered::Other(Event::Local(message)) = net.deliver(&mut machine, event) {
                machine.fail_local(message);
            }
        }
        let p = machine.progress();
        let sent = net.sent.load(Ordering::Relaxed).min(p.total_bytes);
        bar.set_position(p.done_bytes.max(sent));
        crate::cli::progress::say(&bar, format!("{}/{} blobs", p.blobs_done, p.blobs));
    }
}

fn failure(e: PushError) -> Failure {
    let message = e.to_string();
    match e {
        PushError::BadManifest(_) => Failure::Run(message),
        PushError::Auth(AuthFailure::NeedCredentials { .. }) => Failure::Run(format!(
            "{message} (--user USER, password in ${})",
            common::PASSWORD_VAR
        )),
        PushError::Auth(AuthFailure::Refused { .. }) => Failure::Run(message),
        PushError::Cancelled => Failure::Interrupted(message),
        _ => Failure::Transfer(message),
    }
}
