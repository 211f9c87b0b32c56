//! Bounded reads of single blobs for the detail view. In: a source, the
//! models root and a digest. Out: a text preview cut at a byte limit (never
//! the whole blob).

use crate::core::digest::Digest;
use crate::core::source::{join, SourceError, StoreSource};
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
