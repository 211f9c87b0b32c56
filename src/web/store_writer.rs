//! Writing into a models folder the user opened. In: its directory handle
//! (asked for `readwrite` at the moment of the write), blob bytes, manifest
//! bytes. Out: blobs written under a temporary name and given their final
//! `sha256-<hex>` name only when the caller says they verified (at once,
//! or later: [`ClosedBlob`]); manifests written whole (the browser commits
//! a writable only on close).

use super::js::{call_method, resolve, window, WebError};
use super::write_pipe::WritePipe;
use js_sys::{Object, Reflect};
use wasm_bindgen::JsCast;
use web_sys::{
    FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemGetDirectoryOptions,
    FileSystemGetFileOptions, FileSystemWritableFileStream,
};

/// Asks for write access to `handle` (granted at once in OPFS), for `what`
/// ("import", "pull"…): the message of a refusal says how to go on.
pub async fn request_write(handle: &FileSystemDirectoryHandle, what: &str) -> Result<(), WebError> {
    let mode = Object::new();
    let _ = Reflect::set(&mode, &"mode".into(), &"readwrite".into());
    let state = resolve(call_method(handle, "requestPermission", &[mode.into()])?).await?;
    if state.as_string().as_deref() == Some("granted") {
        Ok(())
    } else {
        Err(WebError::PermissionDenied(format!("the browser may not edit files in \"{}\" (its prompt was answered Don't Allow, or closed). To {what}, start it again and answer Allow when the browser asks to edit files", handle.name())))
    }
}

/// What to say after the page wrote into `models`, when that is a folder on
/// disk on Linux: the browser creates files there readable by their owner
/// only (mode 0600, folders 0700) and no web API can change that, which a
/// service install of Ollama (its own user) cannot read.
pub async fn service_install_note(models: &FileSystemDirectoryHandle) -> Option<&'static str> {
    let linux = window()
        .ok()?
        .navigator()
        .user_agent()
        .ok()?
        .contains("Linux");
    (linux && !super::opfs::contains(models).await).then_some(SERVICE_INSTALL_NOTE)
}

pub const SERVICE_INSTALL_NOTE: &str = "The browser made the new files readable by you only (mode 0600): fine when Ollama runs as you. If it runs as a service under its own user (Linux installs: user ollama, folder /usr/share/ollama/.ollama/models), give them to it: sudo chown -R ollama:ollama /usr/share/ollama/.ollama/models";

/// The folder at `path` under `root` (made when `create`).
pub async fn dir(
    root: &FileSystemDirectoryHandle,
    path: &str,
    create: bool,
) -> Result<FileSystemDirectoryHandle, WebError> {
    let mut dir = root.clone();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        let options = FileSystemGetDirectoryOptions::new();
        options.set_create(create);
        dir = resolve(dir.get_directory_handle_with_options(part, &options))
            .await?
            .unchecked_into();
    }
    Ok(dir)
}

async fn writable(
    dir: &FileSystemDirectoryHandle,
    name: &str,
) -> Result<(FileSystemFileHandle, FileSystemWritableFileStream), WebError> {
    let options = FileSystemGetFileOptions::new();
    options.set_create(true);
    let file: FileSystemFileHandle = resolve(dir.get_file_handle_with_options(name, &options))
        .await?
        .unchecked_into();
    let stream: FileSystemWritableFileStream =
        resolve(file.create_writable()).await?.unchecked_into();
    Ok((file, stream))
}

/// A blob being written under a temporary name in `blobs/`.
pub struct TempBlob {
    blobs: FileSystemDirectoryHandle,
    file: FileSystemFileHandle,
    stream: FileSystemWritableFileStream,
    temp_name: String,
    /// Each write runs while the next bytes are read and hashed.
    pipe: WritePipe,
}

impl TempBlob {
    pub async fn create(
        models: &FileSystemDirectoryHandle,
        final_name: &str,
    ) -> Result<Self, WebError> {
        let blobs = dir(models, "blobs", true).await?;
        let temp_name = format!("{final_name}{}", crate::core::store::blob_dir::TEMP_SUFFIX);
        let (file, stream) = writable(&blobs, &temp_name).await?;
        Ok(Self {
            blobs,
            file,
            stream,
            temp_name,
            pipe: WritePipe::default(),
        })
    }

    /// Starts writing `bytes`; returns once the write before is done.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), WebError> {
        self.pipe.write(&self.stream, bytes).await
    }

    /// All written: the file is whole under its temporary name.
    pub async fn close(mut self) -> Result<ClosedBlob, WebError> {
        self.pipe.settle().await?;
        resolve(self.stream.close()).await?;
        Ok(ClosedBlob {
            blobs: self.blobs,
            file: self.file,
            temp_name: self.temp_name,
        })
    }

    /// The digest did not verify (or the import stopped): nothing stays.
    /// Err names the temporary file when it could not be removed.
    pub async fn discard(mut self) -> Result<(), String> {
        self.pipe.forget();
        let _ = resolve(self.stream.abort()).await;
        remove_entry(&self.blobs, &self.temp_name).await
    }
}

