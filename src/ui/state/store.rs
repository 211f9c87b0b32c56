//! The open folder as state. In: [`StoreAction`]s (a folder being opened,
//! opened, failed; the table's sort, filter and selection; GGUF headers and
//! text previews read in the background). Out: [`StoreState`].

use super::Shared;
use crate::core::digest::Digest;
use crate::core::gguf::GgufSummary;
use crate::core::store::reads::TextPreview;
use crate::core::store::StoreReport;
use crate::web::picker::BrowserSource;
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Clone, PartialEq)]
pub enum Phase {
    Welcome,
    Opening(String),
    Ready,
    Failed(String),
}

/// A value read in the background for one blob.
#[derive(Clone, PartialEq)]
pub enum Loaded<T> {
    Loading,
    Done(T),
    Failed(String),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Column {
    Name,
    Id,
    Size,
    Modified,
    Family,
    Params,
    Quant,
    Frees,
}

#[derive(Clone, PartialEq)]
pub struct StoreState {
    pub phase: Phase,
    /// Bumped on every open, so results of an older open are ignored.
    pub generation: u32,
    pub source: Option<Shared<BrowserSource>>,
    pub report: Option<Shared<StoreReport>>,
    pub selected: Option<String>,
    pub sort: (Column, bool),
    pub filter: String,
    pub gguf: HashMap<Digest, Loaded<Rc<GgufSummary>>>,
    pub previews: HashMap<Digest, Loaded<TextPreview>>,
    pub notice: Option<String>,
    /// The last folder dialog ended without a folder.
    pub pick_closed: bool,
    /// The folder on disk opened last (kept across reloads), to reopen.
    pub last_folder: Option<web_sys::FileSystemDirectoryHandle>,
    /// How long the last open took, for the curious (and the benchmark).
    pub open_ms: Option<f64>,
    /// A folder on disk: the browser refuses ':' in the names it writes
    /// there (so no `manifests/host:port/…`).
    pub refuses_colons: bool,
}

impl Default for StoreState {
    fn default() -> Self {
        Self {
            phase: Phase::Welcome,
            generation: 0,
            source: None,
            report: None,
            selected: None,
            sort: (Column::Name, false),
            filter: String::new(),
            gguf: HashMap::new(),
            previews: HashMap::new(),
            notice: None,
            pick_closed: false,
            last_folder: None,
            open_ms: None,
            refuses_colons: false,
        }
    }
}

pub enum StoreAction {
    Opening(String),
    Opened {
        generation: u32,
        source: Shared<BrowserSource>,
        report: StoreReport,
        open_ms: f64,
        notice: Option<String>,
        refuses_colons: bool,
    },
    Failed(String),
    Cancelled,
    /// Something the user should know about the open folder.
    Notice(String),
    /// The folder on disk opened last, kept from an earlier visit.
    LastFolder(web_sys::FileSystemDirectoryHandle),
    Select(Option<String>),
    Sort(Column),
    Filter(String),
    Gguf {
        generation: u32,
        digest: Digest,
        value: Loaded<Rc<GgufSummary>>,
    },
    Preview {
        generation: u32,
        digest: Digest,
        value: Loaded<TextPreview>,
    },
}

impl StoreState {
    /// Applies `action`; `false` when it changed nothing (a late result of
    /// an older open).
    pub fn reduce(&mut self, action: StoreAction) -> bool {
        match action {
            StoreAction::Opening(what) => {
                self.pick_closed = false;
                self.phase = Phase::Opening(what);
                self.generation += 1;
            }
            StoreAction::Opened {
                generation,
                source,
                report,
                open_ms,
                notice,
                refuses_colons,
            } if generation == self.generation => {
                *self = StoreState {
                    phase: Phase::Ready,
                    generation,
                    source: Some(source),
                    report: Some(Shared::new(report)),
                    sort: self.sort,
                    notice,
                    last_folder: self.last_folder.take(),
                    open_ms: Some(open_ms),
                    refuses_colons,
                    ..StoreState::default()
                };
            }
            StoreAction::Failed(message) => self.phase = Phase::Failed(message),
            StoreAction::Cancelled => {
                self.pick_closed = true;
                self.phase = if self.report.is_some() {
                    Phase::Ready
                } else {
                    Phase::Welcome
                };
            }
            StoreAction::Notice(text) => self.notice = Some(text),
            StoreAction::LastFolder(handle) => self.last_folder = Some(handle),
            StoreAction::Select(name) => self.selected = name,
            StoreAction::Sort(column) => {
                self.sort = if self.sort.0 == column {
                    (column, !self.sort.1)
                } else {
                    (column, false)
                };
            }
            StoreAction::Filter(text) => self.filter = text,
            StoreAction::Gguf {
                generation,
                digest,
                value,
            } if generation == self.generation => {
                self.gguf.insert(digest, value);
            }
            StoreAction::Preview {
                generation,
                digest,
                value,
            } if generation == self.generation => {
                self.previews.insert(digest, value);
            }
            _ => return false,
        }
        true
    }
}
