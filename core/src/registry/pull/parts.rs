//! How one blob is downloaded in ranged parts. In: the blob's size, the
//! part sizing of [`PullOptions`], and perhaps the part records a previous
//! run left (Ollama's `sha256-<hex>-partial-N` JSON, so either tool can
//! finish the other's download). Out: the parts, which bytes of each are
//! done, the next byte range to ask for, and progress.

use super::PullOptions;
use serde::{Deserialize, Serialize};

/// One part of a blob download, as Ollama records it in
/// `blobs/sha256-<hex>-partial-<N>`: bytes `Offset..Offset+Completed` of
/// the partial file are written, `Offset+Completed..Offset+Size` are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRecord {
    #[serde(rename = "N")]
    pub n: usize,
    #[serde(rename = "Offset")]
    pub offset: u64,
    #[serde(rename = "Size")]
    pub size: u64,
    #[serde(rename = "Completed")]
    pub completed: u64,
}

impl PartRecord {
    pub fn end(&self) -> u64 {
        self.offset + self.size
    }

    /// The first byte not yet written.
    pub fn frontier(&self) -> u64 {
        self.offset + self.completed
    }

    pub fn is_complete(&self) -> bool {
        self.completed >= self.size
    }

    /// The record file's bytes, as Go's json.Encoder writes them.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec(self).unwrap_or_default();
        v.push(b'\n');
        v
    }
}

/// `sha256-<hex>-partial`: where a blob is written until it is verified.
pub fn partial_file_name(digest: &crate::digest::Digest) -> String {
    format!("{}-partial", digest.blob_file_name())
}

/// `sha256-<hex>-partial-<N>`: Ollama's record of part `n` of that download.
pub fn record_file_name(digest: &crate::digest::Digest, n: usize) -> String {
    format!("{}-partial-{n}", digest.blob_file_name())
}

impl PullOptions {
    /// Ollama's sizing: the blob in `part_count` parts, each between
    /// `min_part_size` and `max_part_size`.
    pub fn part_size_for(&self, size: u64) -> u64 {
        let min = self.min_part_size.max(1);
        let max = self.max_part_size.max(min);
        (size / self.part_count.max(1)).clamp(min, max)
    }

    /// Fresh parts covering `0..size`; the last one is clamped to the end.
    pub fn plan_parts(&self, size: u64) -> Vec<PartRecord> {
        let step = self.part_size_for(size);
        let mut parts = Vec::new();
        let mut offset = 0;
        while offset < size {
            let len = step.min(size - offset);
            parts.push(PartRecord {
                n: parts.len(),
                offset,
                size: len,
                completed: 0,
            });
            offset += len;
        }
        parts
    }
}

/// The records of an earlier run, if they describe `0..size` exactly
/// (sorted, numbered, contiguous, nothing completed past its part).
pub fn resume_parts(mut records: Vec<PartRecord>, size: u64) -> Option<Vec<PartRecord>> {
    records.sort_by_key(|r| r.n);
    let mut offset = 0;
    for (i, r) in records.iter().enumerate() {
        if r.n != i || r.offset != offset || r.size == 0 || r.completed > r.size {
            return None;
        }
        offset = r.end();
    }
    (offset == size && !records.is_empty()).then_some(records)
}

/// Marks `start..end` as written: every part whose frontier lies inside
/// advances. Returns the indexes of the parts that changed.
pub fn cover(parts: &mut [PartRecord], start: u64, end: u64) -> Vec<usize> {
    let mut changed = Vec::new();
    for (i, p) in parts.iter_mut().enumerate() {
        let frontier = p.frontier();
        if !p.is_complete() && start <= frontier && end > frontier {
            p.completed = end.min(p.end()) - p.offset;
            changed.push(i);
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1_000_000;

    #[test]
    fn ollama_sizing() {
        let o = PullOptions::default();
        assert_eq!(o.part_size_for(5 * MB), 100 * MB);
        assert_eq!(o.part_size_for(4_000 * MB), 250 * MB);
        assert_eq!(o.part_size_for(40_000 * MB), 1_000 * MB);
        let parts = o.plan_parts(250 * MB + 7);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2].offset, 200 * MB);
        assert_eq!(parts[2].size, 50 * MB + 7);
        assert!(o.plan_parts(0).is_empty());
    }

    #[test]
    fn small_fixed_parts_never_pass_the_end() {
        let o = PullOptions {
            min_part_size: 10,
            max_part_size: 10,
            ..PullOptions::default()
        };
        let parts = o.plan_parts(95);
        assert_eq!(parts.len(), 10);
        assert_eq!(parts.last().unwrap().end(), 95);
        assert!(parts.iter().all(|p| p.size <= 10 && p.size > 0));
    }

    #[test]
    fn records_round_trip_in_ollamas_format() {
        let r = PartRecord {
            n: 2,
            offset: 200,
            size: 100,
            completed: 40,
        };
        let json = r.to_json();
        assert_eq!(
            String::from_utf8(json.clone()).unwrap(),
            "{\"N\":2,\"Offset\":200,\"Size\":100,\"Completed\":40}\n"
        );
        let back: PartRecord = serde_json::from_slice(&json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn resume_accepts_only_a_clean_cover() {
        let o = PullOptions {
            min_part_size: 10,
            max_part_size: 10,
            ..PullOptions::default()
        };
        let mut parts = o.plan_parts(25);
        parts[1].completed = 4;
        let mut shuffled = parts.clone();
        shuffled.reverse();
        assert_eq!(resume_parts(shuffled, 25), Some(parts.clone()));
        assert_eq!(resume_parts(parts.clone(), 26), None);
        let mut gap = parts.clone();
        gap.remove(1);
        assert_eq!(resume_parts(gap, 25), None);
        let mut over = parts.clone();
        over[0].completed = 11;
        assert_eq!(resume_parts(over, 25), None);
        assert_eq!(resume_parts(Vec::new(), 0), None);
    }

    #[test]
    fn cover_advances_frontiers_only() {
        let o = PullOptions {
            min_part_size: 10,
            max_part_size: 10,
            ..PullOptions::default()
        };
        let mut parts = o.plan_parts(30);
        assert_eq!(cover(&mut parts, 0, 4), vec![0]);
        // A range that starts past a frontier leaves that part alone.
        assert_eq!(cover(&mut parts, 6, 10), Vec::<usize>::new());
        // A whole-blob body covers every part.
        assert_eq!(cover(&mut parts, 0, 25), vec![0, 1, 2]);
        assert_eq!(
            parts.iter().map(|p| p.completed).collect::<Vec<_>>(),
            [10, 10, 5]
        );
    }
}
