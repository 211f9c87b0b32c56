//! The ollama-pack archive layout (DESIGN.md section 5), shared by the
//! writer and the reader. In: models and blobs to describe, or the bytes of
//! an index / `SHA256SUMS` read back. Out: entry names, the [`PackIndex`]
//! (`ollama-pack.json`) and the `SHA256SUMS` text, each way.
//!
//! ```text
//! ollama-pack.json                       index, first
//! SHA256SUMS                             "<hex>  <path>" for every manifest and blob
//! manifests/<host>/<ns>/<model>/<tag>    verbatim manifest bytes
//! blobs/sha256-<hex>                     each blob once
//! ```
//!
//! The index holds no timestamps: the same models give the same bytes.

use crate::digest::Digest;
use serde::{Deserialize, Serialize};

/// Name of the index entry, the first in the archive.
pub const INDEX_ENTRY: &str = "ollama-pack.json";
/// Name of the checksum entry, the second.
pub const SUMS_ENTRY: &str = "SHA256SUMS";
/// The `format` field of the index.
pub const FORMAT_NAME: &str = "ollama-pack";
/// The `version` field this build writes (and the newest it reads).
pub const FORMAT_VERSION: u32 = 1;
/// The `created_by` field this build writes.
pub const CREATED_BY: &str = concat!("ollama-pack ", env!("CARGO_PKG_VERSION"));
/// Indexes larger than this are not read (a real one is a few KB).
pub const MAX_INDEX_BYTES: u64 = 16 << 20;

/// `blobs/sha256-<hex>`: where a blob sits in the archive (and in `models/`).
pub fn blob_entry(digest: &Digest) -> String {
    format!("blobs/{}", digest.blob_file_name())
}

/// The `ollama-pack.json` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackIndex {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    pub version: u32,
    pub created_by: String,
    pub models: Vec<IndexModel>,
    pub blobs: Vec<IndexBlob>,
    pub totals: IndexTotals,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexModel {
    /// Ollama's shortest display form (`gemma2:2b`).
    pub name: String,
    /// The manifest's entry: `manifests/<host>/<ns>/<model>/<tag>`.
    pub manifest_path: String,
    /// SHA-256 of the manifest bytes (its first 12 hex are the model ID).
    pub manifest_digest: Digest,
    /// Config plus layer sizes, as `ollama list` counts them.
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexBlob {
    pub digest: Digest,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexTotals {
    pub models: usize,
    pub blobs: usize,
    /// Bytes of the blobs, each counted once.
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    #[error("ollama-pack.json is not a valid index: {0}")]
    Invalid(String),
    #[error("ollama-pack.json says format \"{0}\", not \"{FORMAT_NAME}\"")]
    WrongFormat(String),
    #[error(
        "the archive is format version {0}; this ollama-pack reads up to {FORMAT_VERSION}: \
         update ollama-pack"
    )]
    TooNew(u32),
    #[error("ollama-pack.json is {0} bytes, larger than any real index; not read")]
    TooLarge(u64),
}

impl PackIndex {
    /// An index of this build's format version over these models and blobs.
    pub fn new(models: Vec<IndexModel>, blobs: Vec<IndexBlob>) -> Self {
        let totals = IndexTotals {
            models: models.len(),
            blobs: blobs.len(),
            bytes: blobs.iter().map(|b| b.size).sum(),
        };
        Self {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            created_by: CREATED_BY.into(),
            models,
            blobs,
            totals,
        }
    }

    /// Pretty JSON with a final newline: the entry's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain strings and numbers into a Vec cannot fail.
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Reads an index back, refusing other formats and newer versions.
    pub fn parse(bytes: &[u8]) -> Result<Self, IndexError> {
        if bytes.len() as u64 > MAX_INDEX_BYTES {
            return Err(IndexError::TooLarge(bytes.len() as u64));
        }
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| IndexError::Invalid(e.to_string()))?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT_NAME) => {}
            Some(other) => return Err(IndexError::WrongFormat(other.chars().take(80).collect())),
            None => return Err(IndexError::Invalid("no \"format\" field".into())),
        }
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version > u64::from(FORMAT_VERSION) {
            return Err(IndexError::TooNew(
                u32::try_from(version).unwrap_or(u32::MAX),
            ));
        }
        serde_json::from_value(value).map_err(|e| IndexError::Invalid(e.to_string()))
    }
}

