//! Bounded reads of single blobs. In: a source, the models root and a
//! digest. Out: a text preview cut at a byte limit, or the GGUF header of a
//! weights blob read from its start only (never the whole blob).

use crate::digest::Digest;
use crate::gguf::{GgufError, GgufInfo, GgufParser, Progress};
use crate::source::{join, SourceError, StoreSource};
use serde::Serialize;

/// The start of a text blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextPreview {
    pub text: String,
    /// True when the blob is longer than what is shown.
    pub truncated: bool,
}

/// Path of a blob relative to the picked folder.
pub fn blob_path(root: &str, digest: &Digest) -> String {
    join(root, &format!("blobs/{}", digest.blob_file_name()))
}

/// Reads at most `max` bytes of a blob as text (invalid UTF-8 replaced,
/// never split inside a character).
pub async fn read_text_preview<S: StoreSource>(
    source: &S,
    root: &str,
    digest: &Digest,
    max: usize,
) -> Result<TextPreview, SourceError> {
    let bytes = source.read(&blob_path(root, digest), 0, max + 1).await?;
    let truncated = bytes.len() > max;
    let mut end = bytes.len().min(max);
    // Step back over a UTF-8 sequence the cut would split.
    if truncated {
        while end > 0 && end > max.saturating_sub(3) && (bytes[end] & 0xC0) == 0x80 {
            end -= 1;
        }
    }
    Ok(TextPreview {
        text: String::from_utf8_lossy(&bytes[..end]).into_owned(),
        truncated,
    })
}

/// The most of a weights blob read to find the end of its GGUF header
/// (large vocabularies take a few MiB; anything past this is hostile).
pub const GGUF_HEAD_LIMIT: u64 = 64 << 20;
const FIRST_READ: usize = 256 << 10;
const MAX_READ: usize = 4 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GgufHeadError {
    #[error("{0}")]
    Source(#[from] SourceError),
    #[error("{0}")]
    Gguf(#[from] GgufError),
    #[error("the GGUF header goes on past {} MiB; not read further", GGUF_HEAD_LIMIT >> 20)]
    TooLarge,
}

/// Reads the GGUF header of a weights blob: from its start, in growing
/// chunks, stopping as soon as the header is complete.
pub async fn read_gguf_head<S: StoreSource>(
    source: &S,
    root: &str,
    digest: &Digest,
) -> Result<GgufInfo, GgufHeadError> {
    let path = blob_path(root, digest);
    let mut parser = GgufParser::new();
    let (mut offset, mut want) = (0u64, FIRST_READ);
    loop {
        let chunk = source.read(&path, offset, want).await?;
        if chunk.is_empty() {
            return Ok(parser.finish()?);
        }
        offset += chunk.len() as u64;
        if parser.feed(&chunk)? == Progress::Done {
            return Ok(parser.finish()?);
        }
        if offset >= GGUF_HEAD_LIMIT {
            return Err(GgufHeadError::TooLarge);
        }
        want = (want * 2).min(MAX_READ);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::GgufWriter;
    use crate::source::MemSource;

    fn store_with(blob: &[u8]) -> (MemSource, Digest) {
        let mut s = MemSource::new();
        let d = Digest::of(blob);
        s.add_file(&blob_path("models", &d), blob.to_vec(), 0);
        (s, d)
    }

    #[test]
    fn text_preview_is_bounded_and_keeps_characters_whole() {
        let (s, d) = store_with("héllo wörld".as_bytes());
        let p = pollster::block_on(read_text_preview(&s, "models", &d, 2)).unwrap();
        assert_eq!((p.text.as_str(), p.truncated), ("h", true));
        let p = pollster::block_on(read_text_preview(&s, "models", &d, 100)).unwrap();
        assert_eq!((p.text.as_str(), p.truncated), ("héllo wörld", false));
    }

    #[test]
    fn gguf_head_reads_only_the_header() {
        let mut w = GgufWriter::new();
        w.kv_string("general.architecture", "llama");
        w.kv_strings("tokenizer.ggml.tokens", &vec!["token"; 100_000]);
        let mut blob = w.header_bytes();
        let header_len = blob.len();
        blob.extend(std::iter::repeat_n(0u8, 3 << 20));
        let (s, d) = store_with(&blob);
        let info = pollster::block_on(read_gguf_head(&s, "models", &d)).unwrap();
        assert_eq!(info.architecture(), Some("llama"));
        assert_eq!(info.vocab_size(), Some(100_000));
        assert!(
            header_len > FIRST_READ,
            "the test needs a header longer than one read"
        );
    }

    #[test]
    fn gguf_head_reports_truncation_and_non_gguf() {
        let (s, d) = store_with(b"GGUF\x03\x00\x00\x00");
        let e = pollster::block_on(read_gguf_head(&s, "models", &d)).unwrap_err();
        assert!(
            matches!(e, GgufHeadError::Gguf(GgufError::Truncated { .. })),
            "{e}"
        );
        let (s, d) = store_with(b"PK\x03\x04 not a gguf at all");
        assert!(pollster::block_on(read_gguf_head(&s, "models", &d)).is_err());
    }
}
