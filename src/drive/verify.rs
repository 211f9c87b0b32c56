//! Runs a verify. In: the open store, which models, and the panel's
//! options (orphans, quick or full, how many workers). Out: a fresh `blobs/` listing, the core's plan,
//! each blob's `File` (and handle) handed to the worker pool, and the
//! run's events dispatched to the state.

use super::{live, send};
use crate::core::source::{join, StoreSource};
use crate::core::store::blob_dir::BlobDir;
use crate::core::verify::{BlobCheck, Selection, VerifyPlan};
use crate::ui::state::{AppState, VerifyAction, VerifyRun};
use crate::web::hash_pool::{HashPool, PoolEvent};
use crate::web::js::now_ms;
use wasm_bindgen_futures::spawn_local;
use yew::UseReducerHandle;

/// Stops the running verify (its workers at once).
pub fn cancel() {
    if let Some(pool) = live(|l| l.pool.take()) {
        pool.cancel();
    }
}

/// Verifies `models` (every model when empty) with the panel's options.
pub fn start(state: &UseReducerHandle<AppState>, models: Vec<String>) {
    let (Some(source), Some(report)) = (state.store.source.clone(), state.store.report.clone())
    else {
        return;
    };
    cancel();
    let options = state.verify.options;
    let request = (
        Selection {
            models,
            orphans: options.orphans,
        },
        options.quick,
        options.workers.clamp(1, 16),
    );
    let dispatch = state.dispatcher();
    let memory = state.verify.memory.clone();
    let id = state.verify.run.as_ref().map_or(1, |r| r.id + 1);
    spawn_local(async move {
        let (selection, quick, workers) = request;
        let fail = |m: String| send(&dispatch, VerifyAction::Failed(m));
        let listing = match source.list(&join(&report.models_dir, "blobs")).await {
            Ok(entries) => BlobDir::from_listing(entries),
            Err(e) => return fail(format!("The blobs folder could not be listed: {e}")),
        };
        let plan = match VerifyPlan::new(&report, &listing, &selection) {
            Ok(plan) if quick => memory.skip_in(plan),
            Ok(plan) => plan,
            Err(e) => return fail(e.to_string()),
        };
        let scope = if selection.models.is_empty() {
            "every model".to_string()
        } else {
            selection.models.join(", ")
        };
        let checks: Vec<BlobCheck> = plan.hash_order().into_iter().cloned().collect();
        let (mut files, mut unreadable) = (Vec::new(), Vec::new());
        for (job, check) in checks.iter().enumerate() {
            match source.blob_file(&check.path).await {
                Ok(file) => files.push((job, file)),
                Err(e) => unreadable.push(PoolEvent::Failed {
                    job,
                    message: e.to_string(),
                }),
            }
        }
        let run = VerifyRun::new(id, scope, plan, checks, workers, now_ms());
        let pool = if files.is_empty() {
            None
        } else {
            let d = dispatch.clone();
            let on_event = move |event| {
                send(
                    &d,
                    VerifyAction::Event {
                        id,
                        event,
                        now_ms: now_ms(),
                    },
                )
            };
            match HashPool::start(files, workers, on_event) {
                Ok(pool) => Some(pool),
                Err(e) => return fail(format!("The verify workers could not start: {e}")),
            }
        };
        let idle = pool.is_none();
        live(|l| l.pool = pool);
        send(&dispatch, VerifyAction::Started(run));
        for event in unreadable {
            send(
                &dispatch,
                VerifyAction::Event {
                    id,
                    event,
                    now_ms: now_ms(),
                },
            );
        }
        if idle {
            send(
                &dispatch,
                VerifyAction::Event {
                    id,
                    event: PoolEvent::Finished { cancelled: false },
                    now_ms: now_ms(),
                },
            );
        }
    });
}
