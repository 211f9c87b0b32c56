//! Verify as state. In: [`VerifyAction`]s: the panel's options, a run
//! started with its plan, the worker pool's events. Out: [`VerifyState`]:
//! the options, the current [`VerifyRun`] (outcomes so far, bytes done,
//! speed and time left, and at the end a [`VerifyReport`]) and the session's
//! quick-check memory. Pure bookkeeping: the pool does the reading.

use super::Shared;
use crate::core::digest::Digest;
use crate::core::verify::{BlobCheck, Outcome, QuickMemory, VerifyPlan, VerifyReport};
use crate::web::hash_pool::PoolEvent;
use std::collections::BTreeMap;
use std::rc::Rc;

/// What the panel's controls say: include orphans, quick check, workers.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct VerifyOptions {
    pub orphans: bool,
    pub quick: bool,
    pub workers: usize,
}

#[derive(Clone, PartialEq)]
pub struct VerifyState {
    pub options: VerifyOptions,
    pub run: Option<Shared<VerifyRun>>,
    /// Blobs verified ok this session (for the quick check).
    pub memory: QuickMemory,
}

impl Default for VerifyState {
    fn default() -> Self {
        Self {
            options: VerifyOptions {
                orphans: false,
                quick: false,
                workers: 1,
            },
            run: None,
            memory: QuickMemory::new(),
        }
    }
}

pub enum VerifyAction {
    Options(VerifyOptions),
    Started(VerifyRun),
    Event {
        id: u32,
        event: PoolEvent,
        now_ms: f64,
    },
    /// The run could not start (the page says why, instead of the folder).
    Failed(String),
}

impl VerifyState {
    /// With `workers` as the default for the workers field.
    pub fn with_workers(workers: usize) -> Self {
        let mut s = Self::default();
        s.options.workers = workers;
        s
    }

    /// A new folder is open: no run, the same options and memory.
    pub fn for_new_folder(&self) -> Self {
        Self {
            options: self.options,
            run: None,
            memory: self.memory.clone(),
        }
    }

    pub fn is_running(&self) -> bool {
        self.run
            .as_ref()
            .is_some_and(|r| r.state == RunState::Running)
    }

    pub fn reduce(&mut self, action: VerifyAction) -> bool {
        match action {
            VerifyAction::Options(options) => self.options = options,
            VerifyAction::Started(run) => self.run = Some(Shared::new(run)),
            VerifyAction::Event { id, event, now_ms } => {
                let Some(run) = self.run.as_ref().filter(|r| r.id == id) else {
                    return false;
                };
                let mut run = (**run).clone();
                run.apply(event, now_ms, &mut self.memory);
                self.run = Some(Shared::new(run));
            }
            VerifyAction::Failed(_) => return false,
        }
        true
    }
}

#[derive(Clone, PartialEq, Debug)]
pub enum RunState {
    Running,
    Done { cancelled: bool },
}

#[derive(Clone)]
pub struct VerifyRun {
    pub id: u32,
    /// "every model" or a model's name.
    pub scope: String,
    pub plan: Rc<VerifyPlan>,
    /// The blobs handed to the workers, by job number.
    pub jobs: Rc<Vec<BlobCheck>>,
    pub outcomes: BTreeMap<Digest, Outcome>,
    /// Job → bytes hashed so far, for blobs being hashed now.
    pub in_flight: BTreeMap<usize, u64>,
    /// Bytes of the blobs already finished.
    pub finished_bytes: u64,
    /// How the workers read the hashed blobs (`hash_worker::VIA_*`) → count.
    pub reads: BTreeMap<String, usize>,
    pub total_bytes: u64,
    pub workers: usize,
    pub started_ms: f64,
    pub last_ms: f64,
    pub state: RunState,
    pub error: Option<String>,
    pub report: Option<Rc<VerifyReport>>,
}

/// The result of hashing a blob, against what its check expects.
pub fn outcome_of_hash(check: &BlobCheck, hex: &str, bytes: u64) -> Outcome {
    if bytes != check.expected_size {
        return Outcome::WrongSize {
            expected: check.expected_size,
            actual: bytes,
        };
    }
    match Digest::parse(&format!("sha256:{hex}")) {
        Ok(actual) if actual == check.digest => Outcome::Ok,
        Ok(actual) => Outcome::Mismatch {
            expected: check.digest.clone(),
            actual,
        },
        Err(e) => Outcome::Unreadable {
            reason: e.to_string(),
        },
    }
}

impl VerifyRun {
    pub fn new(
        id: u32,
        scope: String,
        plan: VerifyPlan,
        jobs: Vec<BlobCheck>,
        workers: usize,
        now_ms: f64,
    ) -> Self {
        let outcomes = plan.settled();
        let total_bytes = jobs.iter().map(|c| c.expected_size).sum();
        Self {
            id,
            scope,
            plan: Rc::new(plan),
            jobs: Rc::new(jobs),
            outcomes,
            in_flight: BTreeMap::new(),
            finished_bytes: 0,
            reads: BTreeMap::new(),
            total_bytes,
            workers,
            started_ms: now_ms,
            last_ms: now_ms,
            state: RunState::Running,
            error: None,
            report: None,
        }
    }

    /// `reads` as "file:1 opfs-sync:3" (a page attribute tests look at).
    pub fn reads_label(&self) -> String {
        let parts: Vec<String> = self.reads.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        parts.join(" ")
    }

    pub fn done_bytes(&self) -> u64 {
        self.finished_bytes + self.in_flight.values().sum::<u64>()
    }

    /// Bytes per second since the start.
    pub fn speed(&self) -> f64 {
        let secs = (self.last_ms - self.started_ms) / 1000.0;
        if secs > 0.0 {
            self.done_bytes() as f64 / secs
        } else {
            0.0
        }
    }

    pub fn seconds_left(&self) -> Option<f64> {
        let speed = self.speed();
        (speed > 0.0).then(|| self.total_bytes.saturating_sub(self.done_bytes()) as f64 / speed)
    }

    /// Applies one pool event; `memory` learns every blob hashed ok.
    pub fn apply(&mut self, event: PoolEvent, now_ms: f64, memory: &mut QuickMemory) {
        self.last_ms = now_ms;
        match event {
            PoolEvent::Started { job } => {
                self.in_flight.insert(job, 0);
            }
            PoolEvent::Progress { job, bytes } => {
                self.in_flight.insert(job, bytes);
            }
            PoolEvent::Hashed {
                job,
                hex,
                bytes,
                via,
            } => {
                *self.reads.entry(via).or_default() += 1;
                self.settle(job, |c| outcome_of_hash(c, &hex, bytes), memory)
            }
            PoolEvent::Failed { job, message } if job < self.jobs.len() => self.settle(
                job,
                |_| Outcome::Unreadable {
                    reason: message.clone(),
                },
                memory,
            ),
            PoolEvent::Failed { message, .. } => self.error = Some(message),
            PoolEvent::Finished { cancelled } => {
                self.in_flight.clear();
                self.state = RunState::Done { cancelled };
                self.report = Some(Rc::new(VerifyReport::build(&self.plan, &self.outcomes)));
            }
        }
    }

    fn settle(
        &mut self,
        job: usize,
        outcome: impl FnOnce(&BlobCheck) -> Outcome,
        memory: &mut QuickMemory,
    ) {
        let Some(check) = self.jobs.get(job) else {
            return;
        };
        let outcome = outcome(check);
        memory.record(check, &outcome);
        self.in_flight.remove(&job);
        self.finished_bytes += check.expected_size;
        self.outcomes.insert(check.digest.clone(), outcome);
    }
}
