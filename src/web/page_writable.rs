//! A partial blob file the page writes through a writable stream (a folder
//! picked on disk; OPFS with `?writes=page`). In: writes at offsets, and
//! checkpoints asked for as part records pile up. Out: the bytes in the
//! file, committed at each checkpoint and at `close`.
//!
//! The browser commits a writable's bytes only when it is closed: a tab
//! closed mid-pull would lose everything since the file was opened. A
//! checkpoint closes the stream and opens a new one over the committed
//! file; writes that come meanwhile wait for it. Opening it again copies
//! the whole file (`keepExistingData`; Chromium copies 80–170 MB/s in
//! OPFS, about as fast as a writable writes), so checkpoints are spaced
//! by time: the first once [`CHECKPOINT_MIN`] bytes came; the next once
//! as many came again and [`CHECKPOINT_SPACING`] times as long passed as
//! copying the file as it is now would take (at the rate the last copy
//! went). The pull spends at most about a tenth of its time on them: on
//! a slow network they come often, on one as fast as the disk copies
//! only the first does. A closed tab loses what came since the last one.
//! The file is kept only as long as its data reaches, so a copy never
//! includes room not yet downloaded into.

use super::js::{call_method, resolve, WebError};
use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use js_sys::{Object, Reflect, Uint8Array};
use std::cell::{Cell, RefCell};
use wasm_bindgen::JsValue;
use web_sys::FileSystemFileHandle;

/// No checkpoint before this many bytes came since the last one.
pub const CHECKPOINT_MIN: u64 = 64 << 20;
/// Time since the last checkpoint before the next is due, in units of how
/// long copying the file as it is now would take (at the last copy's rate).
pub const CHECKPOINT_SPACING: f64 = 10.0;

type Reopen = Shared<LocalBoxFuture<'static, Result<JsValue, String>>>;

enum Stream {
    Open(JsValue),
    /// Being committed and opened again; writes wait for the new stream.
    Reopening(Reopen),
}

pub struct PageWritable {
    handle: FileSystemFileHandle,
    stream: RefCell<Stream>,
    /// Bytes written since the file was opened.
    written: Cell<u64>,
    /// `written` at the last commit.
    committed_written: Cell<u64>,
    /// The file's length (what a checkpoint copies).
    len: Cell<u64>,
    /// When the last checkpoint ended, and ms per byte its copy took.
    checkpointed_at: Cell<f64>,
    copy_ms_per_byte: Cell<f64>,
}

fn create_writable(handle: &FileSystemFileHandle, keep: bool) -> Result<js_sys::Promise, WebError> {
    let options = Object::new();
    let _ = Reflect::set(&options, &"keepExistingData".into(), &keep.into());
    call_method(handle, "createWritable", &[options.into()])
}

async fn truncate(writable: &JsValue, len: u64) -> Result<(), WebError> {
    resolve(call_method(writable, "truncate", &[(len as f64).into()])?).await?;
    Ok(())
}

impl PageWritable {
    /// Opens the partial file: sized to `size` first (a disk without room
    /// says so before anything is downloaded), then cut to `keep` bytes
    /// (what an earlier pull left and resuming keeps; 0 for a fresh start).
    pub async fn open(
        handle: FileSystemFileHandle,
        size: u64,
        keep: Option<u64>,
    ) -> Result<Self, WebError> {
        let writable = resolve(create_writable(&handle, keep.is_some())?).await?;
        truncate(&writable, size).await?;
        let len = keep.unwrap_or(0).min(size);
        truncate(&writable, len).await?;
        Ok(Self {
            handle,
            stream: RefCell::new(Stream::Open(writable)),
            written: Cell::new(0),
            committed_written: Cell::new(0),
            len: Cell::new(len),
            checkpointed_at: Cell::new(js_sys::Date::now()),
            copy_ms_per_byte: Cell::new(0.0),
        })
    }

    /// Writes `data` at `position`. The write starts now when the stream is
    /// open (writes then complete in the order they were started), else
    /// once the checkpoint under way has opened the new one.
    pub fn write(
        &self,
        position: u64,
        data: Uint8Array,
    ) -> LocalBoxFuture<'static, Result<(), WebError>> {
        let bytes = u64::from(data.length());
        self.written.set(self.written.get() + bytes);
        self.len.set(self.len.get().max(position + bytes));
        let command = Object::new();
        let _ = Reflect::set(&command, &"type".into(), &"write".into());
        let _ = Reflect::set(&command, &"position".into(), &(position as f64).into());
        let _ = Reflect::set(&command, &"data".into(), &data);
        match self.stream() {
            Ok(writable) => {
                let write = call_method(&writable, "write", &[command.into()]);
                Box::pin(async move { resolve(write?).await.map(drop) })
            }
            Err(reopen) => Box::pin(async move {
                let writable = reopen.await.map_err(WebError::Other)?;
                resolve(call_method(&writable, "write", &[command.into()])?)
                    .await
                    .map(drop)
            }),
        }
    }

    /// The open stream, or the checkpoint under way that opens the next.
    fn stream(&self) -> Result<JsValue, Reopen> {
        match &*self.stream.borrow() {
            Stream::Open(writable) => Ok(writable.clone()),
            Stream::Reopening(reopen) => Err(reopen.clone()),
        }
    }

    /// Enough came, and enough time passed, since the last commit to make
    /// one worth its copy.
    pub fn checkpoint_due(&self) -> bool {
        let since = self.written.get() - self.committed_written.get();
        let waited = js_sys::Date::now() - self.checkpointed_at.get();
        let copy_ms = self.copy_ms_per_byte.get() * self.len.get() as f64;
        since >= CHECKPOINT_MIN && waited >= CHECKPOINT_SPACING * copy_ms
    }

    /// Commits what was written so far (every write started before this
    /// call) and goes on in a new stream over the committed file.
    pub async fn checkpoint(&self) -> Result<(), WebError> {
        let (written, len) = (self.written.get(), self.len.get());
        let started = js_sys::Date::now();
        let Ok(old) = self.stream() else {
            return Ok(()); // one is under way
        };
        let (handle, close) = (self.handle.clone(), call_method(&old, "close", &[]));
        let reopen: Reopen = async move {
            let text = |e: WebError| e.to_string();
            resolve(close.map_err(text)?).await.map_err(text)?;
            resolve(create_writable(&handle, true).map_err(text)?)
                .await
                .map_err(text)
        }
        .boxed_local()
        .shared();
        *self.stream.borrow_mut() = Stream::Reopening(reopen.clone());
        let writable = reopen.await.map_err(WebError::Other)?;
        *self.stream.borrow_mut() = Stream::Open(writable);
        self.committed_written.set(written);
        let now = js_sys::Date::now();
        self.checkpointed_at.set(now);
        self.copy_ms_per_byte
            .set((now - started) / len.max(1) as f64);
        Ok(())
    }

    /// Commits the bytes and lets go of the file.
    pub async fn close(&self) -> Result<(), WebError> {
        let writable = match self.stream() {
            Ok(writable) => writable,
            Err(reopen) => reopen.await.map_err(WebError::Other)?,
        };
        resolve(call_method(&writable, "close", &[])?).await?;
        Ok(())
    }

    /// Drops what was written since the last commit and lets go of the file.
    pub async fn abort(&self) {
        if let Ok(writable) = self.stream() {
            if let Ok(p) = call_method(&writable, "abort", &[]) {
                let _ = resolve(p).await;
            }
        }
    }
}
