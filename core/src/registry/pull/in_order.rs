//! Puts a blob's body chunks back in order for a hasher that sees each byte
//! once, so a pull verifies while it downloads. In: each chunk as it was
//! written to the partial file — offset, length and the caller's handle to
//! its bytes — from parallel ranged parts, in any order. Out: the chunks
//! that now continue the in-order prefix, to hash in that order, and
//! [`InOrder::resume_at`]: where hashing the finished file must go on from.
//!
//! Chunks ahead of the prefix are held up to a byte budget; beyond it they
//! are let go (those bytes are hashed from the file once it is complete).
//! Bytes already in the file before this pull (a resumed part) never come
//! as chunks, so the prefix stops there and the file supplies the rest. A
//! chunk that overlaps bytes already taken could mean a byte changed after
//! it was hashed: the stream is then broken and the whole file is hashed.

use std::collections::BTreeMap;

pub struct InOrder<T> {
    /// Bytes `0..next` were handed out in order.
    next: u64,
    /// Chunks ahead of `next`: offset → (length, chunk).
    held: BTreeMap<u64, (u64, T)>,
    held_bytes: u64,
    budget: u64,
    broken: bool,
}

impl<T> InOrder<T> {
    /// Holds at most `budget` bytes of chunks that arrive ahead of the prefix.
    pub fn new(budget: u64) -> Self {
        Self {
            next: 0,
            held: BTreeMap::new(),
            held_bytes: 0,
            budget,
            broken: false,
        }
    }

    /// Takes the chunk of `len` bytes written at `offset`; returns the
    /// chunks to hash now, in file order.
    pub fn push(&mut self, offset: u64, len: u64, chunk: T) -> Vec<T> {
        if self.broken || len == 0 {
            return Vec::new();
        }
        if self.overlaps(offset, offset.saturating_add(len)) {
            self.broken = true;
            self.held.clear();
            self.held_bytes = 0;
            return Vec::new();
        }
        if offset != self.next {
            if self.held_bytes + len <= self.budget {
                self.held.insert(offset, (len, chunk));
                self.held_bytes += len;
            }
            return Vec::new();
        }
        let mut ready = vec![chunk];
        self.next += len;
        while let Some((len, chunk)) = self.held.remove(&self.next) {
            self.held_bytes -= len;
            self.next += len;
            ready.push(chunk);
        }
        ready
    }

    fn overlaps(&self, start: u64, end: u64) -> bool {
        start < self.next
            || self
                .held
                .range(..end)
                .next_back()
                .is_some_and(|(s, (len, _))| s + len > start)
    }

    /// Where hashing the complete file goes on from: the end of the prefix
    /// handed out, or 0 once the stream broke.
    pub fn resume_at(&self) -> u64 {
        if self.broken {
            0
        } else {
            self.next
        }
    }

    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Bytes of chunks held ahead of the prefix.
    pub fn held_bytes(&self) -> u64 {
        self.held_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::{Digest, DigestVerifier};
    use crate::testing::random_chunks;

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    /// Chunks of `data` (offset, bytes) as parallel parts would write them:
    /// the data split into `parts` ranges, each cut into random chunks,
    /// the parts' chunks interleaved pseudo-randomly.
    fn interleaved(data: &[u8], parts: usize, seed: u64) -> Vec<(u64, Vec<u8>)> {
        let part = data.len().div_ceil(parts.max(1)).max(1);
        let mut queues: Vec<Vec<(u64, Vec<u8>)>> = data
            .chunks(part)
            .enumerate()
            .map(|(i, range)| {
                let mut at = (i * part) as u64;
                let mut chunks: Vec<_> = random_chunks(range, seed + i as u64, 4096)
                    .map(|c| {
                        let item = (at, c.to_vec());
                        at += c.len() as u64;
                        item
                    })
                    .collect();
                chunks.reverse();
                chunks
            })
            .collect();
        let mut state = seed | 1;
        let mut out = Vec::new();
        while queues.iter().any(|q| !q.is_empty()) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let live: Vec<usize> = (0..queues.len())
                .filter(|&i| !queues[i].is_empty())
                .collect();
            let pick = live[(state % live.len() as u64) as usize];
            out.extend(queues[pick].pop());
        }
        out
    }

