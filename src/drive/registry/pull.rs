//! Runs a look-up or a pull in the browser. In: a reference, options and a
//! destination — none (look up: the manifest only), a models folder the
//! browser may write, or an archive file the user picked. Out: the core's
//! [`Pull`] machine driven with `fetch` ([`Net`]) and the folder
//! ([`PullFiles`]): blobs in ranged parts, hashed in workers while they
//! download ([`StreamHashers`]) and checked before they get their names,
//! the manifest last; progress and the outcome go to the
//! registry panel. An archive is pulled into a staging models folder in
//! this browser's private storage (so an interrupted pull resumes there),
//! then packed into the file like any pack.

use super::common::{explain_block, registry_url, Emit, STALL_MS};
use crate::core::archive::PackPlan;
use crate::core::digest::Digest;
use crate::core::format::{capitalized, human_bytes};
use crate::core::registry::to_archive::{self, PackEnd, Staging, ToArchiveError};
use crate::core::registry::{Pull, PullAction, PullOptions, PullSummary, RegistryRef};
use crate::core::store::removal::RemovalPlan;
use crate::drive::cancel::CancelFlag;
use crate::drive::pack as pack_task;
use crate::ui::state::registry::{Ended, EngineEvent, Kind, LookedUp, TransferRun};
use crate::ui::state::{PackRun, PackStatus};
use crate::web::dir_source::DirSource;
use crate::web::hash_pool::default_pool_size;
use crate::web::js::now_ms;
use crate::web::opfs;
use crate::web::picker::BrowserSource;
use crate::web::pull_files::PullFiles;
use crate::web::registry_net::{Net, NetEvent};
use crate::web::removal;
use crate::web::save::SaveTarget;
use crate::web::store_writer;
use crate::web::stream_hash::StreamHashers;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::FileSystemDirectoryHandle;

/// Where the staging models folder for archive pulls lives in OPFS.
pub const STAGING: &str = "ollama-pack-pulls";

pub enum Destination {
    LookUp,
    /// A models folder, already granted `readwrite`.
    Folder(FileSystemDirectoryHandle),
    Archive(SaveTarget),
}

pub struct PullJob {
    pub id: u32,
    pub reference: RegistryRef,
    pub opts: PullOptions,
    pub destination: Destination,
}

type Report<'a> = &'a dyn Fn(&TransferRun);

pub fn start(emit: Emit, job: PullJob, cancel: CancelFlag) {
    let kind = match job.destination {
        Destination::LookUp => Kind::LookUp,
        _ => Kind::Pull,
    };
    let title = match &job.destination {
        Destination::LookUp => format!("Looking up {}", job.reference),
        Destination::Folder(_) => format!("Pulling {} into the open folder", job.reference),
        Destination::Archive(t) => format!("Pulling {} into {}", job.reference, t.name()),
    };
    let mut run = TransferRun::new(job.id, kind, title, registry_url(&job.reference), now_ms());
    emit(EngineEvent::Progress(run.clone()));
    spawn_local(async move {
        let report = |r: &TransferRun| emit(EngineEvent::Progress(r.clone()));
        let ended = run_job(job, &cancel, &mut run, &report, &emit).await;
        run.ended = Some(ended);
        run.last_ms = now_ms();
        explain_block(&mut run);
        report(&run);
    });
}

