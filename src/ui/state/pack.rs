//! Pack as state. In: [`PackAction`]s: models ticked, a run started, the
//! writer's progress, how it ended. Out: [`PackState`]: the selection and
//! the current [`PackRun`] — bytes written of the archive, the blob being
//! written, speed, time left, and how it ended.

use super::Shared;
use crate::core::archive::PackPlan;
use std::collections::BTreeSet;

#[derive(Clone, PartialEq, Default)]
pub struct PackState {
    /// Models ticked for packing (display names).
    pub selection: BTreeSet<String>,
    pub run: Option<Shared<PackRun>>,
    /// Why a pack could not start.
    pub error: Option<String>,
}

pub enum PackAction {
    Toggle(String),
    Select(BTreeSet<String>),
    FailedEarly(String),
    Started(PackRun),
    Progress(PackRun),
    Ended {
        id: u32,
        status: PackStatus,
        now_ms: f64,
    },
}

impl PackState {
    pub fn is_running(&self) -> bool {
        self.run
            .as_ref()
            .is_some_and(|r| r.status == PackStatus::Running)
    }

    pub fn reduce(&mut self, action: PackAction) -> bool {
        let current = |s: &Self, id: u32| s.run.as_ref().is_some_and(|r| r.id == id);
        match action {
            PackAction::Toggle(name) => {
                if !self.selection.remove(&name) {
                    self.selection.insert(name);
                }
            }
            PackAction::Select(names) => self.selection = names,
            PackAction::FailedEarly(message) => self.error = Some(message),
            PackAction::Started(run) => {
                self.run = Some(Shared::new(run));
                self.error = None;
            }
            PackAction::Progress(run) if current(self, run.id) => self.run = Some(Shared::new(run)),
            PackAction::Ended { id, status, now_ms } if current(self, id) => {
                if let Some(run) = &self.run {
                    let mut run = (**run).clone();
                    run.status = status;
                    run.last_ms = now_ms;
                    self.run = Some(Shared::new(run));
                }
            }
            _ => return false,
        }
        true
    }
}

#[derive(Clone, PartialEq, Debug)]
pub enum PackStatus {
    Running,
    Saved,
    Failed(String),
    Cancelled,
}

#[derive(Clone, PartialEq, Debug)]
pub struct PackRun {
    pub id: u32,
    pub file_name: String,
    pub models: Vec<String>,
    /// Uncompressed archive size, known before writing.
    pub archive_size: u64,
    /// Uncompressed archive bytes produced so far.
    pub tar_bytes: u64,
    /// Bytes written to the file (compressed ones with gzip).
    pub out_bytes: u64,
    pub blobs: usize,
    pub blobs_done: usize,
    /// (digest, size, bytes done) of the blob being written.
    pub current: Option<(String, u64, u64)>,
    pub started_ms: f64,
    pub last_ms: f64,
    pub status: PackStatus,
}

impl PackRun {
    /// A run about to write `plan` into `file_name`, started now.
    pub fn new(id: u32, file_name: String, plan: &PackPlan, now_ms: f64) -> Self {
        Self {
            id,
            file_name,
            models: plan.model_names().into_iter().map(str::to_string).collect(),
            archive_size: plan.archive_size(),
            tar_bytes: 0,
            out_bytes: 0,
            blobs: plan.blobs().len(),
            blobs_done: 0,
            current: None,
            started_ms: now_ms,
            last_ms: now_ms,
            status: PackStatus::Running,
        }
    }

    pub fn speed(&self) -> f64 {
        let secs = (self.last_ms - self.started_ms) / 1000.0;
        if secs > 0.0 {
            self.tar_bytes as f64 / secs
        } else {
            0.0
        }
    }

    pub fn seconds_left(&self) -> Option<f64> {
        let speed = self.speed();
        (speed > 0.0).then(|| self.archive_size.saturating_sub(self.tar_bytes) as f64 / speed)
    }
}
