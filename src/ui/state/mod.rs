//! The app's state and every change to it, split by feature. In:
//! [`Action`]s from components and drivers. Out: a new [`AppState`] (Yew
//! `Reducible`). Pure: no I/O, no clock, no live handles (the drivers keep
//! those, `crate::drive`); equality is derived, shared data compared by
//! pointer ([`Shared`]).

pub mod archive;
pub mod import;
pub mod manage;
pub mod pack;
pub mod registry;
pub mod store;
pub mod verify;

pub use archive::{ArchiveAction, ArchiveRun, ArchiveState, CheckEvent};
pub use import::{ImportAction, ImportEvent, ImportState, ImportStatus};
pub use manage::{ManageAction, ManageState, ManageStatus, Preview};
pub use pack::{PackAction, PackRun, PackState, PackStatus};
pub use store::{Column, Loaded, Phase, StoreAction, StoreState};
pub use verify::{VerifyAction, VerifyRun, VerifyState};

use std::ops::Deref;
use std::rc::Rc;
use yew::Reducible;

/// Data shared between states, equal when it is the same allocation (so a
/// re-render check never walks a whole store report).
pub struct Shared<T: ?Sized>(Rc<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Self {
        Self(Rc::new(value))
    }
}

impl<T: ?Sized> Shared<T> {
    pub fn rc(&self) -> Rc<T> {
        self.0.clone()
    }
}

impl<T: ?Sized> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: ?Sized> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T: ?Sized> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> From<Rc<T>> for Shared<T> {
    fn from(rc: Rc<T>) -> Self {
        Self(rc)
    }
}

#[derive(Clone, PartialEq, Default)]
pub struct AppState {
    pub store: StoreState,
    pub verify: VerifyState,
    pub pack: PackState,
    pub archive: ArchiveState,
    pub import: ImportState,
    pub manage: ManageState,
}

pub enum Action {
    Store(StoreAction),
    Verify(VerifyAction),
    Pack(PackAction),
    Archive(ArchiveAction),
    Import(ImportAction),
    Manage(ManageAction),
}

macro_rules! into_action {
    ($($feature:ident($action:ty)),*) => {
        $(impl From<$action> for Action {
            fn from(a: $action) -> Self {
                Action::$feature(a)
            }
        })*
    };
}
into_action!(
    Store(StoreAction),
    Verify(VerifyAction),
    Pack(PackAction),
    Archive(ArchiveAction),
    Import(ImportAction),
    Manage(ManageAction)
);

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        let changed = match action {
            Action::Store(a) => {
                let opened = matches!(&a, StoreAction::Opened { generation, .. } if *generation == s.store.generation);
                let changed = s.store.reduce(a);
                if opened {
                    // A new folder: its own verify and pack; an archive and
                    // its import stay.
                    s.verify = s.verify.for_new_folder();
                    s.pack = PackState::default();
                    // What a removal or copy said stays; its preview goes.
                    s.manage.preview = None;
                }
                changed
            }
            Action::Verify(VerifyAction::Failed(message)) => {
                s.store.phase = Phase::Failed(message);
                true
            }
            Action::Verify(a) => s.verify.reduce(a),
            Action::Pack(a) => s.pack.reduce(a),
            Action::Archive(a) => {
                let started = matches!(a, ArchiveAction::Started(_));
                let changed = s.archive.reduce(a);
                if started && !s.import.is_running() {
                    s.import = ImportState::default();
                }
                changed
            }
            Action::Import(a) => s.import.reduce(a),
            Action::Manage(a) => s.manage.reduce(a),
        };
        if changed {
            Rc::new(s)
        } else {
            self
        }
    }
}