async fn run_job(
    job: PullJob,
    cancel: &CancelFlag,
    run: &mut TransferRun,
    report: Report<'_>,
    emit: &Emit,
) -> Ended {
    let mut machine = Pull::new(job.reference.clone(), job.opts);
    match job.destination {
        Destination::LookUp => {
            let mut net = Net::new(None, None, STALL_MS);
            match drive(&mut machine, &mut net, None, cancel, run, report).await {
                Ok(_) => match looked_up(&machine) {
                    Some(found) => {
                        let words = format!(
                            "{}: {} blobs, {}",
                            found.name,
                            found.layers.len(),
                            human_bytes(found.total_bytes)
                        );
                        emit(EngineEvent::LookedUp(found));
                        Ended::Done(words)
                    }
                    None => failed("the registry sent no manifest".into(), &net),
                },
                Err(e) => e,
            }
        }
        Destination::Folder(models) => {
            let note = store_writer::service_install_note(&models).await;
            let ended = pull_into(&mut machine, models, cancel, run, report).await;
            match ended {
                Ok((summary, _)) => {
                    let words = pulled_words(&summary, "the open folder");
                    match note {
                        Some(note) => Ended::Done(format!("{words} {note}")),
                        None => Ended::Done(words),
                    }
                }
                Err(e) => e,
            }
        }
        Destination::Archive(target) => {
            pull_to_archive(&mut machine, target, cancel, run, report).await
        }
    }
}

fn failed(message: String, net: &Net) -> Ended {
    Ended::Failed {
        message,
        blocked: net.blocked(),
    }
}

fn pulled_words(s: &PullSummary, into: &str) -> String {
    format!(
        "Pulled {} into {into}: {} blobs ({}), {} already there, {} downloaded; every blob was checked against its digest. ID {}.",
        s.name.display_shortest(),
        s.blobs,
        human_bytes(s.total_bytes),
        s.already_present,
        human_bytes(s.downloaded_bytes),
        s.manifest_digest.short_id()
    )
}

fn looked_up(machine: &Pull) -> Option<LookedUp> {
    let manifest = machine.manifest()?;
    let bytes = machine.manifest_bytes()?;
    let name = machine.reference().model_name();
    Some(LookedUp {
        reference: machine.reference().to_string(),
        name: name.display_shortest(),
        id: Digest::of(bytes).short_id().to_string(),
        layers: manifest
            .blobs()
            .map(|l| (l.kind().describe(), l.digest.clone(), l.size))
            .collect(),
        total_bytes: manifest.total_size(),
    })
}

/// Pulls into the models folder `models`; returns the summary and files.
async fn pull_into(
    machine: &mut Pull,
    models: FileSystemDirectoryHandle,
    cancel: &CancelFlag,
    run: &mut TransferRun,
    report: Report<'_>,
) -> Result<(PullSummary, PullFiles), Ended> {
    let mut net = Net::new(None, None, STALL_MS);
    let tx = net.sender();
    let hashers = StreamHashers::new(
        default_pool_size(),
        Rc::new(move |digest, result| {
            let _ = tx.unbounded_send(NetEvent::Verified(digest, result));
        }),
    );
    let files = PullFiles::new(models, hashers.clone())
        .await
        .map_err(|e| Ended::Failed {
            message: format!("could not write into the folder: {e}"),
            blocked: None,
        })?;
    let name = machine.stored_name();
    if let Err(e) = files.check_manifest_path(&name).await {
        hashers.stop();
        return Err(Ended::Failed {
            message: format!("nothing was downloaded: {e}"),
            blocked: None,
        });
    }
    net.write_into(files.clone());
    let result = drive(machine, &mut net, Some(&files), cancel, run, report).await;
    // Whatever happened, commit what was written (a later pull resumes).
    let closed = files.close_all().await;
    hashers.stop();
    if let Err(e) = closed {
        return Err(Ended::Failed {
            message: format!("could not save the download's progress: {e}"),
            blocked: None,
        });
    }
    match result? {
        Some(summary) => Ok((summary, files)),
        None => Err(failed("the pull stopped early".into(), &net)),
    }
}