/// The `SHA256SUMS` text: `<hex>  <path>\n` per entry, in the order given,
/// as `sha256sum -c` reads it (paths relative to the archive root).
pub fn sha256sums<'a>(entries: impl IntoIterator<Item = (&'a Digest, &'a str)>) -> String {
    entries
        .into_iter()
        .map(|(digest, path)| format!("{}  {path}\n", digest.hex()))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SHA256SUMS line {line} is not \"<64 hex>  <path>\"")]
pub struct SumsError {
    pub line: usize,
}

/// Reads a `SHA256SUMS` text back: (digest, path) per line. Accepts the
/// binary-mode marker (`<hex> *<path>`) too; blank lines are skipped.
pub fn parse_sha256sums(text: &str) -> Result<Vec<(Digest, String)>, SumsError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || SumsError { line: i + 1 };
        let (hex, rest) = line.split_once(' ').ok_or_else(bad)?;
        let path = rest
            .strip_prefix(' ')
            .or_else(|| rest.strip_prefix('*'))
            .ok_or_else(bad)?;
        let digest = Digest::parse(&format!("sha256:{hex}")).map_err(|_| bad())?;
        if path.is_empty() {
            return Err(bad());
        }
        out.push((digest, path.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_round_trips_and_has_no_time() {
        let d = Digest::of(b"x");
        let index = PackIndex::new(
            vec![IndexModel {
                name: "gemma2:2b".into(),
                manifest_path: "manifests/registry.ollama.ai/library/gemma2/2b".into(),
                manifest_digest: d.clone(),
                size: 7,
            }],
            vec![IndexBlob {
                digest: d.clone(),
                size: 1,
            }],
        );
        let bytes = index.to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("{\n  \"format\": \"ollama-pack\",\n  \"version\": 1,"));
        assert!(text.contains(&format!("\"digest\": \"sha256:{}\"", d.hex())));
        assert!(
            text.contains("\"totals\": {\n    \"models\": 1,\n    \"blobs\": 1,\n    \"bytes\": 1")
        );
        assert_eq!(PackIndex::parse(&bytes).unwrap(), index);
    }

    #[test]
    fn index_refuses_other_formats_and_newer_versions() {
        let e = PackIndex::parse(br#"{"format":"ollamazip","version":1}"#).unwrap_err();
        assert!(matches!(e, IndexError::WrongFormat(_)), "{e}");
        let e = PackIndex::parse(br#"{"format":"ollama-pack","version":2}"#).unwrap_err();
        assert_eq!(e, IndexError::TooNew(2));
        assert!(PackIndex::parse(b"[").is_err());
        assert!(PackIndex::parse(br#"{"format":"ollama-pack","version":1}"#).is_err());
    }

    #[test]
    fn sums_are_what_sha256sum_reads_and_parse_back() {
        let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
        let text = sha256sums([(&a, "manifests/h/n/m/t"), (&b, "blobs/x")]);
        assert_eq!(
            text,
            format!("{}  manifests/h/n/m/t\n{}  blobs/x\n", a.hex(), b.hex())
        );
        let parsed = parse_sha256sums(&format!("{text}\n{} *bin\n", a.hex())).unwrap();
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[1], (b, "blobs/x".into()));
        assert_eq!(parsed[2].1, "bin");
        assert_eq!(parse_sha256sums("abc  x").unwrap_err().line, 1);
        assert!(parse_sha256sums(&format!("{}x", a.hex())).is_err());
    }
}
