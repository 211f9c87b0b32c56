//! Extended headers, read. In: the data of a PAX `x` header or of a GNU
//! `L`/`K` long-name entry. Out: the overrides they carry for the next
//! entry (path, link target, size), or a [`ReadError`] for a malformed
//! record. Other PAX keys (times, owners, `SCHILY.*`) are skipped; GNU
//! sparse keys are reported so the entry can be refused.

use super::error::ReadError;

/// Most bytes an `x` header or a long name may hold (real ones: < 1 KB).
pub const MAX_EXTENDED: u64 = 1 << 20;

/// What extended headers say about the entry that follows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub path: Option<Vec<u8>>,
    pub link: Option<Vec<u8>>,
    pub size: Option<u64>,
    pub sparse: bool,
}

impl Overrides {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Applies PAX records `"<len> <key>=<value>\n"` (later ones win).
    pub fn apply_pax(&mut self, data: &[u8], offset: u64) -> Result<(), ReadError> {
        let bad = |reason: &str| ReadError::BadHeader {
            offset,
            reason: format!("PAX record: {reason}"),
        };
        let mut rest = data;
        while !rest.is_empty() {
            // Some writers pad the data with NULs.
            if rest.iter().all(|&b| b == 0) {
                break;
            }
            let space = rest
                .iter()
                .position(|&b| b == b' ')
                .filter(|&p| p > 0 && p <= 20)
                .ok_or_else(|| bad("no length"))?;
            let len: usize = std::str::from_utf8(&rest[..space])
                .ok()
                .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("length is not a number"))?;
            if len <= space + 1 || len > rest.len() || rest[len - 1] != b'\n' {
                return Err(bad("length does not match the record"));
            }
            let record = &rest[space + 1..len - 1];
            let eq = record
                .iter()
                .position(|&b| b == b'=')
                .ok_or_else(|| bad("no '=' in a record"))?;
            let (key, value) = (&record[..eq], &record[eq + 1..]);
            match key {
                b"path" => self.path = Some(value.to_vec()),
                b"linkpath" => self.link = Some(value.to_vec()),
                b"size" => {
                    let size = std::str::from_utf8(value)
                        .ok()
                        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| bad("size is not a number"))?;
                    self.size = Some(size);
                }
                k if k.starts_with(b"GNU.sparse.") => self.sparse = true,
                _ => {}
            }
            rest = &rest[len..];
        }
        Ok(())
    }
}

/// A GNU long name: the data up to its first NUL.
pub fn long_name(data: &[u8]) -> Vec<u8> {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    data[..end].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_path_size_and_linkpath() {
        let mut o = Overrides::default();
        o.apply_pax(
            b"30 mtime=1700000000.123456789\n14 path=a/b/c\n20 size=70000000000\n14 linkpath=x\n",
            0,
        )
        .unwrap();
        assert_eq!(o.path.as_deref(), Some(&b"a/b/c"[..]));
        assert_eq!(o.size, Some(70_000_000_000));
        assert_eq!(o.link.as_deref(), Some(&b"x"[..]));
        assert!(!o.sparse);
        o.apply_pax(b"22 GNU.sparse.major=1\n", 0).unwrap();
        assert!(o.sparse);
    }

    #[test]
    fn a_path_may_hold_newlines_and_equals() {
        let mut o = Overrides::default();
        o.apply_pax(b"14 path=a=\nb/\n", 0).unwrap();
        assert_eq!(o.path.as_deref(), Some(&b"a=\nb/"[..]));
    }

    #[test]
    fn malformed_records_are_errors() {
        for bad in [
            &b"x path=a\n"[..],
            b"99 path=a\n",
            b"5 path=a\n",
            b"11 patha\nxx",
            b"12 size=-1\n",
            b"11 size=1x\n",
            b"9 path=a",
        ] {
            let e = Overrides::default().apply_pax(bad, 7).unwrap_err();
            assert_eq!(e.kind(), "bad_header", "{bad:?}");
        }
        assert!(Overrides::default()
            .apply_pax(b"9 path=a\n\0\0\0", 0)
            .is_ok());
    }

    #[test]
    fn long_name_stops_at_nul() {
        assert_eq!(long_name(b"abc\0\0"), b"abc");
        assert_eq!(long_name(b"abc"), b"abc");
    }
}
