//! The app's state and every change to it. In: [`Action`]s from components
//! and background tasks. Out: a new [`AppState`] (Yew `Reducible`); no I/O.

use super::archive_task::ArchiveRun;
use super::import_task::ImportStatus;
use super::pack_run::{CancelFlag, PackRun, PackStatus};
use super::verify_run::VerifyRun;
use crate::core::digest::Digest;
use crate::core::gguf::GgufSummary;
use crate::core::store::reads::TextPreview;
use crate::core::store::StoreReport;
use crate::core::verify::QuickMemory;
use crate::web::hash_pool::{HashPool, PoolEvent};
use crate::web::js::now_ms;
use crate::web::picker::BrowserSource;
use std::collections::BTreeSet;
use std::collections::HashMap;
use std::rc::Rc;
use yew::Reducible;

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

#[derive(Clone)]
pub struct AppState {
    pub phase: Phase,
    /// Bumped on every open, so results of an older open are ignored.
    pub generation: u32,
    pub source: Option<Rc<BrowserSource>>,
    pub report: Option<Rc<StoreReport>>,
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
    pub verify: Option<Rc<VerifyRun>>,
    /// The pool of the running verify, for Cancel.
    pub pool: Option<HashPool>,
    /// Blobs verified ok this session (for the quick check).
    pub memory: QuickMemory,
    /// Models ticked for packing (display names).
    pub pack_selection: BTreeSet<String>,
    pub pack: Option<Rc<PackRun>>,
    pub pack_cancel: Option<CancelFlag>,
    /// Why a pack could not start.
    pub pack_error: Option<String>,
    /// The archive being read or last read.
    pub archive: Option<Rc<ArchiveRun>>,
    pub archive_cancel: Option<CancelFlag>,
    /// The last import of an archive into the open folder.
    pub import: Option<ImportStatus>,
    pub import_cancel: Option<CancelFlag>,
}

/// Cheap equality for Yew's re-render checks: shared data by pointer.
impl PartialEq for AppState {
    fn eq(&self, o: &Self) -> bool {
        let same_rc = |a: &Option<Rc<StoreReport>>, b: &Option<Rc<StoreReport>>| match (a, b) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        self.phase == o.phase
            && self.generation == o.generation
            && same_rc(&self.report, &o.report)
            && self.selected == o.selected
            && self.sort == o.sort
            && self.filter == o.filter
            && self.gguf == o.gguf
            && self.previews == o.previews
            && self.notice == o.notice
            && self.pick_closed == o.pick_closed
            && self.last_folder == o.last_folder
            && self.pack_selection == o.pack_selection
            && self.pack == o.pack
            && self.pack_error == o.pack_error
            && self.archive == o.archive
            && self.import == o.import
            && match (&self.verify, &o.verify) {
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                (a, b) => a.is_none() && b.is_none(),
            }
    }
}

impl Default for AppState {
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
            verify: None,
            pool: None,
            memory: QuickMemory::new(),
            pack_selection: BTreeSet::new(),
            pack: None,
            pack_cancel: None,
            pack_error: None,
            archive: None,
            archive_cancel: None,
            import: None,
            import_cancel: None,
        }
    }
}