/// Drives the machine to its end. `Ok(None)`: a look-up stopped once the
/// manifest was there (no `files`).
async fn drive(
    machine: &mut Pull,
    net: &mut Net,
    files: Option<&PullFiles>,
    cancel: &CancelFlag,
    run: &mut TransferRun,
    report: Report<'_>,
) -> Result<Option<PullSummary>, Ended> {
    let outcome = loop {
        if let Some(end) = act(machine, net, files).await {
            break end;
        }
        if cancel.is_cancelled() && !machine.is_finished() {
            machine.cancel();
            continue;
        }
        match net.next(250).await {
            NetEvent::Tick => {}
            event => match net.deliver(machine, event) {
                Some(NetEvent::Verified(digest, Ok((actual, bytes)))) => {
                    machine.on_verified(&digest, actual, bytes)
                }
                Some(NetEvent::Verified(_, Err(m)) | NetEvent::Local(m)) => machine.fail_local(m),
                _ => {}
            },
        }
        if let Some(why) = net.blocked().filter(|_| !machine.is_finished()) {
            // Trying again cannot help: the registry's configuration must change.
            machine.fail_local(format!("the browser blocked the request: {why}"));
        }
        progress(machine, run, report);
    };
    net.cancel_all();
    progress(machine, run, report);
    outcome.map_err(|e| {
        if cancel.is_cancelled() {
            Ended::Cancelled(
                "Cancelled. What was downloaded is kept: pull the same model again to continue."
                    .into(),
            )
        } else {
            failed(e, net)
        }
    })
}

fn progress(machine: &Pull, run: &mut TransferRun, report: Report<'_>) {
    let p = machine.progress();
    run.total_bytes = p.total_bytes;
    run.done_bytes = p.done_bytes;
    run.moved_bytes = p.downloaded_bytes;
    run.blobs = p.blobs;
    run.blobs_done = p.blobs_done;
    run.last_ms = now_ms();
    report(run);
}

/// Carries out the machine's queued actions; `Some` once it finished.
async fn act(
    machine: &mut Pull,
    net: &mut Net,
    files: Option<&PullFiles>,
) -> Option<Result<Option<PullSummary>, String>> {
    while let Some(action) = machine.poll_action() {
        if let PullAction::Finished(result) = action {
            return Some(result.map(Some).map_err(|e| e.to_string()));
        }
        let Some(files) = files else {
            // A look-up: the manifest is all it wanted.
            if let PullAction::Send {
                id,
                request,
                delay_ms,
            } = action
            {
                net.send(id, request, delay_ms);
            } else if matches!(action, PullAction::CheckLocal { .. }) {
                machine.cancel();
                return Some(Ok(None));
            }
            continue;
        };
        if let Err(message) = file_action(action, machine, net, files).await {
            // The folder failed us: stop before any later step (the manifest).
            return Some(Err(format!(
                "{message}; the pull stopped (pull again to continue)"
            )));
        }
    }
    None
}

async fn file_action(
    action: PullAction,
    machine: &mut Pull,
    net: &mut Net,
    files: &PullFiles,
) -> Result<(), String> {
    let text = |e: crate::web::js::WebError| e.to_string();
    match action {
        PullAction::Send {
            id,
            request,
            delay_ms,
        } => net.send(id, request, delay_ms),
        PullAction::Cancel { id } => net.cancel(id),
        PullAction::CheckLocal { blobs } => {
            let local = files.local_blobs(&blobs).await;
            machine.provide_local(local);
        }
        PullAction::OpenPartial {
            digest,
            size,
            resume,
        } => {
            files
                .open_partial(&digest, size, resume)
                .await
                .map_err(text)?;
        }
        PullAction::SavePart { digest, record } => {
            files.save_part(&digest, record).await.map_err(text)?
        }
        PullAction::Verify { digest, .. } => {
            files.verify(&digest).await.map_err(text)?;
        }
        PullAction::Commit { digest } => files.commit(&digest).await.map_err(text)?,
        PullAction::Discard { digest } => files.discard(&digest).await.map_err(text)?,
        PullAction::WriteManifest { name, bytes } => {
            files.write_manifest(&name, &bytes).await.map_err(text)?
        }
        PullAction::Finished(_) => {}
    }
    Ok(())
}

