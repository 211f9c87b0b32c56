//! The registry panel's state. In: [`RegistryAction`]s from the panel and
//! [`EngineEvent`]s from the engine (a second WebAssembly module,
//! which sends them as JSON). Out: a [`RegistryState`] (Yew `Reducible`):
//! the manifest a look-up found, the transfer under way or last run
//! (bytes, speed, time left) and how it ended; no I/O.

use crate::core::digest::Digest;
#[cfg(feature = "engine-module")]
use crate::core::registry::Credentials;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::rc::Rc;
use yew::Reducible;

/// A manifest as the look-up shows it, before anything is downloaded.
#[derive(Clone, PartialEq, Debug)]
#[cfg_attr(feature = "engine-module", derive(Serialize))]
pub struct LookedUp {
    pub reference: String,
    /// Ollama's shortest form of the name the model gets here.
    pub name: String,
    pub id: String,
    pub layers: Vec<(String, Digest, u64)>,
    pub total_bytes: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "engine-module", derive(Serialize))]
pub enum Kind {
    LookUp,
    Pull,
    Push,
}

#[derive(Clone, PartialEq, Debug)]
#[cfg_attr(feature = "engine-module", derive(Serialize))]
pub enum Ended {
    Done(String),
    Failed {
        message: String,
        /// The browser blocked the registry (CORS): why, in words.
        blocked: Option<String>,
    },
    Cancelled(String),
}

/// Why the browser blocked a registry, and the configuration that fixes
/// it, in words (made by the engine, which has the registry's address).
#[derive(Clone, PartialEq, Debug)]
#[cfg_attr(feature = "engine-module", derive(Serialize))]
pub struct CorsHelp {
    pub headline: String,
    pub detail: String,
    /// Said when the registry is Ollama's own.
    pub ollama: Option<String>,
    pub registry_intro: String,
    pub registry_config: String,
    pub caddy_intro: String,
    pub caddy_config: String,
}

#[derive(Clone, PartialEq, Debug)]
#[cfg_attr(feature = "engine-module", derive(Serialize))]
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
    /// Set when the run failed because the browser blocked the registry.
    pub cors: Option<CorsHelp>,
}

impl TransferRun {
    #[cfg(feature = "engine-module")]
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
            cors: None,
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

#[cfg(feature = "engine-module")]
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
    /// The name to store the model under, when not the reference's.
    #[serde(default)]
    pub store_as: Option<String>,
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
#[derive(Clone, PartialEq, Debug)]
#[cfg_attr(feature = "engine-module", derive(Serialize))]
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

/// The app reads the engine's events by hand: a derived `Deserialize` for
/// these types costs the app's module more than this does.
impl EngineEvent {
    pub fn from_json(json: &str) -> Option<Self> {
        let v: Value = serde_json::from_str(json).ok()?;
        if let Some(run) = v.get("Progress") {
            return Some(Self::Progress(run_of(run)?));
        }
        let l = v.get("LookedUp")?;
        let layers = l["layers"].as_array()?.iter().filter_map(|x| {
            let digest = Digest::parse(x[1].as_str()?).ok()?;
            Some((text(&x[0]), digest, x[2].as_u64()?))
        });
        Some(Self::LookedUp(LookedUp {
            reference: text(&l["reference"]),
            name: text(&l["name"]),
            id: text(&l["id"]),
            layers: layers.collect(),
            total_bytes: l["total_bytes"].as_u64()?,
        }))
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn run_of(r: &Value) -> Option<TransferRun> {
    let n = |k: &str| r[k].as_u64().unwrap_or(0);
    let f = |k: &str| r[k].as_f64().unwrap_or(0.0);
    let kind = match r["kind"].as_str()? {
        "LookUp" => Kind::LookUp,
        "Push" => Kind::Push,
        _ => Kind::Pull,
    };
    let e = &r["ended"];
    let ended = if let Some(d) = e.get("Done") {
        Some(Ended::Done(text(d)))
    } else if let Some(c) = e.get("Cancelled") {
        Some(Ended::Cancelled(text(c)))
    } else {
        e.get("Failed").map(|x| Ended::Failed {
            message: text(&x["message"]),
            blocked: x["blocked"].as_str().map(str::to_string),
        })
    };
    let c = &r["cors"];
    let cors = c.is_object().then(|| CorsHelp {
        headline: text(&c["headline"]),
        detail: text(&c["detail"]),
        ollama: c["ollama"].as_str().map(str::to_string),
        registry_intro: text(&c["registry_intro"]),
        registry_config: text(&c["registry_config"]),
        caddy_intro: text(&c["caddy_intro"]),
        caddy_config: text(&c["caddy_config"]),
    });
    Some(TransferRun {
        id: u32::try_from(n("id")).ok()?,
        kind,
        title: text(&r["title"]),
        registry: text(&r["registry"]),
        total_bytes: n("total_bytes"),
        done_bytes: n("done_bytes"),
        moved_bytes: n("moved_bytes"),
        blobs: n("blobs") as usize,
        blobs_done: n("blobs_done") as usize,
        step: text(&r["step"]),
        started_ms: f("started_ms"),
        last_ms: f("last_ms"),
        ended,
        cors,
    })
}
