//! The registry panel's state. In: [`RegistryAction`]s from the panel and
//! [`EngineEvent`]s from the registry engine (a second WebAssembly module,
//! which sends them as JSON). Out: a [`RegistryState`] (Yew `Reducible`):
//! the manifest a look-up found, the transfer under way or last run
//! (bytes, speed, time left) and how it ended; no I/O.

use crate::core::digest::Digest;
#[cfg(feature = "registry-module")]
use crate::core::registry::Credentials;
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use yew::Reducible;

/// A manifest as the look-up shows it, before anything is downloaded.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct LookedUp {
    pub reference: String,
    /// Ollama's shortest form of the name the model gets here.
    pub name: String,
    pub id: String,
    pub layers: Vec<(String, Digest, u64)>,
    pub total_bytes: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum Kind {
    LookUp,
    Pull,
    Push,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum Ended {
    Done(String),
    Failed {
        message: String,
        /// The browser blocked the registry (CORS): why, in words.
        blocked: Option<String>,
    },
    Cancelled(String),
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
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
    #[cfg(feature = "registry-module")]
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

/// How to transfer, as the panel's fields say.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TransferOptions {
    /// Bytes per ranged part (pull) or per `PATCH` (push); default Ollama's.
    pub part_size: Option<u64>,
    /// Parts under way at once (pull).
    pub parallel: Option<usize>,
    pub user: Option<String>,
    pub password: Option<String>,
}

#[cfg(feature = "registry-module")]
impl TransferOptions {
    pub fn credentials(&self) -> Option<Credentials> {
        let user = self.user.clone()?;
        Some(Credentials::new(
            user,
            self.password.clone().unwrap_or_default(),
        ))
    }
}

/// Where a pull goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PullTo {
    LookUp,
    /// The directory handle given is the models folder, granted `readwrite`.
    Folder,
    /// A file the user picks now (the click's activation is still valid).
    Archive {
        size: u64,
    },
}

/// A look-up or pull, as the app asks the engine for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullRequest {
    pub id: u32,
    pub reference: String,
    pub options: TransferOptions,
    pub to: PullTo,
}

/// A push of a model of the open folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushRequest {
    pub id: u32,
    /// The model's name as the store report shows it.
    pub model: String,
    pub reference: String,
    pub options: TransferOptions,
}

/// What the engine reports about a run.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub enum EngineEvent {
    Progress(TransferRun),
    LookedUp(LookedUp),
}

#[derive(Clone, Default, PartialEq)]
pub struct RegistryState {
    pub looked_up: Option<Rc<LookedUp>>,
    pub run: Option<Rc<TransferRun>>,
}

pub enum RegistryAction {
    Event(EngineEvent),
}

impl Reducible for RegistryState {
    type Action = RegistryAction;

    fn reduce(self: Rc<Self>, action: RegistryAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            RegistryAction::Event(EngineEvent::Progress(run)) => {
                let newer = s.run.as_ref().is_none_or(|r| run.id >= r.id);
                if !newer {
                    return self;
                }
                if run.kind == Kind::LookUp && s.run.as_ref().is_none_or(|r| r.id != run.id) {
                    s.looked_up = None;
                }
                s.run = Some(Rc::new(run));
            }
            RegistryAction::Event(EngineEvent::LookedUp(found)) => {
                s.looked_up = Some(Rc::new(found))
            }
        }
        Rc::new(s)
    }
}
