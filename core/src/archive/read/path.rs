//! Entry names, made safe. In: the raw name bytes of a tar entry (from its
//! header, a GNU long name or a PAX `path=` record). Out: a normalised
//! `/`-separated relative path with no `.`, empty or trailing components,
//! or the [`ReadError`] that refuses the entry: `..`, an absolute path, a
//! NUL byte. Names that are not UTF-8 are read lossily: no name a models
//! folder uses can contain a replacement character, so such an entry can
//! only ever be ignored, never land anywhere.

use super::error::ReadError;

/// Shown for a name in messages: lossy, at most 300 characters.
pub fn display(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out: String = text.chars().take(300).collect();
    if text.chars().count() > 300 {
        out.push('…');
    }
    out.replace('\0', "\\0")
}

/// Normalises `raw`: strips `./` and `/.` parts, repeated and trailing
/// slashes. An empty result is the archive's root (`./` itself).
pub fn normalise(raw: &[u8]) -> Result<String, ReadError> {
    let entry = || display(raw);
    if raw.contains(&0) {
        return Err(ReadError::NulInName { entry: entry() });
    }
    let text = String::from_utf8_lossy(raw);
    if text.starts_with('/') || text.starts_with('\\') || has_drive(&text) {
        return Err(ReadError::AbsolutePath { entry: entry() });
    }
    let mut parts = Vec::new();
    // Windows tools write `\`; a `..` spelled with one is just as unsafe.
    for part in text.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err(ReadError::ParentPath { entry: entry() }),
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// `C:` and the like at the start: absolute on Windows.
fn has_drive(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 2
        && b[0].is_ascii_alphabetic()
        && b[1] == b':'
        && (b.len() == 2 || b[2] == b'/' || b[2] == b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_dot_prefixes_and_empty_parts() {
        assert_eq!(normalise(b"./blobs/x").unwrap(), "blobs/x");
        assert_eq!(normalise(b"././a//b/./c/").unwrap(), "a/b/c");
        assert_eq!(normalise(b"./").unwrap(), "");
        assert_eq!(normalise(b".ollama/models").unwrap(), ".ollama/models");
        assert_eq!(normalise(b"a..b/..c").unwrap(), "a..b/..c");
    }

    #[test]
    fn refuses_escapes_with_the_entry_named() {
        for (raw, kind) in [
            (&b"../etc/passwd"[..], "parent_path"),
            (b"blobs/../../x", "parent_path"),
            (b"a/..", "parent_path"),
            (b"a\\..\\b", "parent_path"),
            (b"/etc/passwd", "absolute_path"),
            (b"\\x", "absolute_path"),
            (b"C:/x", "absolute_path"),
            (b"c:", "absolute_path"),
            (b"blobs/a\0b", "nul_in_name"),
        ] {
            let e = normalise(raw).unwrap_err();
            assert_eq!(e.kind(), kind, "{raw:?}");
            assert!(e.to_string().contains("refused"), "{e}");
        }
        let e = normalise(b"../etc/passwd").unwrap_err().to_string();
        assert!(e.contains("\"../etc/passwd\""), "{e}");
    }

    #[test]
    fn display_is_bounded_and_shows_nul() {
        assert_eq!(display(b"a\0b"), "a\\0b");
        assert_eq!(display(&[b'x'; 400]).chars().count(), 301);
    }
}
