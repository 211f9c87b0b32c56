//! The Origin Private File System. In: a folder name and files (relative
//! path, bytes). Out: the folder written afresh, as a directory handle the
//! rest of the app can open like a picked folder.

use super::js::{resolve, window, WebError};
use wasm_bindgen::JsCast;
use web_sys::{
    FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemGetDirectoryOptions,
    FileSystemGetFileOptions, FileSystemHandle, FileSystemRemoveOptions,
    FileSystemWritableFileStream,
};

/// The OPFS root directory.
pub async fn root() -> Result<FileSystemDirectoryHandle, WebError> {
    let storage = window()?.navigator().storage();
    Ok(resolve(storage.get_directory())
        .await
        .map_err(|e| match e {
            WebError::Other(m) => WebError::Unsupported(format!(
                "this browser has no Origin Private File System ({m})"
            )),
            other => other,
        })?
        .unchecked_into())
}

/// Whether `handle` (a file or a folder) is inside the OPFS (not in a
/// folder picked on disk).
pub async fn contains(handle: &FileSystemHandle) -> bool {
    let Ok(root) = root().await else {
        return false;
    };
    resolve(root.resolve(handle))
        .await
        .is_ok_and(|path| !path.is_null() && !path.is_undefined())
}

async fn subdir(
    parent: &FileSystemDirectoryHandle,
    name: &str,
) -> Result<FileSystemDirectoryHandle, WebError> {
    let options = FileSystemGetDirectoryOptions::new();
    options.set_create(true);
    Ok(
        resolve(parent.get_directory_handle_with_options(name, &options))
            .await?
            .unchecked_into(),
    )
}

/// Removes `name` (recursively) from `parent` if it exists.
pub async fn remove(parent: &FileSystemDirectoryHandle, name: &str) -> Result<(), WebError> {
    let options = FileSystemRemoveOptions::new();
    options.set_recursive(true);
    match resolve(parent.remove_entry_with_options(name, &options)).await {
        Ok(_) | Err(WebError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Writes one file (creating its folders) with the given bytes.
pub async fn write_file(
    root: &FileSystemDirectoryHandle,
    path: &str,
    bytes: &[u8],
) -> Result<(), WebError> {
    let (dirs, name) = path.rsplit_once('/').unwrap_or(("", path));
    let mut dir = root.clone();
    for part in dirs.split('/').filter(|p| !p.is_empty()) {
        dir = subdir(&dir, part).await?;
    }
    let options = FileSystemGetFileOptions::new();
    options.set_create(true);
    let file: FileSystemFileHandle = resolve(dir.get_file_handle_with_options(name, &options))
        .await?
        .unchecked_into();
    let writable: FileSystemWritableFileStream =
        resolve(file.create_writable()).await?.unchecked_into();
    resolve(
        writable
            .write_with_u8_array(bytes)
            .map_err(|e| WebError::from_js(&e))?,
    )
    .await?;
    resolve(writable.close()).await?;
    Ok(())
}

/// Replaces the OPFS folder `name` with the given files and returns it.
pub async fn write_tree(
    name: &str,
    files: &[(String, Vec<u8>)],
) -> Result<FileSystemDirectoryHandle, WebError> {
    let opfs = root().await?;
    remove(&opfs, name).await?;
    let dir = subdir(&opfs, name).await?;
    for (path, bytes) in files {
        write_file(&dir, path, bytes).await?;
    }
    Ok(dir)
}
