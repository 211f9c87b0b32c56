use super::*;
use crate::digest::{Digest, DigestVerifier};
use crate::testing::random_chunks;

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Chunks of `data` (offset, bytes) as parallel parts write them: the data
/// split into `parts` ranges, each cut into random chunks, the parts'
/// chunks interleaved pseudo-randomly.
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

/// A hasher that never reads back (the browser's): hashes what is held as
/// it comes, then the file from `resume_at`.
fn streamed(data: &[u8], chunks: Vec<(u64, Vec<u8>)>, window: u64) -> (Digest, u64) {
    let mut prefix = PrefixHash::new(window);
    let mut hasher = DigestVerifier::new();
    for (offset, bytes) in chunks {
        let len = bytes.len() as u64;
        prefix.expect(offset, len);
        prefix.written(offset, len, bytes);
        while let Step::Held(chunk) = prefix.next(prefix.hashed(), 1 << 20) {
            hasher.update(&chunk);
            prefix.hashed_to(hasher.bytes());
        }
        assert!(
            prefix.held_bytes() <= window.max(1 << 16),
            "memory stays within the window"
        );
    }
    let from = prefix.resume_at();
    if from == 0 {
        hasher = DigestVerifier::new();
    }
    assert_eq!(hasher.bytes(), from, "the prefix hashed is 0..resume_at");
    hasher.update(&data[from as usize..]);
    (hasher.finish(), from)
}

/// A hasher that reads back what is not held (the CLI's), up to the frontier.
fn read_back(data: &[u8], chunks: Vec<(u64, Vec<u8>)>, window: u64) -> (Digest, u64) {
    let mut prefix = PrefixHash::new(window);
    let mut hasher = DigestVerifier::new();
    let mut from_file = 0;
    let mut drain = |prefix: &mut PrefixHash<Vec<u8>>, hasher: &mut DigestVerifier, limit: u64| loop {
        match prefix.next(limit, 4096) {
            Step::Held(chunk) => hasher.update(&chunk),
            Step::Read { from, to } => {
                hasher.update(&data[from as usize..to as usize]);
                from_file += to - from;
            }
            Step::Wait => break,
        }
        prefix.hashed_to(hasher.bytes());
    };
    for (offset, bytes) in chunks {
        let len = bytes.len() as u64;
        assert!(prefix.expect(offset, len));
        prefix.written(offset, len, bytes);
        let frontier = prefix.frontier();
        drain(&mut prefix, &mut hasher, frontier);
    }
    drain(&mut prefix, &mut hasher, data.len() as u64);
    (hasher.finish(), from_file)
}

#[test]
fn any_order_and_window_gives_the_files_digest() {
    let data = data(300_000);
    let want = Digest::of(&data);
    for seed in 1..16u64 {
        for parts in [1, 2, 4, 16] {
            for window in [0, 10_000, 100_000, 1 << 30] {
                let (got, _) = streamed(&data, interleaved(&data, parts, seed), window);
                assert_eq!(
                    got, want,
                    "streamed: seed {seed}, {parts} parts, window {window}"
                );
                let (got, _) = read_back(&data, interleaved(&data, parts, seed), window);
                assert_eq!(
                    got, want,
                    "read back: seed {seed}, {parts} parts, window {window}"
                );
            }
        }
    }
}

#[test]
fn one_stream_is_hashed_whole_from_memory_with_no_window() {
    let data = data(100_000);
    let (got, from) = streamed(&data, interleaved(&data, 1, 9), 0);
    assert_eq!((got, from), (Digest::of(&data), data.len() as u64));
    let (_, from_file) = read_back(&data, interleaved(&data, 1, 9), 0);
    assert_eq!(from_file, 0, "nothing read back");
}

#[test]
fn a_big_enough_window_hashes_parallel_parts_from_memory() {
    let data = data(100_000);
    let (_, from) = streamed(&data, interleaved(&data, 4, 3), data.len() as u64);
    assert_eq!(from, data.len() as u64);
    let (_, from_file) = read_back(&data, interleaved(&data, 4, 3), data.len() as u64);
    assert_eq!(from_file, 0);
}

#[test]
fn a_small_window_reads_the_rest_back() {
    let data = data(100_000);
    let (got, from_file) = read_back(&data, interleaved(&data, 4, 3), 1000);
    assert_eq!(got, Digest::of(&data));
    assert!(from_file > 0, "parts far ahead were read back");
}

