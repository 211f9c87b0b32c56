//! Test support: split a byte slice into pseudo-random chunks (1 byte up to
//! `max`), reproducibly from a seed, so every push parser is fed the way a
//! network or a file reader might feed it; and the manifests test stores
//! are made of (a config and weights layers, as Ollama writes them).

use crate::digest::Digest;

/// A manifest layer (or config) entry for `bytes`.
pub fn layer(media: &str, bytes: &[u8]) -> String {
    format!(
        r#"{{"mediaType":"{media}","digest":"{}","size":{}}}"#,
        Digest::of(bytes),
        bytes.len()
    )
}

/// A Docker v2 manifest: `config`, then each of `layers` as weights.
pub fn manifest(config: &[u8], layers: &[&[u8]]) -> Vec<u8> {
    let layers: Vec<String> = layers
        .iter()
        .map(|b| layer("application/vnd.ollama.image.model", b))
        .collect();
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{},"layers":[{}]}}"#,
        layer("application/vnd.docker.container.image.v1+json", config),
        layers.join(",")
    )
    .into_bytes()
}

/// Deterministic xorshift sequence of chunk sizes.
pub struct RandomChunks<'a> {
    data: &'a [u8],
    at: usize,
    state: u64,
    max: usize,
}

pub fn random_chunks(data: &[u8], seed: u64, max: usize) -> RandomChunks<'_> {
    RandomChunks {
        data,
        at: 0,
        state: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
        max: max.max(1),
    }
}

impl<'a> Iterator for RandomChunks<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.at >= self.data.len() {
            return None;
        }
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        // Favour tiny chunks half the time: they hit every boundary.
        let limit = if self.state & 1 == 0 { 16 } else { self.max };
        let n = (self.state >> 8) as usize % limit + 1;
        let end = (self.at + n).min(self.data.len());
        let chunk = &self.data[self.at..end];
        self.at = end;
        Some(chunk)
    }
}
