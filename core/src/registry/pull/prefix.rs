//! Hashing a blob in order while its parts arrive, so a pull verifies while
//! it downloads; the same for the browser's pull worker and the CLI's
//! hasher threads. In: what a driver sees of a blob's partial file — the
//! bytes already there (a resumed part: [`PrefixHash::mark`]), each body
//! about to be written ([`PrefixHash::expect`]) and each chunk once
//! written, with the caller's handle to its bytes ([`PrefixHash::written`]),
//! from parallel ranged parts in any order. Out: the next [`Step`] for the
//! hasher — a held chunk to hash from memory, a range to read back from
//! the file, or wait — and, for a hasher that never reads back,
//! [`PrefixHash::resume_at`]: where hashing the finished file goes on from.
//!
//! Chunks that land within `window` bytes ahead of what is hashed are held
//! (memory bounded by the window); the others are handed back at once, and
//! their bytes are read from the file when the hasher gets there. A body
//! or chunk over bytes already written or hashed could mean a byte changed
//! after it was hashed: the prefix is then broken, and the whole file must
//! be hashed once complete.

use std::collections::BTreeMap;

/// What the hasher does next.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<T> {
    /// Hash this chunk (it starts where hashing is), then `hashed_to` its end.
    Held(T),
    /// Read `from..to` of the file and hash it, then `hashed_to(to)`.
    Read { from: u64, to: u64 },
    /// Nothing to do until more is written (or the prefix is broken).
    Wait,
}

pub struct PrefixHash<T> {
    /// Ranges of the file that hold their bytes, start → end, disjoint and
    /// merged.
    written: BTreeMap<u64, u64>,
    /// Bytes `0..hashed` were hashed, in order.
    hashed: u64,
    /// Written chunks not hashed yet, by offset: (length, chunk).
    held: BTreeMap<u64, (u64, T)>,
    window: u64,
    broken: bool,
}

impl<T> PrefixHash<T> {
    /// Holds chunks that end at most `window` bytes beyond what is hashed.
    pub fn new(window: u64) -> Self {
        Self {
            written: BTreeMap::new(),
            hashed: 0,
            held: BTreeMap::new(),
            window,
            broken: false,
        }
    }

    /// `start..end` of the file holds its bytes, though no chunk brings
    /// them: a resumed part, or a part record saved of chunks written.
    pub fn mark(&mut self, mut start: u64, mut end: u64) {
        if start >= end {
            return;
        }
        let touching: Vec<(u64, u64)> = self
            .written
            .range(..=end)
            .filter(|(_, e)| **e >= start)
            .map(|(s, e)| (*s, *e))
            .collect();
        for (s, e) in touching {
            self.written.remove(&s);
            start = start.min(s);
            end = end.max(e);
        }
        self.written.insert(start, end);
    }

    /// A body will write `len` bytes at `offset`: `false` (and the prefix
    /// broken) when that could change bytes already written or hashed.
    pub fn expect(&mut self, offset: u64, len: u64) -> bool {
        if self.overlaps(offset, offset.saturating_add(len)) {
            self.break_off();
        }
        !self.broken
    }

    /// `len` bytes were written at `offset`: the chunk is kept for the
    /// hasher when it starts where hashing is or ends within the window
    /// ahead of it, else handed back (the caller may reuse or drop it).
    pub fn written(&mut self, offset: u64, len: u64, chunk: T) -> Option<T> {
        let end = offset.saturating_add(len);
        if self.broken || len == 0 {
            return Some(chunk);
        }
        if self.overlaps(offset, end) {
            self.break_off();
            return Some(chunk);
        }
        self.mark(offset, end);
        if offset == self.hashed || end <= self.hashed.saturating_add(self.window) {
            self.held.insert(offset, (len, chunk));
            return None;
        }
        Some(chunk)
    }

    /// The next step for the hasher, hashing up to `limit` at most (the
    /// frontier while the pull runs, the size once it is complete; a
    /// hasher that never reads back passes what it has hashed), reading
    /// back at most `max_read` bytes at once.
    pub fn next(&mut self, limit: u64, max_read: u64) -> Step<T> {
        if self.broken {
            return Step::Wait;
        }
        let from = self.hashed;
        if let Some((_, chunk)) = self.held.remove(&from) {
            return Step::Held(chunk);
        }
        let next_held = self.held.range(from..).next().map_or(u64::MAX, |(s, _)| *s);
        let to = limit.min(from.saturating_add(max_read)).min(next_held);
        if to > from {
            Step::Read { from, to }
        } else {
            Step::Wait
        }
    }

    /// `0..to` is hashed: held chunks that start before `to` are done with
    /// and handed back.
    pub fn hashed_to(&mut self, to: u64) -> Vec<T> {
        self.hashed = to;
        let later = self.held.split_off(&to);
        std::mem::replace(&mut self.held, later)
            .into_values()
            .map(|(_, chunk)| chunk)
            .collect()
    }

    /// The end of the written range that starts at 0.
    pub fn frontier(&self) -> u64 {
        self.written.get(&0).copied().unwrap_or(0)
    }

    pub fn hashed(&self) -> u64 {
        self.hashed
    }

    /// Where hashing the complete file goes on from: what was hashed, or 0
    /// once the prefix broke.
    pub fn resume_at(&self) -> u64 {
        if self.broken {
            0
        } else {
            self.hashed
        }
    }

    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Bytes of chunks held.
    pub fn held_bytes(&self) -> u64 {
        self.held.values().map(|(len, _)| len).sum()
    }

    fn overlaps(&self, start: u64, end: u64) -> bool {
        start < self.hashed
            || self
                .written
                .range(..end)
                .next_back()
                .is_some_and(|(_, e)| *e > start)
    }

    fn break_off(&mut self) {
        self.broken = true;
        self.held.clear();
    }
}

#[cfg(test)]
#[path = "prefix_tests.rs"]
mod tests;
