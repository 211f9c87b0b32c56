//! Starts a verify run. In: the open store, which models, quick or full,
//! and how many workers. Out: a fresh `blobs/` listing, the core's plan,
//! each blob's `File` (and handle) handed to the worker pool, and the
//! run's events dispatched to the state.

use super::state::{Action, AppState};
use super::verify_run::VerifyRun;
use crate::core::source::{join, StoreSource};
use crate::core::store::blob_dir::BlobDir;
use crate::core::verify::{BlobCheck, Selection, VerifyPlan};
use crate::web::hash_pool::{HashPool, PoolEvent};
use crate::web::js::now_ms;
use wasm_bindgen_futures::spawn_local;
use yew::UseReducerHandle;

pub struct VerifyRequest {
    pub selection: Selection,
    pub quick: bool,
    pub workers: usize,
}

pub fn start(state: &UseReducerHandle<AppState>, request: VerifyRequest) {
    let (Some(source), Some(report)) = (state.source.clone(), state.report.clone()) else {
        return;
    };
    if let Some(pool) = &state.pool {
        pool.cancel();
    }
    let dispatch = state.dispatcher();
    let memory = state.memory.clone();
    let id = state.verify.as_ref().map_or(1, |r| r.id + 1);
    spawn_local(async move {
        let fail = |m: String| dispatch.dispatch(Action::VerifyFailed(m));
        let listing = match source.list(&join(&report.models_dir, "blobs")).await {
            Ok(entries) => BlobDir::from_listing(entries),
            Err(e) => return fail(format!("The blobs folder could not be listed: {e}")),
        };
        let plan = match VerifyPlan::new(&report, &listing, &request.selection) {
            Ok(plan) if request.quick => plan.skip_remembered(&memory),
            Ok(plan) => plan,
            Err(e) => return fail(e.to_string()),
        };
        let scope = if request.selection.models.is_empty() {
            "every model".to_string()
        } else {
            request.selection.models.join(", ")
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
        let run = VerifyRun::new(id, scope, plan, checks, request.workers, now_ms());
        let pool = if files.is_empty() {
            None
        } else {
            let d = dispatch.clone();
            let on_event = move |event| {
                d.dispatch(Action::VerifyEvent {
                    id,
                    event,
                    now_ms: now_ms(),
                })
            };
            match HashPool::start(files, request.workers, on_event) {
                Ok(pool) => Some(pool),
                Err(e) => return fail(format!("The verify workers could not start: {e}")),
            }
        };
        let idle = pool.is_none();
        dispatch.dispatch(Action::VerifyStarted { run, pool });
        for event in unreadable {
            dispatch.dispatch(Action::VerifyEvent {
                id,
                event,
                now_ms: now_ms(),
            });
        }
        if idle {
            dispatch.dispatch(Action::VerifyEvent {
                id,
                event: PoolEvent::Finished { cancelled: false },
                now_ms: now_ms(),
            });
        }
    });
}
