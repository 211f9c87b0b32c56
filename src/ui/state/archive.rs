//! The archive being checked as state. In: [`ArchiveAction`]s: a check
//! started, its progress and result (from the engine module, as
//! [`CheckEvent`]s). Out: [`ArchiveState`], whose run holds the input (for
//! an import after the check) and the [`CheckedArchive`].

use super::Shared;
use crate::core::archive::read::CheckedArchive;
use crate::web::archive_input::ArchiveInput;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// What the engine reports of a check, as JSON between the two modules.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckEvent {
    /// Bytes of the archive read so far.
    Read(u64),
    Checked(CheckedArchive),
    /// The browser could not read the file.
    Failed(String),
    Cancelled,
}

#[derive(Clone, PartialEq, Default)]
pub struct ArchiveState {
    pub run: Option<Shared<ArchiveRun>>,
    /// Why what the user opened could not be read (a folder the browser
    /// refused); cleared by the next check.
    pub unreadable: Option<String>,
}

pub enum ArchiveAction {
    Started(ArchiveRun),
    Progress(ArchiveRun),
    Unreadable(String),
}

impl ArchiveState {
    pub fn is_checking(&self) -> bool {
        self.run
            .as_ref()
            .is_some_and(|r| r.checked.is_none() && !r.cancelled && r.error.is_none())
    }

    pub fn reduce(&mut self, action: ArchiveAction) -> bool {
        match action {
            ArchiveAction::Started(run) => {
                self.run = Some(Shared::new(run));
                self.unreadable = None;
            }
            ArchiveAction::Unreadable(why) => self.unreadable = Some(why),
            ArchiveAction::Progress(run) if self.run.as_ref().is_some_and(|a| a.id == run.id) => {
                self.run = Some(Shared::new(run));
            }
            ArchiveAction::Progress(_) => return false,
        }
        true
    }
}

#[derive(Clone, PartialEq)]
pub struct ArchiveRun {
    pub id: u32,
    pub name: String,
    pub size: u64,
    pub read: u64,
    pub started_ms: f64,
    pub last_ms: f64,
    /// What the check found, with the manifests to plan an import with.
    pub checked: Option<Rc<CheckedArchive>>,
    pub cancelled: bool,
    /// The browser could not read the file.
    pub error: Option<String>,
    /// The archive itself (or a direct download's files), for an import
    /// after the check.
    pub input: ArchiveInput,
}

impl ArchiveRun {
    pub fn ended(&self) -> bool {
        self.checked.is_some() || self.cancelled || self.error.is_some()
    }

    /// Checked, read to its end, nothing wrong with the archive as a whole.
    pub fn importable(&self) -> bool {
        self.checked.as_ref().is_some_and(|c| c.importable())
    }

    pub fn speed(&self) -> f64 {
        let secs = (self.last_ms - self.started_ms) / 1000.0;
        if secs > 0.0 {
            self.read as f64 / secs
        } else {
            0.0
        }
    }
}
