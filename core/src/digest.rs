//! Content digests. In: `sha256:<hex>` (registry/manifest form) or
//! `sha256-<hex>` (blob file name form), or bytes to hash. Out: a validated
//! [`Digest`], its two spellings, and a streaming [`DigestVerifier`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};
use std::fmt;

/// A SHA-256 digest, stored as 64 lowercase hex characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    hex: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("\"{0}\" is not a sha256 digest (expected sha256:<64 hex> or sha256-<64 hex>)")]
    Malformed(String),
}

impl Digest {
    /// Parses `sha256:<hex>` or `sha256-<hex>` (hex in either case), as
    /// Ollama accepts (`^sha256[:-][0-9a-fA-F]{64}$`).
    pub fn parse(text: &str) -> Result<Self, DigestError> {
        let malformed = || DigestError::Malformed(text.chars().take(100).collect());
        let hex = text
            .strip_prefix("sha256:")
            .or_else(|| text.strip_prefix("sha256-"))
            .ok_or_else(malformed)?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed());
        }
        Ok(Self {
            hex: hex.to_ascii_lowercase(),
        })
    }

    /// Parses a blob file name (`sha256-<hex>` only, nothing after it).
    pub fn from_blob_file_name(name: &str) -> Option<Self> {
        name.starts_with("sha256-")
            .then(|| Self::parse(name).ok())
            .flatten()
    }

    /// The digest of `bytes`, computed in one go.
    pub fn of(bytes: &[u8]) -> Self {
        Self::from_raw(&Sha256::digest(bytes))
    }

    fn from_raw(raw: &[u8]) -> Self {
        Self { hex: hex_of(raw) }
    }

    /// The 64 hex characters.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The first 12 hex characters: the ID `ollama list` prints.
    pub fn short_id(&self) -> &str {
        &self.hex[..12]
    }

    /// The file name under `models/blobs/`: `sha256-<hex>`.
    pub fn blob_file_name(&self) -> String {
        format!("sha256-{}", self.hex)
    }
}

/// Lowercase hex of any bytes.
pub fn hex_of(raw: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(raw.len() * 2);
    for byte in raw {
        out.push(HEX[usize::from(byte >> 4)] as char);
        out.push(HEX[usize::from(byte & 15)] as char);
    }
    out
}

impl fmt::Display for Digest {
    /// The registry form, `sha256:<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl std::str::FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Hashes bytes as they stream past and counts them; never holds the data.
#[derive(Clone, Default)]
pub struct DigestVerifier {
    hasher: Sha256,
    bytes: u64,
}

/// What a finished stream turned out to be, against what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    Mismatch { actual: Digest },
    WrongSize { actual: u64 },
}

impl DigestVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        self.bytes += chunk.len() as u64;
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn finish(self) -> Digest {
        Digest::from_raw(&self.hasher.finalize())
    }

    /// Compares against what a manifest promised: size first (cheap and the
    /// most telling), then the digest.
    pub fn check(self, expected: &Digest, expected_size: u64) -> Verdict {
        let bytes = self.bytes;
        if bytes != expected_size {
            return Verdict::WrongSize { actual: bytes };
        }
        let actual = self.finish();
        if &actual == expected {
            Verdict::Ok
        } else {
            Verdict::Mismatch { actual }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_both_spellings_and_any_case() {
        let a = Digest::parse(&format!("sha256:{EMPTY}")).unwrap();
        let b = Digest::parse(&format!("sha256-{}", EMPTY.to_uppercase())).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), format!("sha256:{EMPTY}"));
        assert_eq!(a.blob_file_name(), format!("sha256-{EMPTY}"));
        assert_eq!(a.short_id(), "e3b0c44298fc");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "sha256:",
            "sha512:00",
            &format!("sha256:{}", &EMPTY[1..]),
            &format!("sha256:{EMPTY}0"),
            &format!("sha256:{}g", &EMPTY[1..]),
            &format!("md5-{EMPTY}"),
        ] {
            assert!(Digest::parse(bad).is_err(), "{bad}");
        }
        assert!(Digest::from_blob_file_name(&format!("sha256:{EMPTY}")).is_none());
        assert!(Digest::from_blob_file_name(&format!("sha256-{EMPTY}-partial")).is_none());
    }

    #[test]
    fn digest_of_empty_input_is_the_known_value() {
        assert_eq!(Digest::of(b"").hex(), EMPTY);
    }

    #[test]
    fn streaming_equals_one_shot_for_random_chunkings() {
        let data: Vec<u8> = (0..100_003u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let whole = Digest::of(&data);
        for seed in 0..20 {
            let mut v = DigestVerifier::new();
            for chunk in crate::testing::random_chunks(&data, seed, 9000) {
                v.update(chunk);
            }
            assert_eq!(v.bytes(), data.len() as u64);
            assert_eq!(v.check(&whole, data.len() as u64), Verdict::Ok);
        }
    }

    #[test]
    fn check_reports_size_then_mismatch() {
        let d = Digest::of(b"abc");
        let mut v = DigestVerifier::new();
        v.update(b"ab");
        assert_eq!(v.check(&d, 3), Verdict::WrongSize { actual: 2 });
        let mut v = DigestVerifier::new();
        v.update(b"abd");
        assert_eq!(
            v.check(&d, 3),
            Verdict::Mismatch {
                actual: Digest::of(b"abd")
            }
        );
    }
}
