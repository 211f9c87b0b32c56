//! The browser app's drivers: the only code that starts I/O for the UI. In:
//! a user's request from a component (open a folder, verify, pack, check or
//! import an archive, pull, push) and the state it needs. Out: work on the
//! `web` layer and the core's machines, and [`Action`]s dispatched to the
//! state as results arrive. The live handles of running work (Cancel
//! flags, the verify worker pool) live here, not in the state.

pub mod archive;
pub mod cancel;
#[cfg(feature = "engine-module")]
pub mod engine;
mod engine_link;
pub mod import;
pub mod manage;
pub mod open;
pub mod pack;
pub mod registry;
pub mod settings;
pub mod verify;

use crate::ui::state::{Action, AppState};
use crate::web::hash_pool::HashPool;
use cancel::CancelFlag;
use std::cell::RefCell;
use yew::UseReducerDispatcher;

pub type Dispatch = UseReducerDispatcher<AppState>;

/// Dispatches a feature's action.
pub fn send(dispatch: &Dispatch, action: impl Into<Action>) {
    dispatch.dispatch(action.into());
}

/// What is running now, for Cancel.
#[derive(Default)]
struct Live {
    pool: Option<HashPool>,
    pack: Option<CancelFlag>,
    manage: Option<CancelFlag>,
}

thread_local! {
    static LIVE: RefCell<Live> = RefCell::default();
}

fn live<T>(f: impl FnOnce(&mut Live) -> T) -> T {
    LIVE.with(|l| f(&mut l.borrow_mut()))
}

/// A fresh Cancel flag for the work `slot` names, cancelling the one
/// before it (one pack, one removal or copy at a time).
fn fresh(slot: fn(&mut Live) -> &mut Option<CancelFlag>) -> CancelFlag {
    let flag = CancelFlag::default();
    if let Some(old) = live(|l| slot(l).replace(flag.clone())) {
        old.cancel();
    }
    flag
}

fn cancel(slot: fn(&mut Live) -> &mut Option<CancelFlag>) {
    if let Some(flag) = live(|l| slot(l).take()) {
        flag.cancel();
    }
}
