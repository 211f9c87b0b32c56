//! A pool of verify Web Workers. In: numbered [`BlobFile`]s to hash and a
//! callback. Out: [`PoolEvent`]s — progress, a digest or a failure per file,
//! then `Finished` — while each worker takes the next file as it frees up
//! (the jobs come in the plan's hash order: largest first).
//! `cancel` stops every worker at once.

use super::js::WebError;
use super::messages::{FromWorker, ToWorker};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{File, FileSystemFileHandle, MessageEvent, Worker, WorkerOptions, WorkerType};

/// The worker script, next to index.html in `dist/`.
pub const WORKER_SCRIPT: &str = "verify-worker.js";

/// A blob to hash: its `File`, and its handle when the store is a folder
/// handle (an OPFS file is then read through a sync access handle).
pub struct BlobFile {
    pub file: File,
    pub handle: Option<FileSystemFileHandle>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PoolEvent {
    Started {
        job: usize,
    },
    Progress {
        job: usize,
        bytes: u64,
    },
    /// `via`: how the worker read it (`hash_worker::VIA_*`).
    Hashed {
        job: usize,
        hex: String,
        bytes: u64,
        via: String,
    },
    Failed {
        job: usize,
        message: String,
    },
    Finished {
        cancelled: bool,
    },
}

type OnEvent = Rc<dyn Fn(PoolEvent)>;

struct Inner {
    workers: Vec<Worker>,
    queue: VecDeque<(usize, BlobFile)>,
    busy: usize,
    stopped: bool,
    on_event: OnEvent,
    handlers: Vec<Closure<dyn FnMut(MessageEvent)>>,
}

#[derive(Clone)]
pub struct HashPool {
    inner: Rc<RefCell<Inner>>,
}

/// Workers to start: one per core the browser reports, at least one.
pub fn default_pool_size() -> usize {
    web_sys::window()
        .map(|w| w.navigator().hardware_concurrency() as usize)
        .unwrap_or(1)
        .clamp(1, 16)
}

impl HashPool {
    /// Starts `size` workers on `jobs`; events arrive through `on_event`.
    pub fn start(
        jobs: Vec<(usize, BlobFile)>,
        size: usize,
        on_event: impl Fn(PoolEvent) + 'static,
    ) -> Result<Self, WebError> {
        let size = size.clamp(1, jobs.len().max(1));
        let pool = Self {
            inner: Rc::new(RefCell::new(Inner {
                workers: Vec::new(),
                queue: jobs.into(),
                busy: 0,
                stopped: false,
                on_event: Rc::new(on_event),
                handlers: Vec::new(),
            })),
        };
        for index in 0..size {
            pool.spawn(index)?;
        }
        for index in 0..size {
            pool.next(index);
        }
        if pool.inner.borrow().busy == 0 {
            pool.stop(false);
        }
        Ok(pool)
    }

    fn spawn(&self, index: usize) -> Result<(), WebError> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker =
            Worker::new_with_options(WORKER_SCRIPT, &options).map_err(|e| WebError::from_js(&e))?;
        let pool = self.clone();
        let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            pool.on_message(index, &e.data())
        });
        worker.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        let pool = self.clone();
        let on_error = Closure::<dyn FnMut(MessageEvent)>::new(move |_e: MessageEvent| {
            pool.emit(PoolEvent::Failed {
                job: usize::MAX,
                message:
                    "a verify worker could not start (is verify-worker.js served next to the app?)"
                        .into(),
            });
            pool.stop(true);
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let mut inner = self.inner.borrow_mut();
        inner.workers.push(worker);
        inner.handlers.push(handler);
        inner.handlers.push(on_error);
        Ok(())
    }

    fn emit(&self, event: PoolEvent) {
        let on_event = self.inner.borrow().on_event.clone();
        on_event(event);
    }

    /// Gives worker `index` the next file, or retires it.
    fn next(&self, index: usize) {
        let job = {
            let mut inner = self.inner.borrow_mut();
            if inner.stopped {
                return;
            }
            // Jobs come in the plan's hash order (largest first).
            inner.queue.pop_front()
        };
        let Some((job, blob)) = job else { return };
        let message = ToWorker::new(None);
        message.set_id(job as f64);
        message.set_file(&blob.file);
        message.set_handle(
            &blob
                .handle
                .clone()
                .map_or(JsValue::UNDEFINED, JsValue::from),
        );
        let posted = self.inner.borrow().workers[index]
            .post_message(&message)
            .map_err(|e| WebError::from_js(&e).to_string());
        match posted {
            Ok(()) => {
                self.inner.borrow_mut().busy += 1;
                self.emit(PoolEvent::Started { job });
            }
            Err(message) => self.emit(PoolEvent::Failed { job, message }),
        }
    }

    fn on_message(&self, index: usize, data: &JsValue) {
        if self.inner.borrow().stopped {
            return;
        }
        let reply = FromWorker::of(data.clone());
        let job = reply.id().map_or(usize::MAX, |id| id as usize);
        let bytes = reply.bytes().unwrap_or(0.0) as u64;
        let event = match reply.kind().as_deref() {
            Some("progress") => return self.emit(PoolEvent::Progress { job, bytes }),
            Some("done") => PoolEvent::Hashed {
                job,
                hex: reply.hex().unwrap_or_default(),
                bytes,
                via: reply.via().unwrap_or_default(),
            },
            _ => PoolEvent::Failed {
                job,
                message: reply.message().unwrap_or_else(|| "unknown error".into()),
            },
        };
        self.emit(event);
        self.inner.borrow_mut().busy -= 1;
        self.next(index);
        if self.inner.borrow().busy == 0 {
            self.stop(false);
        }
    }

    fn stop(&self, cancelled: bool) {
        {
            let mut inner = self.inner.borrow_mut();
            if inner.stopped {
                return;
            }
            inner.stopped = true;
            for worker in &inner.workers {
                worker.terminate();
            }
        }
        self.emit(PoolEvent::Finished { cancelled });
    }

    /// Stops at once: every worker is terminated mid-blob.
    pub fn cancel(&self) {
        self.stop(true);
    }
}
