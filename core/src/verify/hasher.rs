//! Streaming check of one blob. In: the expected digest and size, then the
//! blob's bytes in chunks of any size. Out: the bytes seen so far (for
//! progress) and, at the end, an [`Outcome`]. Never holds the data.

use super::outcome::Outcome;
use crate::digest::{Digest, DigestVerifier, Verdict};

#[derive(Clone)]
pub struct BlobHasher {
    verifier: DigestVerifier,
    expected: Digest,
    expected_size: u64,
}

impl BlobHasher {
    pub fn new(expected: Digest, expected_size: u64) -> Self {
        Self {
            verifier: DigestVerifier::new(),
            expected,
            expected_size,
        }
    }

    pub fn update(&mut self, chunk: &[u8]) {
        self.verifier.update(chunk);
    }

    /// Bytes fed so far.
    pub fn bytes(&self) -> u64 {
        self.verifier.bytes()
    }

    /// Size first, then digest (see [`DigestVerifier::check`]).
    pub fn finish(self) -> Outcome {
        let expected_size = self.expected_size;
        match self.verifier.check(&self.expected, expected_size) {
            Verdict::Ok => Outcome::Ok,
            Verdict::WrongSize { actual } => Outcome::WrongSize {
                expected: expected_size,
                actual,
            },
            Verdict::Mismatch { actual } => Outcome::Mismatch {
                expected: self.expected,
                actual,
            },
        }
    }
}
