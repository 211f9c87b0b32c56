//! Shared by the fuzz targets: turns one fuzz input into the chunks a
//! driver pushes, so libFuzzer chooses the chunk boundaries as well as the
//! bytes (the core's push parsers must give the same answers whatever the
//! chunking, and must never panic).
//!
//! Input layout: `[plan: PLAN_LEN bytes][body: the bytes to push]`. The plan
//! bytes give the chunk sizes, used in turn and cyclically:
//!
//! | plan byte  | next chunk                                  |
//! |------------|---------------------------------------------|
//! | 0          | everything left, in one chunk               |
//! | 1..=127    | that many bytes                             |
//! | 128        | an empty chunk (a driver may push nothing)  |
//! | 129..=255  | (byte - 128) × 512 bytes (512..=65024)      |
//!
//! An input shorter than the plan is all plan and has an empty body.
//! `scripts/fuzz` seeds the corpora with fixture files behind [`SEED_PLAN`].

pub mod archive;

/// Bytes of chunk plan at the head of every chunked fuzz input.
pub const PLAN_LEN: usize = 4;

/// The plan `scripts/fuzz` puts in front of seed files: 5 bytes, 512 bytes,
/// an empty chunk, 63 bytes, then again.
pub const SEED_PLAN: [u8; PLAN_LEN] = [5, 129, 128, 63];

/// Splits a fuzz input into its chunk plan and its body.
pub fn split(data: &[u8]) -> (&[u8], &[u8]) {
    data.split_at(data.len().min(PLAN_LEN))
}

/// The body's chunks, as the plan says. Ends when the body is used up.
pub fn chunks<'a>(plan: &'a [u8], body: &'a [u8]) -> Chunks<'a> {
    Chunks {
        plan,
        body,
        next: 0,
        empties: 0,
    }
}

pub struct Chunks<'a> {
    plan: &'a [u8],
    body: &'a [u8],
    next: usize,
    /// Empty chunks in a row: a plan of only 128s must still end.
    empties: usize,
}

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.body.is_empty() {
            return None;
        }
        let size = match self.plan.get(self.next % self.plan.len().max(1)) {
            None | Some(0) => self.body.len(),
            Some(&b @ 1..=127) => usize::from(b),
            Some(128) => 0,
            Some(&b) => usize::from(b - 128) * 512,
        };
        self.next = self.next.wrapping_add(1);
        let size = if size == 0 && self.empties >= PLAN_LEN {
            self.body.len()
        } else {
            size
        };
        self.empties = if size == 0 { self.empties + 1 } else { 0 };
        let (chunk, rest) = self.body.split_at(size.min(self.body.len()));
        self.body = rest;
        Some(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_cover_the_body_exactly() {
        let body: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
        for plan in [
            &[][..],
            &[0],
            &[128],
            &[128, 128, 128, 128],
            &[1],
            &[5, 129, 128, 63],
        ] {
            let joined: Vec<u8> = chunks(plan, &body).flatten().copied().collect();
            assert_eq!(joined, body, "plan {plan:?}");
        }
        let sizes: Vec<usize> = chunks(&[5, 129, 128, 63], &body).map(<[u8]>::len).collect();
        assert_eq!(&sizes[..5], &[5, 512, 0, 63, 5]);
    }
}
