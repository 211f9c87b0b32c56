//! One pack run as state. In: the plan's totals and the writer's progress.
//! Out: what the pack panel shows — bytes written of the archive, the blob
//! being written, speed, time left, and how it ended.

use crate::core::archive::PackPlan;
use std::cell::Cell;
use std::rc::Rc;

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

/// Set by the Cancel button, read by the pack loop between chunks.
#[derive(Clone, Default)]
pub struct CancelFlag(Rc<Cell<bool>>);

impl CancelFlag {
    pub fn cancel(&self) {
        self.0.set(true);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.get()
    }
}
