//! Managing the folder as state: removing models, cleaning up `blobs/`,
//! copying and renaming. In: [`ManageAction`]s: a preview to show (made by
//! the core from the folder's report), the work started, its progress, how
//! it ended. Out: [`ManageState`].

use super::Shared;
use crate::core::store::prune::PrunePlan;
use crate::core::store::removal::RemovalPlan;

/// What the user is asked to confirm.
#[derive(Clone, PartialEq)]
pub enum Preview {
    Remove(Shared<RemovalPlan>),
    Prune {
        partials: bool,
        plan: Shared<PrunePlan>,
    },
}

#[derive(Clone, PartialEq)]
pub enum ManageStatus {
    /// Bytes freed so far of `total`.
    Running {
        what: String,
        done: u64,
        total: u64,
    },
    Done(String),
    Failed(String),
}

#[derive(Clone, PartialEq, Default)]
pub struct ManageState {
    pub preview: Option<Preview>,
    pub status: Option<ManageStatus>,
}

pub enum ManageAction {
    Preview(Preview),
    Close,
    Started { what: String, total: u64 },
    Progress(u64),
    Ended(ManageStatus),
}

impl ManageState {
    pub fn is_running(&self) -> bool {
        matches!(self.status, Some(ManageStatus::Running { .. }))
    }

    pub fn reduce(&mut self, action: ManageAction) -> bool {
        match action {
            ManageAction::Preview(p) => {
                self.preview = Some(p);
                self.status = None;
            }
            ManageAction::Close => self.preview = None,
            ManageAction::Started { what, total } => {
                self.preview = None;
                self.status = Some(ManageStatus::Running {
                    what,
                    done: 0,
                    total,
                });
            }
            ManageAction::Progress(bytes) => match &mut self.status {
                Some(ManageStatus::Running { done, .. }) => *done = bytes,
                _ => return false,
            },
            ManageAction::Ended(status) => self.status = Some(status),
        }
        true
    }
}