/// Renames `file`, which is in `dir`, to `name` there. Always as a move
/// into `dir`: Chromium lets a page rename a file on disk with
/// `move(name)` only right after a click once the folder's access was
/// restored (after a reload), but `move(dir, name)` whenever the page may
/// edit `dir`.
pub async fn rename(
    dir: &FileSystemDirectoryHandle,
    file: &FileSystemFileHandle,
    name: &str,
) -> Result<(), WebError> {
    resolve(call_method(file, "move", &[dir.into(), name.into()])?).await?;
    Ok(())
}

/// A verified blob still under its temporary name.
pub struct ClosedBlob {
    blobs: FileSystemDirectoryHandle,
    file: FileSystemFileHandle,
    temp_name: String,
}

impl ClosedBlob {
    /// Gives the blob its final name, over a file of that name if any.
    pub async fn commit(self, final_name: &str) -> Result<(), WebError> {
        if rename(&self.blobs, &self.file, final_name).await.is_err() {
            let _ = resolve(self.blobs.remove_entry(final_name)).await;
            rename(&self.blobs, &self.file, final_name).await?;
        }
        Ok(())
    }

    pub async fn discard(self) -> Result<(), String> {
        remove_entry(&self.blobs, &self.temp_name).await
    }
}

/// Bytes of `rel` under the models folder, or `None` when there is none.
pub async fn read_file(
    models: &FileSystemDirectoryHandle,
    rel: &str,
) -> Result<Option<Vec<u8>>, WebError> {
    let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let handle = match dir(models, parent, false).await {
        Ok(d) => resolve(d.get_file_handle(name)).await,
        Err(e) => Err(e),
    };
    match handle {
        Ok(h) => {
            let file: web_sys::File =
                resolve(h.unchecked_into::<FileSystemFileHandle>().get_file())
                    .await?
                    .unchecked_into();
            Ok(Some(
                super::dir_source::read_file_range(&file, 0, file.size() as usize).await?,
            ))
        }
        Err(WebError::NotFound(_)) => Ok(None),
        Err(WebError::Other(m)) if m.contains("TypeMismatch") => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether the browser lets this page make `rel` under `models`, asked
/// without creating anything: each name of the path goes to the deepest
/// folder of it that exists (a name is refused whatever folder asks).
/// Err([`WebError::NameNotAllowed`]) names the path and the refused name.
pub async fn check_path(models: &FileSystemDirectoryHandle, rel: &str) -> Result<(), WebError> {
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    let mut deepest = models.clone();
    let mut exists = true;
    for (i, part) in parts.iter().enumerate() {
        let asked = if i + 1 == parts.len() {
            resolve(deepest.get_file_handle(part)).await
        } else {
            resolve(deepest.get_directory_handle(part)).await
        };
        match asked {
            Ok(handle) if exists && i + 1 < parts.len() => deepest = handle.unchecked_into(),
            Ok(_) => {}
            Err(WebError::NameNotAllowed(_)) => {
                return Err(WebError::NameNotAllowed(format!("{rel}: '{part}'")))
            }
            Err(WebError::NotFound(_)) => exists = false,
            Err(WebError::Other(m)) if m.contains("TypeMismatch") => exists = false,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes a whole file (a manifest), creating its folders.
pub async fn write_file(
    models: &FileSystemDirectoryHandle,
    rel: &str,
    bytes: &[u8],
) -> Result<(), WebError> {
    let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let (_, stream) = writable(&dir(models, parent, true).await?, name).await?;
    resolve(
        stream
            .write_with_u8_array(bytes)
            .map_err(|e| WebError::from_js(&e))?,
    )
    .await?;
    resolve(stream.close()).await.map(|_| ())
}

/// Removes a blob a run wrote (gone already is fine); Err names it, with why.
pub async fn remove_blob(models: &FileSystemDirectoryHandle, name: &str) -> Result<(), String> {
    match dir(models, "blobs", false).await {
        Ok(blobs) => remove_entry(&blobs, name).await,
        Err(WebError::NotFound(_)) => Ok(()),
        Err(e) => Err(format!("blobs/{name} ({e})")),
    }
}

/// Removes `name` from `dir` (gone already is fine); Err names it, with why.
async fn remove_entry(dir: &FileSystemDirectoryHandle, name: &str) -> Result<(), String> {
    match resolve(dir.remove_entry(name)).await {
        Ok(_) | Err(WebError::NotFound(_)) => Ok(()),
        Err(e) => Err(format!("blobs/{name} ({e})")),
    }
}

/// The models folder's handle: the picked folder or its `models` child.
pub async fn models_dir(
    picked: &FileSystemDirectoryHandle,
    models_dir: &str,
) -> Result<FileSystemDirectoryHandle, WebError> {
    dir(picked, models_dir, false).await
}
