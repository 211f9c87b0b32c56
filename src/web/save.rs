//! Where an archive goes. In: a suggested file name, then output bytes.
//! Out: a [`SaveTarget`] — a file from `showSaveFilePicker` written through
//! a writable stream (flat memory, any size) that is aborted and removed
//! on failure or Cancel; where the browser has no save picker, a download
//! streamed through a service worker (`stream_download`); where that
//! cannot run either, a download assembled in memory up to [`MEMORY_LIMIT`].

use super::js::{call_method, prop, resolve, window, WebError};
use super::stream_download::{self, StreamDownload};
use super::write_pipe::WritePipe;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{FileSystemFileHandle, FileSystemWritableFileStream};

/// The largest archive assembled in memory when there is no save picker.
pub const MEMORY_LIMIT: u64 = 1 << 30;

pub enum SaveTarget {
    File {
        handle: FileSystemFileHandle,
        writable: FileSystemWritableFileStream,
        name: String,
        pipe: WritePipe,
    },
    Stream {
        download: StreamDownload,
        name: String,
    },
    Memory {
        parts: Array,
        name: String,
        bytes: u64,
    },
}

pub fn has_save_picker() -> bool {
    window()
        .ok()
        .and_then(|w| prop(&w, "showSaveFilePicker"))
        .is_some()
}

fn picker_options(suggested: &str) -> Object {
    let options = Object::new();
    let _ = Reflect::set(&options, &"suggestedName".into(), &suggested.into());
    let _ = Reflect::set(&options, &"id".into(), &"ollama-archives".into());
    let accept = Object::new();
    let extensions: Array = [".tar", ".gz", ".tgz"]
        .iter()
        .map(|e| JsValue::from_str(e))
        .collect();
    let mime = if suggested.ends_with(".gz") {
        "application/gzip"
    } else {
        "application/x-tar"
    };
    let _ = Reflect::set(&accept, &mime.into(), &extensions);
    let kind = Object::new();
    let _ = Reflect::set(&kind, &"description".into(), &"Ollama model archive".into());
    let _ = Reflect::set(&kind, &"accept".into(), &accept);
    let _ = Reflect::set(&options, &"types".into(), &Array::of1(&kind));
    options
}

impl SaveTarget {
    /// Asks where to save (or prepares an in-memory download of at most
    /// [`MEMORY_LIMIT`] bytes when the browser has no save picker).
    pub async fn choose(suggested: &str, size: u64) -> Result<Self, WebError> {
        if !has_save_picker() {
            if stream_download::available() {
                if let Ok(download) = StreamDownload::open(suggested, Some(size)).await {
                    return Ok(Self::Stream {
                        download,
                        name: suggested.to_string(),
                    });
                }
            }
            if size > MEMORY_LIMIT {
                return Err(WebError::Unsupported(format!(
                    "This browser cannot stream a file to disk (no showSaveFilePicker), and this archive ({} MB) is larger than the {} MB it can build in memory. Use Chrome or Edge, or the ollama-pack command line.",
                    size / 1_000_000,
                    MEMORY_LIMIT / 1_000_000
                )));
            }
            return Ok(Self::Memory {
                parts: Array::new(),
                name: suggested.to_string(),
                bytes: 0,
            });
        }
        let w = window()?;
        let picked = resolve(call_method(
            &w,
            "showSaveFilePicker",
            &[picker_options(suggested).into()],
        )?)
        .await?;
        let handle: FileSystemFileHandle = picked.unchecked_into();
        let writable: FileSystemWritableFileStream =
            resolve(handle.create_writable()).await?.unchecked_into();
        Ok(Self::File {
            name: handle.name(),
            handle,
            writable,
            pipe: WritePipe::default(),
        })
    }

    pub fn name(&self) -> &str {
        match self {
            Self::File { name, .. } | Self::Stream { name, .. } | Self::Memory { name, .. } => name,
        }
    }

    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), WebError> {
        if bytes.is_empty() {
            return Ok(());
        }
        match self {
            Self::File { writable, pipe, .. } => pipe.write(writable, bytes).await,
            Self::Stream { download, .. } => download.write(bytes).await,
            Self::Memory {
                parts,
                bytes: total,
                ..
            } => {
                parts.push(&Uint8Array::from(bytes));
                *total += bytes.len() as u64;
                Ok(())
            }
        }
    }

    /// Makes the file final (or starts the in-memory download).
    pub async fn finish(self) -> Result<(), WebError> {
        match self {
            Self::File {
                writable, mut pipe, ..
            } => {
                pipe.settle().await?;
                resolve(writable.close()).await.map(|_| ())
            }
            Self::Stream { download, .. } => download.finish(),
            Self::Memory { parts, name, .. } => download(&parts, &name),
        }
    }

    /// Throws the partial output away: the writable is aborted (the file
    /// keeps nothing of this pack) and the file the picker created is
    /// removed where the browser allows it.
    pub async fn discard(self) {
        match self {
            Self::File {
                handle,
                writable,
                mut pipe,
                ..
            } => {
                pipe.forget();
                let _ = resolve(writable.abort()).await;
                if let Ok(promise) = call_method(&handle, "remove", &[]) {
                    let _ = resolve(promise).await;
                }
            }
            Self::Stream { download, .. } => download.discard(),
            Self::Memory { .. } => {}
        }
    }
}

fn download(parts: &Array, name: &str) -> Result<(), WebError> {
    let blob =
        web_sys::Blob::new_with_u8_array_sequence(parts).map_err(|e| WebError::from_js(&e))?;
    let url =
        web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| WebError::from_js(&e))?;
    let document = window()?
        .document()
        .ok_or_else(|| WebError::Unsupported("no document".into()))?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| WebError::from_js(&e))?
        .unchecked_into();
    link.set_href(&url);
    link.set_download(name);
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