/// Pulls into the staging folder, packs the model into `target`, then
/// removes the staged copy (kept when the archive fails, for a retry): the
/// core's steps ([`core::registry::to_archive`]) over OPFS.
async fn pull_to_archive(
    machine: &mut Pull,
    target: SaveTarget,
    cancel: &CancelFlag,
    run: &mut TransferRun,
    report: Report<'_>,
) -> Ended {
    let staging = match staging().await {
        Ok(s) => s,
        Err(message) => {
            target.discard().await;
            return Ended::Failed {
                message,
                blocked: None,
            };
        }
    };
    let file_name = target.name().to_string();
    let mut steps = ToArchive {
        machine,
        source: Rc::new(BrowserSource::Dir(DirSource::new(staging.clone()))),
        staging,
        target: Some(target),
        cancel,
        run,
        report,
    };
    match to_archive::pull_to_archive(&mut steps).await {
        Ok(summary) => Ended::Done(pulled_words(&summary, &file_name)),
        Err(ToArchiveError::Pull(ended)) => ended,
        Err(e) => {
            let words = e.after_pull().unwrap_or_default();
            match e {
                ToArchiveError::Pack(PackEnd::Cancelled) => Ended::Cancelled(capitalized(&words)),
                _ => Ended::Failed {
                    message: words,
                    blocked: None,
                },
            }
        }
    }
}

/// The browser's side of a pull into an archive: the staging folder in
/// OPFS, the target file the user picked.
struct ToArchive<'a> {
    machine: &'a mut Pull,
    staging: FileSystemDirectoryHandle,
    source: Rc<BrowserSource>,
    target: Option<SaveTarget>,
    cancel: &'a CancelFlag,
    run: &'a mut TransferRun,
    report: Report<'a>,
}

impl Staging for ToArchive<'_> {
    type Source = BrowserSource;
    type PullFailure = Ended;

    fn source(&self) -> &BrowserSource {
        &self.source
    }

    async fn pull(&mut self) -> Result<PullSummary, Ended> {
        let (summary, _) = pull_into(
            self.machine,
            self.staging.clone(),
            self.cancel,
            self.run,
            self.report,
        )
        .await?;
        Ok(summary)
    }

    async fn pack(&mut self, plan: PackPlan) -> Result<(), PackEnd> {
        let Some(target) = self.target.take() else {
            return Err(PackEnd::Failed("the archive's file is gone".into()));
        };
        self.run.step = "writing the archive".into();
        (self.report)(self.run);
        let pack_run = PackRun::new(self.run.id, target.name().to_string(), &plan, now_ms());
        let (base, report) = (self.run.clone(), self.report);
        let on_progress = |p: PackRun| {
            let mut r = base.clone();
            r.step = format!(
                "writing the archive: {} of {}",
                human_bytes(p.tar_bytes),
                human_bytes(p.archive_size)
            );
            r.last_ms = now_ms();
            report(&r);
        };
        match pack_task::write_archive(
            &self.source,
            plan,
            None,
            target,
            self.cancel,
            &on_progress,
            pack_run,
        )
        .await
        {
            PackStatus::Saved => Ok(()),
            PackStatus::Cancelled => Err(PackEnd::Cancelled),
            PackStatus::Failed(e) => Err(PackEnd::Failed(e)),
            PackStatus::Running => Err(PackEnd::Failed("the archive was not finished".into())),
        }
    }

    async fn unstage(&mut self, plan: &RemovalPlan) {
        let _ = removal::remove(&self.staging, plan, &|| false, &|_| {}).await;
    }

    async fn discard_target(&mut self) {
        if let Some(target) = self.target.take() {
            target.discard().await;
        }
    }
}

async fn staging() -> Result<FileSystemDirectoryHandle, String> {
    let root = opfs::root().await.map_err(|e| e.to_string())?;
    store_writer::dir(&root, STAGING, true)
        .await
        .map_err(|e| format!("could not make the staging folder in this browser's storage: {e}"))
}
