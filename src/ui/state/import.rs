//! An import as state. In: [`ImportAction`]s: started (the archive's
//! size, when), bytes read, how it ended (from the engine module, as
//! [`ImportEvent`]s). Out: [`ImportState`].

use serde::{Deserialize, Serialize};

/// What the engine reports of an import, as JSON between the two modules.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportEvent {
    /// Bytes of the archive read so far.
    Read(u64),
    Ended(ImportStatus),
}

#[derive(Clone, PartialEq, Default)]
pub struct ImportState {
    /// The last import of an archive into the open folder.
    pub status: Option<ImportStatus>,
}

pub enum ImportAction {
    /// An import began, of an archive of `size` bytes.
    Started {
        size: u64,
        now_ms: f64,
    },
    /// The import read this many bytes of the archive.
    Read {
        bytes: u64,
        now_ms: f64,
    },
    Ended(ImportStatus),
}

impl ImportState {
    pub fn is_running(&self) -> bool {
        matches!(self.status, Some(ImportStatus::Running { .. }))
    }

    pub fn reduce(&mut self, action: ImportAction) -> bool {
        match action {
            ImportAction::Started { size, now_ms } => {
                self.status = Some(ImportStatus::Running {
                    read: 0,
                    size,
                    started_ms: now_ms,
                    last_ms: now_ms,
                });
            }
            ImportAction::Read { bytes, now_ms } => match &mut self.status {
                Some(ImportStatus::Running { read, last_ms, .. }) => {
                    (*read, *last_ms) = (bytes, now_ms)
                }
                _ => return false,
            },
            ImportAction::Ended(status) => self.status = Some(status),
        }
        true
    }
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// `read` of the archive's `size` bytes were read, between the two times.
    Running {
        read: u64,
        size: u64,
        started_ms: f64,
        last_ms: f64,
    },
    Done(String),
    /// Why it failed, and what that left in the folder.
    Failed(String, String),
    /// What the cancelled import left in the folder.
    Cancelled(String),
}
