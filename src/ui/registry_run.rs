//! The registry panel's state. In: [`RegistryAction`]s from the panel and
//! from pull/push tasks. Out: a [`RegistryState`] (Yew `Reducible`): the
//! manifest a look-up found, the transfer under way or last run (bytes,
//! speed, time left) and how it ended; no I/O.

use super::pack_run::CancelFlag;
use crate::core::digest::Digest;
use std::rc::Rc;
use yew::Reducible;

/// A manifest as the look-up shows it, before anything is downloaded.
#[derive(Clone, PartialEq, Debug)]
pub struct LookedUp {
    pub reference: String,
    /// Ollama's shortest form of the name the model gets here.
    pub name: String,
    pub id: String,
    pub layers: Vec<(String, Digest, u64)>,
    pub total_bytes: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    LookUp,
    Pull,
    Push,
}

#[derive(Clone, PartialEq, Debug)]
pub enum Ended {
    Done(String),
    Failed {
        message: String,
        /// The browser blocked the registry (CORS): why, in words.
        blocked: Option<String>,
    },
    Cancelled(String),
}

#[derive(Clone, PartialEq, Debug)]
pub struct TransferRun {
    pub id: u32,
    pub kind: Kind,
    /// What the run does, in words ("Pulling … into …").
    pub title: String,
    /// `scheme://host[:port]` of the registry.
    pub registry: String,
    pub total_bytes: u64,
    pub done_bytes: u64,
    /// Bytes that went over the network.
    pub moved_bytes: u64,
    pub blobs: usize,
    pub blobs_done: usize,
    /// What is happening now (e.g. "packing the archive").
    pub step: String,
    pub started_ms: f64,
    pub last_ms: f64,
    pub ended: Option<Ended>,
}

impl TransferRun {
    pub fn new(id: u32, kind: Kind, title: String, registry: String, now_ms: f64) -> Self {
        Self {
            id,
            kind,
            title,
            registry,
            total_bytes: 0,
            done_bytes: 0,
            moved_bytes: 0,
            blobs: 0,
            blobs_done: 0,
            step: String::new(),
            started_ms: now_ms,
            last_ms: now_ms,
            ended: None,
        }
    }

    /// Network bytes per second so far.
    pub fn speed(&self) -> f64 {
        let secs = (self.last_ms - self.started_ms) / 1000.0;
        if secs > 0.0 {
            self.moved_bytes as f64 / secs
        } else {
            0.0
        }
    }

    pub fn seconds_left(&self) -> Option<f64> {
        let secs = (self.last_ms - self.started_ms) / 1000.0;
        let rate = self.done_bytes as f64 / secs.max(1e-3);
        (self.done_bytes > 0 && self.done_bytes < self.total_bytes)
            .then(|| (self.total_bytes - self.done_bytes) as f64 / rate)
    }
}

#[derive(Clone, Default)]
pub struct RegistryState {
    pub looked_up: Option<Rc<LookedUp>>,
    pub run: Option<Rc<TransferRun>>,
    pub cancel: Option<CancelFlag>,
}

impl PartialEq for RegistryState {
    fn eq(&self, o: &Self) -> bool {
        self.looked_up == o.looked_up && self.run == o.run
    }
}

pub enum RegistryAction {
    Started(TransferRun, CancelFlag),
    Progress(TransferRun),
    LookedUp(LookedUp),
    Forget,
}

impl Reducible for RegistryState {
    type Action = RegistryAction;

    fn reduce(self: Rc<Self>, action: RegistryAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            RegistryAction::Started(run, cancel) => {
                if run.kind == Kind::LookUp {
                    s.looked_up = None;
                }
                s.run = Some(Rc::new(run));
                s.cancel = Some(cancel);
            }
            RegistryAction::Progress(run) if s.run.as_ref().is_some_and(|r| r.id == run.id) => {
                if run.ended.is_some() {
                    s.cancel = None;
                }
                s.run = Some(Rc::new(run));
            }
            RegistryAction::LookedUp(found) => s.looked_up = Some(Rc::new(found)),
            RegistryAction::Forget => s.looked_up = None,
            RegistryAction::Progress(_) => return self,
        }
        Rc::new(s)
    }
}
