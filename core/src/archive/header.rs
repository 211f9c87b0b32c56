//! Tar headers, pure. In: an entry's path, size and modification time.
//! Out: the 512-byte blocks that go before its data, the padding after it,
//! and the entry's whole length, so an archive's size is known before a
//! byte is written.
//!
//! Headers are POSIX ustar (mode 0644, uid/gid 0, no user names). A path
//! over 100 bytes or a size of 8 GiB and more goes into a PAX extended
//! header (`x`, records `path=` / `size=`) before the ustar header, which
//! GNU tar, bsdtar, Python's tarfile and the `tar` crate all read. A size
//! that big is also written into the ustar header in GNU base-256, so a
//! reader that skips PAX records still gets it right.

use tar::{EntryType, Header};

pub const BLOCK: usize = 512;
/// The two zero blocks that end an archive.
pub const END_OF_ARCHIVE: [u8; 2 * BLOCK] = [0; 2 * BLOCK];
/// Longest path a ustar `name` field holds.
const NAME_MAX: usize = 100;
/// Largest size the 11 octal digits of a ustar `size` field hold.
const OCTAL_SIZE_MAX: u64 = 0o777_7777_7777;
/// What the PAX extended header itself is called (as Python names it).
const PAX_HEADER_NAME: &str = "././@PaxHeader";

/// Zero bytes after `size` bytes of data, up to the next block.
pub fn padding(size: u64) -> usize {
    let rest = (size % BLOCK as u64) as usize;
    if rest == 0 {
        0
    } else {
        BLOCK - rest
    }
}

/// One PAX record, `"<len> <key>=<value>\n"`, where `<len>` counts the
/// whole record, its own digits included.
fn pax_record(key: &str, value: &str) -> String {
    let body = key.len() + value.len() + 3;
    let mut len = body + 1;
    while body + len.to_string().len() != len {
        len = body + len.to_string().len();
    }
    format!("{len} {key}={value}\n")
}

/// The PAX records an entry needs (empty when a ustar header says it all).
fn pax_records(path: &str, size: u64) -> String {
    let mut records = String::new();
    if path.len() > NAME_MAX {
        records += &pax_record("path", path);
    }
    if size > OCTAL_SIZE_MAX {
        records += &pax_record("size", &size.to_string());
    }
    records
}

/// Bytes of the headers before an entry's data.
pub fn header_len(path: &str, size: u64) -> u64 {
    let pax = pax_records(path, size).len() as u64;
    let pax_blocks = if pax == 0 {
        0
    } else {
        BLOCK as u64 + pax + padding(pax) as u64
    };
    pax_blocks + BLOCK as u64
}

/// Bytes of a whole entry: headers, data and padding.
pub fn entry_len(path: &str, size: u64) -> u64 {
    header_len(path, size) + size + padding(size) as u64
}

/// The first `NAME_MAX` bytes of a path, cut at a character boundary.
fn short_name(path: &str) -> &[u8] {
    let mut end = path.len().min(NAME_MAX);
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    &path.as_bytes()[..end]
}

fn ustar(name: &[u8], size: u64, mtime: u64, kind: EntryType) -> [u8; BLOCK] {
    let mut h = Header::new_ustar();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(mtime);
    h.set_entry_type(kind);
    // Octal up to 8 GiB - 1, GNU base-256 above.
    h.set_size(size);
    h.set_cksum();
    *h.as_bytes()
}

/// The header blocks of a regular file entry: a PAX header with its
/// records when needed, then the ustar header.
pub fn file_header(path: &str, size: u64, mtime: u64) -> Vec<u8> {
    let records = pax_records(path, size);
    let mut out = Vec::with_capacity(header_len(path, size) as usize);
    if !records.is_empty() {
        let len = records.len() as u64;
        let name = short_name(PAX_HEADER_NAME);
        out.extend_from_slice(&ustar(name, len, mtime, EntryType::XHeader));
        out.extend_from_slice(records.as_bytes());
        out.resize(out.len() + padding(len), 0);
    }
    out.extend_from_slice(&ustar(short_name(path), size, mtime, EntryType::Regular));
    out
}

