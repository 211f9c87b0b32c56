//! Reads a `File` from start to end in chunks with flat memory. In: a
//! `File`. Out: its bytes, chunk after chunk, copied into a buffer the
//! caller reuses. A BYOB reader on `File.stream()` recycles one
//! ArrayBuffer, where `slice().arrayBuffer()` would leave a dead 4 MiB
//! buffer per read for the garbage collector (measured: up to 330 MiB).

use super::js::{call, call_method, prop, resolve, WebError};
use js_sys::{ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::File;

/// Bytes handed over per chunk.
pub const CHUNK: usize = 4 << 20;

pub struct FileChunks {
    reader: JsValue,
    buffer: Option<ArrayBuffer>,
    done: bool,
}

impl FileChunks {
    pub fn open(file: &File) -> Result<Self, WebError> {
        let stream = call(file, "stream", &[])?;
        let options = Object::new();
        let _ = Reflect::set(&options, &"mode".into(), &"byob".into());
        let reader = call(&stream, "getReader", &[options.into()])?;
        Ok(Self {
            reader,
            buffer: Some(ArrayBuffer::new(CHUNK as u32)),
            done: false,
        })
    }

    /// Replaces `out` with the next chunk (at most [`CHUNK`] bytes); an
    /// empty `out` means the end of the file.
    pub async fn next_into(&mut self, out: &mut Vec<u8>) -> Result<(), WebError> {
        out.clear();
        while !self.done && out.len() < CHUNK {
            let buffer = self
                .buffer
                .take()
                .unwrap_or_else(|| ArrayBuffer::new(CHUNK as u32));
            let want = (CHUNK - out.len()).min(buffer.byte_length() as usize) as u32;
            let view = Uint8Array::new_with_byte_offset_and_length(&buffer, 0, want);
            let result = resolve(call_method(&self.reader, "read", &[view.into()])?).await?;
            let done = prop(&result, "done")
                .and_then(|d| d.as_bool())
                .unwrap_or(true);
            if let Some(value) =
                prop(&result, "value").and_then(|v| v.dyn_into::<Uint8Array>().ok())
            {
                let start = out.len();
                out.resize(start + value.length() as usize, 0);
                value.copy_to(&mut out[start..]);
                self.buffer = Some(value.buffer());
            }
            self.done = done;
        }
        Ok(())
    }
}
