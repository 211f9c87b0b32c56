//! Body buffers that go round: a download thread fills one with a body's
//! next bytes, writes it to the partial file, and hands it on (with
//! `Event::Written`) to the blob's prefix hasher, which hashes it from
//! memory and gives it back here. In: buffers done with. Out: a buffer of
//! [`BUFFER`] bytes, reused when one is free (a fresh one costs a page
//! fault per 4 KiB the first time it is filled).

use std::sync::{Arc, Mutex};

/// Bytes per buffer: one file write, one event and one hash step.
pub const BUFFER: usize = 1 << 20;

/// Free buffers kept for reuse at most (the rest are freed).
const KEEP: usize = 64;

#[derive(Clone, Default)]
pub struct Buffers(Arc<Mutex<Vec<Vec<u8>>>>);

impl Buffers {
    /// A buffer of [`BUFFER`] bytes (contents unspecified).
    pub fn take(&self) -> Vec<u8> {
        let free = self.0.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut buf = free.unwrap_or_default();
        buf.resize(BUFFER, 0);
        buf
    }

    /// Gives `buf` back for reuse.
    pub fn give(&self, buf: Vec<u8>) {
        let mut free = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if free.len() < KEEP && buf.capacity() >= BUFFER {
            free.push(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_buffer_comes_back_full_size() {
        let pool = Buffers::default();
        let mut buf = pool.take();
        assert_eq!(buf.len(), BUFFER);
        buf.truncate(10);
        let at = buf.as_ptr();
        pool.give(buf);
        let again = pool.take();
        assert_eq!(again.len(), BUFFER, "a short chunk is sized up again");
        assert_eq!(again.as_ptr(), at, "the same allocation, reused");
        pool.give(vec![0; 16]);
        assert!(pool.0.lock().unwrap().is_empty(), "a small one is not kept");
    }
}