#[test]
fn bytes_from_an_earlier_pull_are_read_back_or_stop_a_streamed_prefix() {
    // The first 1000 bytes were in the file already: never a chunk.
    let data = data(50_000);
    let later = || {
        interleaved(&data, 2, 5)
            .into_iter()
            .filter_map(|(offset, bytes)| {
                let skip = 1000u64.saturating_sub(offset).min(bytes.len() as u64);
                (skip < bytes.len() as u64)
                    .then(|| (offset + skip, bytes[skip as usize..].to_vec()))
            })
            .collect::<Vec<_>>()
    };
    let (got, from) = streamed(&data, later(), 1 << 30);
    assert_eq!((got, from), (Digest::of(&data), 0));
    let mut prefix = PrefixHash::new(1 << 30);
    prefix.mark(0, 1000);
    assert_eq!(prefix.frontier(), 1000);
    assert_eq!(
        prefix.next(1000, 4096),
        Step::<Vec<u8>>::Read { from: 0, to: 1000 }
    );
}

#[test]
fn a_write_over_written_or_hashed_bytes_breaks_the_prefix() {
    let mut p = PrefixHash::new(1 << 20);
    assert!(p.written(0, 10, "a").is_none());
    assert_eq!(p.next(0, 10), Step::Held("a"));
    p.hashed_to(10);
    assert!(p.written(20, 10, "c").is_none());
    assert_eq!(
        p.written(5, 10, "x"),
        Some("x"),
        "over bytes already hashed"
    );
    assert!(p.is_broken());
    assert_eq!((p.resume_at(), p.held_bytes()), (0, 0));
    assert_eq!(p.written(10, 10, "b"), Some("b"), "nothing after a break");
    assert_eq!(p.next(100, 10), Step::Wait);

    let mut p = PrefixHash::new(1 << 20);
    p.written(20, 10, "c");
    assert!(!p.expect(25, 10), "a body over a held chunk");
    assert!(p.is_broken());

    let mut p = PrefixHash::<&str>::new(1 << 20);
    p.mark(0, 100);
    assert!(
        !p.expect(50, 100),
        "a body over a resumed part (the registry ignored Range)"
    );
}

#[test]
fn only_chunks_within_the_window_ahead_are_held() {
    let mut p = PrefixHash::new(100);
    assert!(p.written(0, 60, vec![1; 60]).is_none());
    assert!(
        p.written(80, 30, vec![2; 30]).is_some(),
        "ends beyond 0 + 100"
    );
    assert!(p.written(70, 10, vec![3; 10]).is_none(), "ends within");
    assert_eq!(
        p.written(60, 0, Vec::new()),
        Some(Vec::new()),
        "nothing to hold"
    );
    assert_eq!(p.next(200, 4096), Step::Held(vec![1; 60]));
    assert!(p.hashed_to(60).is_empty());
    assert_eq!(
        p.next(200, 4096),
        Step::Read { from: 60, to: 70 },
        "read up to the next held chunk"
    );
    assert_eq!(p.hashed_to(75), vec![vec![3; 10]], "read past: handed back");
    assert_eq!(p.next(90, 4096), Step::Read { from: 75, to: 90 });
}

#[test]
fn ranges_merge_and_the_frontier_follows_the_start() {
    let mut p = PrefixHash::<()>::new(0);
    p.mark(10, 20);
    assert_eq!(p.frontier(), 0);
    p.mark(0, 5);
    p.mark(30, 40);
    assert_eq!(p.frontier(), 5);
    p.mark(5, 10);
    assert_eq!(p.frontier(), 20);
    p.mark(15, 35);
    assert_eq!(p.frontier(), 40);
    assert_eq!(p.written.len(), 1);
}

#[test]
fn the_gap_between_written_ranges_is_free() {
    let mut p = PrefixHash::<()>::new(0);
    p.mark(0, 100);
    p.mark(200, 300);
    p.hashed_to(50);
    assert!(!p.overlaps(100, 200));
    assert!(p.overlaps(99, 150));
    assert!(p.overlaps(250, 260));
    assert!(p.overlaps(150, 201));
    assert!(!p.overlaps(300, 400));
    assert!(p.overlaps(0, 10), "hashed bytes");
}
