//! Runs a push from the open folder. In: a model of the open store, the
//! reference to push to, options. Out: the core's [`Push`] machine driven
//! with `fetch` ([`Net`]), blob bodies sent straight from the files
//! (`File.slice`, never read into memory); progress and the outcome go to
//! the registry panel.

use super::common::{explain_block, registry_url, Emit, STALL_MS};
use crate::core::digest::Digest;
use crate::core::format::human_bytes;
use crate::core::registry::{Push, PushAction, PushOptions, PushSummary, RegistryRef};
use crate::core::source::{join, StoreSource};
use crate::core::store::report::BlobStatus;
use crate::core::store::StoreReport;
use crate::drive::cancel::CancelFlag;
use crate::ui::state::registry::{Ended, EngineEvent, Kind, TransferRun};
use crate::web::js::now_ms;
use crate::web::picker::BrowserSource;
use crate::web::registry_net::{BlobFiles, Net, NetEvent};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::File;

pub struct PushJob {
    pub id: u32,
    pub model: String,
    pub reference: RegistryRef,
    pub opts: PushOptions,
    pub source: Rc<BrowserSource>,
    pub report: Rc<StoreReport>,
}

pub fn start(emit: Emit, job: PushJob, cancel: CancelFlag) {
    let title = format!("Pushing {} to {}", job.model, job.reference);
    let mut run = TransferRun::new(
        job.id,
        Kind::Push,
        title,
        registry_url(&job.reference),
        now_ms(),
    );
    emit(EngineEvent::Progress(run.clone()));
    spawn_local(async move {
        let report = |r: &TransferRun| emit(EngineEvent::Progress(r.clone()));
        let ended = match prepare(&job).await {
            Ok((manifest, files)) => push(job, manifest, files, &cancel, &mut run, &report).await,
            Err(message) => Ended::Failed {
                message,
                blocked: None,
            },
        };
        run.ended = Some(ended);
        run.last_ms = now_ms();
        explain_block(&mut run);
        report(&run);
    });
}

/// The model's manifest bytes and the `File` of each of its blobs; every
/// blob must be present with its size.
async fn prepare(job: &PushJob) -> Result<(Vec<u8>, HashMap<Digest, File>), String> {
    let model = job
        .report
        .model(&job.model)
        .ok_or_else(|| format!("{} is not in the open folder", job.model))?;
    let root = &job.report.models_dir;
    let mut files = HashMap::new();
    for layer in std::iter::once(&model.config_blob).chain(&model.layers) {
        if layer.status != BlobStatus::Present {
            return Err(format!(
                "{} cannot be pushed: its blob {} is missing or has the wrong size; verify the folder first",
                model.name, layer.digest
            ));
        }
        let path = join(root, &format!("blobs/{}", layer.digest.blob_file_name()));
        let file = job.source.file(&path).await.map_err(|e| e.to_string())?;
        files.insert(layer.digest.clone(), file);
    }
    let manifest = job
        .source
        .read(&join(root, &model.manifest_path), 0, 4 << 20)
        .await
        .map_err(|e| e.to_string())?;
    Ok((manifest, files))
}

async fn push(
    job: PushJob,
    manifest: Vec<u8>,
    files: HashMap<Digest, File>,
    cancel: &CancelFlag,
    run: &mut TransferRun,
    report: &dyn Fn(&TransferRun),
) -> Ended {
    let uploads: BlobFiles = Rc::new(move |d: &Digest| files.get(d).cloned());
    let mut net = Net::new(None, Some(uploads), STALL_MS);
    let mut machine = match Push::new(job.reference, manifest, job.opts) {
        Ok(m) => m,
        Err(e) => {
            return Ended::Failed {
                message: e.to_string(),
                blocked: None,
            }
        }
    };
    let result = loop {
        if let Some(result) = act(&mut machine, &mut net) {
            break result;
        }
        if cancel.is_cancelled() && !machine.is_finished() {
            machine.cancel();
            continue;
        }
        match net.next(250).await {
            NetEvent::Tick => {}
            event => {
                if let Some(NetEvent::Local(m)) = net.deliver(&mut machine, event) {
                    machine.fail_local(m);
                }
            }
        }
        if let Some(why) = net.blocked().filter(|_| !machine.is_finished()) {
            machine.fail_local(format!("the browser blocked the request: {why}"));
        }
        progress(&machine, run, report);
    };
    net.cancel_all();
    progress(&machine, run, report);
    match result {
        Ok(s) => Ended::Done(pushed_words(&s)),
        Err(_) if cancel.is_cancelled() => Ended::Cancelled(
            "Cancelled. Blobs that were uploaded stay on the registry; pushing again skips them."
                .into(),
        ),
        Err(e) => Ended::Failed {
            message: e.to_string(),
            blocked: net.blocked(),
        },
    }
}

fn act(
    machine: &mut Push,
    net: &mut Net,
) -> Option<Result<PushSummary, crate::core::registry::PushError>> {
    while let Some(action) = machine.poll_action() {
        match action {
            PushAction::Send {
                id,
                request,
                delay_ms,
            } => net.send(id, request, delay_ms),
            PushAction::Cancel { id } => net.cancel(id),
            PushAction::Finished(result) => return Some(result),
        }
    }
    None
}

fn progress(machine: &Push, run: &mut TransferRun, report: &dyn Fn(&TransferRun)) {
    let p = machine.progress();
    run.total_bytes = p.total_bytes;
    run.done_bytes = p.done_bytes;
    run.moved_bytes = p.uploaded_bytes;
    run.blobs = p.blobs;
    run.blobs_done = p.blobs_done;
    run.last_ms = now_ms();
    report(run);
}

fn pushed_words(s: &PushSummary) -> String {
    format!(
        "Pushed {}: {} blobs, {} already there, {} mounted, {} uploaded. The registry confirmed manifest {}.",
        s.reference,
        s.blobs,
        s.already_there,
        s.mounted,
        human_bytes(s.uploaded_bytes),
        s.manifest_digest
    )
}