    /// Hashes what `InOrder` hands out, then the file from `resume_at`.
    fn digest_through(data: &[u8], chunks: Vec<(u64, Vec<u8>)>, budget: u64) -> (Digest, u64) {
        let mut order = InOrder::new(budget);
        let mut hasher = DigestVerifier::new();
        for (offset, bytes) in chunks {
            for ready in order.push(offset, bytes.len() as u64, bytes) {
                hasher.update(&ready);
            }
            assert!(order.held_bytes() <= budget);
        }
        let from = order.resume_at();
        if from == 0 {
            hasher = DigestVerifier::new();
        }
        assert_eq!(
            hasher.bytes(),
            from,
            "the prefix handed out is 0..resume_at"
        );
        hasher.update(&data[from as usize..]);
        (hasher.finish(), from)
    }

    #[test]
    fn any_order_and_budget_gives_the_files_digest() {
        let data = data(300_000);
        let want = Digest::of(&data);
        for seed in 1..16u64 {
            for parts in [1, 2, 4, 16] {
                for budget in [0, 10_000, 100_000, 1 << 30] {
                    let chunks = interleaved(&data, parts, seed);
                    let (got, _) = digest_through(&data, chunks, budget);
                    assert_eq!(got, want, "seed {seed}, {parts} parts, budget {budget}");
                }
            }
        }
    }

    #[test]
    fn one_stream_is_hashed_whole_without_holding_anything() {
        let data = data(100_000);
        let chunks = interleaved(&data, 1, 9);
        let (got, from) = digest_through(&data, chunks, 0);
        assert_eq!((got, from), (Digest::of(&data), data.len() as u64));
    }

    #[test]
    fn a_big_enough_budget_hashes_parallel_parts_whole() {
        let data = data(100_000);
        let chunks = interleaved(&data, 4, 3);
        let (_, from) = digest_through(&data, chunks, data.len() as u64);
        assert_eq!(from, data.len() as u64);
    }

    #[test]
    fn bytes_from_an_earlier_pull_stop_the_prefix_there() {
        // Part 0's first 1000 bytes were in the file already: never pushed.
        let data = data(50_000);
        let chunks: Vec<_> = interleaved(&data, 2, 5)
            .into_iter()
            .filter_map(|(offset, bytes)| {
                let skip = 1000u64.saturating_sub(offset).min(bytes.len() as u64);
                (skip < bytes.len() as u64)
                    .then(|| (offset + skip, bytes[skip as usize..].to_vec()))
            })
            .collect();
        let (got, from) = digest_through(&data, chunks, 1 << 30);
        assert_eq!((got, from), (Digest::of(&data), 0));
    }

    #[test]
    fn an_overlapping_write_breaks_the_stream() {
        let mut order = InOrder::new(1 << 20);
        assert_eq!(order.push(0, 10, "a"), vec!["a"]);
        assert_eq!(order.push(20, 10, "c"), Vec::<&str>::new());
        // Over bytes already hashed.
        assert!(order.push(5, 10, "x").is_empty());
        assert!(order.is_broken());
        assert_eq!(order.resume_at(), 0);
        assert_eq!(order.held_bytes(), 0);
        assert!(order.push(10, 10, "b").is_empty(), "nothing after a break");

        let mut order = InOrder::new(1 << 20);
        order.push(20, 10, "c");
        order.push(25, 10, "x"); // over a held chunk
        assert!(order.is_broken());
    }

    #[test]
    fn chunks_over_the_budget_are_let_go_and_the_file_supplies_them() {
        let mut order = InOrder::new(15);
        assert!(order.push(10, 10, "b").is_empty());
        assert!(order.push(20, 10, "c").is_empty(), "over budget: let go");
        assert_eq!(order.held_bytes(), 10);
        assert_eq!(order.push(0, 10, "a"), vec!["a", "b"]);
        assert_eq!(order.resume_at(), 20);
        assert!(!order.is_broken());
    }
}
