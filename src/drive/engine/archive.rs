//! The engine's archive entry points. `archiveCheck`: in, the archive
//! `File` (or a direct download's files, [`ArchiveInput`]); out, one streaming pass that verifies it (memory flat: one
//! chunk at a time), reported as [`CheckEvent`]s: bytes read, then the
//! [`CheckedArchive`]. `archiveImport`: in, the checked archive's `File`,
//! the user's [`Choices`] as JSON and the models folder's handle (write
//! access asked for by the app, on the click); out, the import
//! ([`super::import`]) reported as [`ImportEvent`]s.

use super::{cancel_flag, forget, import, parse, tell};
use crate::core::archive::read::{
    ArchiveReader, ArchiveVerifier, CheckedArchive, Choices, ReadOptions,
};
use crate::drive::cancel::CancelFlag;
use crate::ui::state::{CheckEvent, ImportEvent};
use crate::web::archive_input::ArchiveInput;
use crate::web::file_chunks::CHUNK;
use crate::web::js::now_ms;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::FileSystemDirectoryHandle;

/// Progress reaches the page at most this often.
pub const PROGRESS_EVERY_MS: f64 = 200.0;

const CHECK: &str = "check";
const IMPORT: &str = "import";

/// Checks `input` (a `File`, or a folder's `File`s), run `id`.
#[wasm_bindgen(js_name = archiveCheck)]
pub fn archive_check(id: u32, input: JsValue, on_event: js_sys::Function) {
    let cancel = cancel_flag((CHECK, id));
    let input = ArchiveInput::from_js(input);
    spawn_local(async move {
        let event = match read_and_verify(&input, &cancel, &on_event).await {
            Ok(Some(checked)) => CheckEvent::Checked(checked),
            Ok(None) => CheckEvent::Cancelled,
            Err(e) => CheckEvent::Failed(e),
        };
        forget((CHECK, id));
        tell(&on_event, &event);
    });
}

/// The check's result, `None` when cancelled, or why the file could not
/// be read.
async fn read_and_verify(
    input: &ArchiveInput,
    cancel: &CancelFlag,
    on_event: &js_sys::Function,
) -> Result<Option<CheckedArchive>, String> {
    let mut reader = ArchiveReader::new(ReadOptions {
        input_size: Some(input.size()),
        ..ReadOptions::default()
    });
    let mut verifier = ArchiveVerifier::new();
    let mut chunks = input.chunks().map_err(|e| e.to_string())?;
    let mut chunk = Vec::with_capacity(CHUNK);
    let (mut read, mut told) = (0u64, f64::NEG_INFINITY);
    let finish = |verifier: ArchiveVerifier, error| {
        let (report, manifests) = verifier.finish(error);
        Ok(Some(CheckedArchive::new(&report, manifests)))
    };
    loop {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        chunks
            .next_into(&mut chunk)
            .await
            .map_err(|e| format!("the file could not be read: {e}"))?;
        if chunk.is_empty() {
            let error = reader.finish(&mut |e| verifier.event(&e)).err();
            return finish(verifier, error);
        }
        if let Err(e) = reader.feed(&chunk, &mut |ev| verifier.event(&ev)) {
            return finish(verifier, Some(e));
        }
        read += chunk.len() as u64;
        if now_ms() - told >= PROGRESS_EVERY_MS {
            told = now_ms();
            tell(on_event, &CheckEvent::Read(read));
        }
    }
}

/// Imports `input` (as for `archiveCheck`) into the models folder
/// `models`, run `id`.
#[wasm_bindgen(js_name = archiveImport)]
pub fn archive_import(
    id: u32,
    input: JsValue,
    choices: &str,
    models: FileSystemDirectoryHandle,
    on_event: js_sys::Function,
) -> Result<(), JsValue> {
    let choices: Choices = parse(choices)?;
    let cancel = cancel_flag((IMPORT, id));
    spawn_local(async move {
        let on_read = |bytes| tell(&on_event, &ImportEvent::Read(bytes));
        let input = ArchiveInput::from_js(input);
        let status = import::run(&input, models, choices, cancel, &on_read).await;
        forget((IMPORT, id));
        tell(&on_event, &ImportEvent::Ended(status));
    });
    Ok(())
}
