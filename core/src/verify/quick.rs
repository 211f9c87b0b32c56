//! Memory of earlier results, for a quick check. In: each blob's check and
//! outcome as a run finishes. Out: whether a blob was verified ok since with
//! the same size and modification time, so a second run may skip it. It is
//! serde-(de)serialisable so a driver can keep it (a session, a file).
//! A file changed within the clock's resolution at the same size is not
//! seen; that is the price of a quick check, which the user asks for.

use super::outcome::Outcome;
use super::plan::{BlobCheck, VerifyPlan};
use crate::digest::Digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Size and modification time (ms since the Unix epoch) of a blob file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub size: u64,
    pub modified_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickMemory {
    /// Blobs verified ok, with the file's size and mtime at that time.
    verified: BTreeMap<Digest, Seen>,
}

impl QuickMemory {
    /// Quick check: marks as remembered the blobs of `plan` this memory saw
    /// verified ok with the same size and modification time they have now.
    pub fn skip_in(&self, mut plan: VerifyPlan) -> VerifyPlan {
        for c in &mut plan.checks {
            c.remembered = self.is_fresh(c);
        }
        plan
    }

    pub fn new() -> Self {
        Self::default()
    }

    fn seen(check: &BlobCheck) -> Option<Seen> {
        let f = check.on_disk?;
        (f.size == check.expected_size).then_some(Seen {
            size: f.size,
            modified_ms: f.modified_ms?,
        })
    }

    /// Remembers an ok outcome; forgets the blob after anything else.
    /// `check.on_disk` must come from a listing taken before the blob was
    /// read, so a change during the read shows as a newer mtime next time.
    pub fn record(&mut self, check: &BlobCheck, outcome: &Outcome) {
        match (outcome.is_ok(), Self::seen(check)) {
            (true, Some(seen)) => {
                self.verified.insert(check.digest.clone(), seen);
            }
            _ => {
                self.verified.remove(&check.digest);
            }
        }
    }

    /// True when the blob was verified ok with the size and mtime it has now.
    pub fn is_fresh(&self, check: &BlobCheck) -> bool {
        Self::seen(check).is_some_and(|now| self.verified.get(&check.digest) == Some(&now))
    }

    pub fn len(&self) -> usize {
        self.verified.len()
    }

    pub fn is_empty(&self) -> bool {
        self.verified.is_empty()
    }
}
