//! Writing through a file's writable stream while the page prepares the
//! next bytes. In: the writable and bytes, again and again. Out: each
//! write started at once from a copy in one of two buffers that take
//! turns, the call returning when the write before it is done: the page
//! reads and hashes the next chunk while the browser writes this one (a
//! pack spent its time reading, hashing and writing one after another). A
//! buffer is filled again only once its write is done; at most two writes
//! are under way.

use super::js::{ignore_rejection, resolve, WebError};
use js_sys::{Promise, Uint8Array};
use web_sys::FileSystemWritableFileStream;

#[derive(Default)]
pub struct WritePipe {
    buffers: [Option<Uint8Array>; 2],
    turn: usize,
    pending: Option<Promise>,
}

impl WritePipe {
    /// Starts writing a copy of `bytes`; returns once the write before it
    /// is done (or with its error).
    pub async fn write(
        &mut self,
        writable: &FileSystemWritableFileStream,
        bytes: &[u8],
    ) -> Result<(), WebError> {
        let view = self.buffer(bytes.len()).subarray(0, bytes.len() as u32);
        view.copy_from(bytes);
        let promise = writable
            .write_with_buffer_source(&view)
            .map_err(|e| WebError::from_js(&e))?;
        self.turn ^= 1;
        match self.pending.replace(promise) {
            Some(before) => resolve(before).await.map(drop),
            None => Ok(()),
        }
    }

    /// Waits for the last write.
    pub async fn settle(&mut self) -> Result<(), WebError> {
        match self.pending.take() {
            Some(last) => resolve(last).await.map(drop),
            None => Ok(()),
        }
    }

    /// The last write will not be waited for (the file is being thrown
    /// away): its failure is not an error of the page's.
    pub fn forget(&mut self) {
        if let Some(last) = self.pending.take() {
            ignore_rejection(&last);
        }
    }

    /// This turn's buffer, at least `len` bytes long.
    fn buffer(&mut self, len: usize) -> Uint8Array {
        let slot = &mut self.buffers[self.turn];
        match slot {
            Some(buffer) if buffer.length() as usize >= len => buffer.clone(),
            _ => {
                let buffer = Uint8Array::new_with_length(len as u32);
                *slot = Some(buffer.clone());
                buffer
            }
        }
    }
}
