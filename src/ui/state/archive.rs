//! The archive being checked as state. In: [`ArchiveAction`]s: a check
//! started, its progress and report. Out: [`ArchiveState`], whose run holds
//! the file (for an import after the check) and the verified manifests.

use super::Shared;
use crate::core::archive::read::{ArchiveReport, VerifiedManifest};
use std::rc::Rc;
use web_sys::File;

#[derive(Clone, PartialEq, Default)]
pub struct ArchiveState {
    pub run: Option<Shared<ArchiveRun>>,
}

pub enum ArchiveAction {
    Started(ArchiveRun),
    Progress(ArchiveRun),
}

impl ArchiveState {
    pub fn is_checking(&self) -> bool {
        self.run
            .as_ref()
            .is_some_and(|r| r.report.is_none() && !r.cancelled && r.error.is_none())
    }

    pub fn reduce(&mut self, action: ArchiveAction) -> bool {
        match action {
            ArchiveAction::Started(run) => self.run = Some(Shared::new(run)),
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
    pub report: Option<Rc<ArchiveReport>>,
    /// The manifests the check verified, to plan an import with.
    pub manifests: Rc<Vec<VerifiedManifest>>,
    pub cancelled: bool,
    /// The browser could not read the file.
    pub error: Option<String>,
    /// The archive itself, for an import after the check.
    pub file: File,
}

impl ArchiveRun {
    pub fn speed(&self) -> f64 {
        let secs = (self.last_ms - self.started_ms) / 1000.0;
        if secs > 0.0 {
            self.read as f64 / secs
        } else {
            0.0
        }
    }
}