/// A whole small entry (index, sums, a manifest): headers, data, padding.
pub fn file_entry(path: &str, data: &[u8], mtime: u64) -> Vec<u8> {
    let mut out = file_header(path, data.len() as u64, mtime);
    out.extend_from_slice(data);
    out.resize(out.len() + padding(data.len() as u64), 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(block: &[u8]) -> Header {
        let mut h = Header::new_old();
        h.as_mut_bytes().copy_from_slice(&block[..BLOCK]);
        h
    }

    #[test]
    fn pax_record_length_counts_its_own_digits() {
        assert_eq!(pax_record("path", "a"), "9 path=a\n");
        // 2 digits -> 3 digits at the boundary.
        let r = pax_record("path", &"x".repeat(92));
        assert_eq!(r.len(), 102);
        assert!(r.starts_with("102 path="));
        for n in 0..300 {
            let r = pax_record("path", &"y".repeat(n));
            let (len, _) = r.split_once(' ').unwrap();
            assert_eq!(len.parse::<usize>().unwrap(), r.len(), "{n}");
        }
    }

    #[test]
    fn short_path_is_one_ustar_block() {
        let h = file_header("blobs/sha256-ab", 1000, 1_700_000_000);
        assert_eq!(h.len(), BLOCK);
        let p = parse(&h);
        assert_eq!(&*p.path_bytes(), b"blobs/sha256-ab");
        assert_eq!(p.size().unwrap(), 1000);
        assert_eq!(p.mtime().unwrap(), 1_700_000_000);
        assert_eq!(p.mode().unwrap(), 0o644);
        assert_eq!(p.entry_type(), EntryType::Regular);
        assert!(p.as_ustar().is_some());
        assert_eq!(p.cksum().unwrap(), {
            let mut q = p.clone();
            q.set_cksum();
            q.cksum().unwrap()
        });
        assert_eq!(entry_len("blobs/sha256-ab", 1000), 512 + 1024);
        assert_eq!(entry_len("x", 0), 512);
        assert_eq!(entry_len("x", 512), 1024);
    }

    #[test]
    fn long_path_goes_into_a_pax_record() {
        let path = format!(
            "manifests/registry.ollama.ai/library/{}/{}",
            "m".repeat(80),
            "t".repeat(80)
        );
        let h = file_header(&path, 42, 7);
        assert_eq!(h.len() as u64, header_len(&path, 42));
        assert_eq!(h.len(), 3 * BLOCK);
        let x = parse(&h);
        assert_eq!(x.entry_type(), EntryType::XHeader);
        let len = x.size().unwrap() as usize;
        let records = std::str::from_utf8(&h[BLOCK..BLOCK + len]).unwrap();
        assert_eq!(records, pax_record("path", &path));
        let main = parse(&h[2 * BLOCK..]);
        assert_eq!(main.entry_type(), EntryType::Regular);
        assert_eq!(main.size().unwrap(), 42);
        assert_eq!(&*main.path_bytes(), &path.as_bytes()[..100]);
    }

    #[test]
    fn a_70_gb_blob_header_carries_its_size_twice() {
        let size = 70_000_000_000u64;
        let path = format!("blobs/sha256-{}", "a".repeat(64));
        let h = file_header(&path, size, 1);
        assert_eq!(h.len(), 3 * BLOCK);
        let x = parse(&h);
        let len = x.size().unwrap() as usize;
        let records = std::str::from_utf8(&h[BLOCK..BLOCK + len]).unwrap();
        assert_eq!(records, "20 size=70000000000\n");
        let main = parse(&h[2 * BLOCK..]);
        // GNU base-256: high bit set, then the big-endian value.
        let field = &main.as_old().size;
        assert_eq!(field[0], 0x80);
        assert_eq!(&field[4..], &size.to_be_bytes());
        assert_eq!(main.size().unwrap(), size);
        assert_eq!(
            entry_len(&path, size),
            3 * 512 + size + padding(size) as u64
        );
        // Just under the octal limit: octal, no PAX.
        let h = file_header(&path, OCTAL_SIZE_MAX, 1);
        assert_eq!(h.len(), BLOCK);
        assert_eq!(&parse(&h).as_old().size, b"77777777777\0");
    }

    #[test]
    fn padding_fills_the_last_block() {
        assert_eq!(padding(0), 0);
        assert_eq!(padding(1), 511);
        assert_eq!(padding(512), 0);
        assert_eq!(padding(70_000_000_001), 511);
        let e = file_entry("a", b"hello", 0);
        assert_eq!(e.len(), 1024);
        assert_eq!(&e[512..517], b"hello");
    }
}