pub enum Action {
    Opening(String),
    Opened {
        generation: u32,
        source: Rc<BrowserSource>,
        report: StoreReport,
        open_ms: f64,
        notice: Option<String>,
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
    VerifyStarted {
        run: VerifyRun,
        pool: Option<HashPool>,
    },
    VerifyEvent {
        id: u32,
        event: PoolEvent,
        now_ms: f64,
    },
    VerifyFailed(String),
    TogglePack(String),
    SetPackSelection(BTreeSet<String>),
    PackFailedEarly(String),
    PackStarted {
        run: PackRun,
        cancel: CancelFlag,
    },
    PackProgress(PackRun),
    PackEnded {
        id: u32,
        status: PackStatus,
        now_ms: f64,
    },
    ArchiveStarted {
        run: ArchiveRun,
        cancel: CancelFlag,
    },
    ArchiveProgress(ArchiveRun),
    /// An import began, of an archive of this many bytes.
    ImportStarted(CancelFlag, u64),
    /// The import read this many bytes of the archive.
    ImportRead(u64),
    Import(ImportStatus),
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Opening(what) => {
                s.pick_closed = false;
                s.phase = Phase::Opening(what);
                s.generation += 1;
            }
            Action::Opened {
                generation,
                source,
                report,
                open_ms,
                notice,
            } if generation == s.generation => {
                if let Some(pool) = s.pool.take() {
                    pool.cancel();
                }
                s = AppState {
                    generation,
                    sort: s.sort,
                    memory: s.memory,
                    archive: s.archive,
                    archive_cancel: s.archive_cancel,
                    import: s.import,
                    import_cancel: s.import_cancel,
                    last_folder: s.last_folder,
                    ..AppState::default()
                };
                s.phase = Phase::Ready;
                s.source = Some(source);
                s.report = Some(Rc::new(report));
                s.open_ms = Some(open_ms);
                s.notice = notice;
            }
            Action::Failed(message) => s.phase = Phase::Failed(message),
            Action::Cancelled => {
                s.pick_closed = true;
                s.phase = if s.report.is_some() {
                    Phase::Ready
                } else {
                    Phase::Welcome
                };
            }
            Action::Notice(text) => s.notice = Some(text),
            Action::LastFolder(handle) => s.last_folder = Some(handle),
            Action::Select(name) => s.selected = name,
            Action::Sort(column) => {
                s.sort = if s.sort.0 == column {
                    (column, !s.sort.1)
                } else {
                    (column, false)
                };
            }
            Action::Filter(text) => s.filter = text,
            Action::Gguf {
                generation,
                digest,
                value,
            } if generation == s.generation => {
                s.gguf.insert(digest, value);
            }
            Action::Preview {
                generation,
                digest,
                value,
            } if generation == s.generation => {
                s.previews.insert(digest, value);
            }
            Action::VerifyStarted { run, pool } => {
                s.verify = Some(Rc::new(run));
                s.pool = pool;
            }
            Action::VerifyEvent { id, event, now_ms } => {
                let Some(run) = s.verify.as_ref().filter(|r| r.id == id) else {
                    return self;
                };
                let mut run = (**run).clone();
                run.apply(event, now_ms, &mut s.memory);
                if run.report.is_some() {
                    s.pool = None;
                }
                s.verify = Some(Rc::new(run));
            }
            Action::VerifyFailed(message) => s.phase = Phase::Failed(message),
            Action::ArchiveStarted { run, cancel } => {
                s.archive = Some(Rc::new(run));
                s.archive_cancel = Some(cancel);
                if s.import_cancel.is_none() {
                    s.import = None;
                }
            }
            Action::ArchiveProgress(run) if s.archive.as_ref().is_some_and(|a| a.id == run.id) => {
                if run.report.is_some() || run.cancelled || run.error.is_some() {
                    s.archive_cancel = None;
                }
                s.archive = Some(Rc::new(run));
            }
            Action::ImportStarted(cancel, size) => {
                let now = now_ms();
                s.import = Some(ImportStatus::Running {
                    read: 0,
                    size,
                    started_ms: now,
                    last_ms: now,
                });
                s.import_cancel = Some(cancel);
            }
            Action::ImportRead(bytes) => {
                if let Some(ImportStatus::Running { read, last_ms, .. }) = &mut s.import {
                    (*read, *last_ms) = (bytes, now_ms());
                }
            }
            Action::Import(status) => {
                s.import = Some(status);
                s.import_cancel = None;
            }
            Action::TogglePack(name) => {
                if !s.pack_selection.remove(&name) {
                    s.pack_selection.insert(name);
                }
            }
            Action::SetPackSelection(names) => s.pack_selection = names,
            Action::PackFailedEarly(message) => s.pack_error = Some(message),
            Action::PackStarted { run, cancel } => {
                s.pack = Some(Rc::new(run));
                s.pack_cancel = Some(cancel);
                s.pack_error = None;
            }
            Action::PackProgress(run) if s.pack.as_ref().is_some_and(|p| p.id == run.id) => {
                s.pack = Some(Rc::new(run));
            }
            Action::PackEnded { id, status, now_ms }
                if s.pack.as_ref().is_some_and(|p| p.id == id) =>
            {
                if let Some(mut run) = s.pack.as_deref().cloned() {
                    run.status = status;
                    run.last_ms = now_ms;
                    s.pack = Some(Rc::new(run));
                }
                s.pack_cancel = None;
            }
            _ => return self,
        }
        Rc::new(s)
    }
}
