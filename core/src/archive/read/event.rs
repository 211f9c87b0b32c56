//! What the reader hands its driver. In: nothing (plain data types). Out:
//! [`Event`]s, in archive order: the format, an [`EntryInfo`] header, that entry's
//! bytes in chunks, its end; the archive's end; and, once, where data
//! follows that end. [`OwnedEvent`] is the same with the data copied, for
//! drivers that collect events rather than handle them in a callback.

use super::decompress::Compression;
use serde::Serialize;

/// What an entry is; anything else (links, devices, FIFOs, sparse files)
/// is refused by the reader before the driver sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    File,
    Dir,
}

/// An entry's header, after PAX and GNU extensions are applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryInfo {
    /// Normalised: `/`-separated, relative, no `.`/empty parts, no `..`.
    pub path: String,
    pub kind: EntryKind,
    /// Bytes of data that follow (always 0 for a directory; 0 when not
    /// known before the data, see `size_known`).
    pub size: u64,
    /// False for a zip entry whose size follows its data (a data
    /// descriptor): `size` is then 0.
    pub size_known: bool,
    /// Modification time, seconds since the Unix epoch (0 when absent).
    pub mtime: u64,
    /// Where its (first) header starts in the uncompressed tar stream.
    pub offset: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// The file's format is known (first, once): a plain, gzip or zstd
    /// tar, or a zip.
    Opened(Compression),
    /// A new entry begins; its data follows as [`Event::Data`].
    Entry(&'a EntryInfo),
    /// The next bytes of the current entry's data (never empty).
    Data(&'a [u8]),
    /// The current entry's data does not match its own checksum (a zip's
    /// CRC-32); sent just before its `EntryEnd`.
    EntryDamaged(&'a str),
    /// The current entry's data is complete.
    EntryEnd,
    /// The end-of-archive marker (two zero blocks) was read.
    End,
    /// Something other than zero padding follows the end (at this offset of
    /// the tar stream, or of the file when it follows a compressed stream):
    /// a damaged file, or archives glued together. Sent once.
    Trailing { offset: u64 },
}

/// An [`Event`] with its data copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedEvent {
    Opened(Compression),
    Entry(EntryInfo),
    Data(Vec<u8>),
    EntryDamaged(String),
    EntryEnd,
    End,
    Trailing { offset: u64 },
}

impl From<Event<'_>> for OwnedEvent {
    fn from(e: Event<'_>) -> Self {
        match e {
            Event::Opened(c) => Self::Opened(c),
            Event::Entry(i) => Self::Entry(i.clone()),
            Event::Data(d) => Self::Data(d.to_vec()),
            Event::EntryDamaged(why) => Self::EntryDamaged(why.to_string()),
            Event::EntryEnd => Self::EntryEnd,
            Event::End => Self::End,
            Event::Trailing { offset } => Self::Trailing { offset },
        }
    }
}

impl OwnedEvent {
    /// The borrowed form, to hand to an [`super::ArchiveVerifier`].
    pub fn as_event(&self) -> Event<'_> {
        match self {
            Self::Opened(c) => Event::Opened(*c),
            Self::Entry(i) => Event::Entry(i),
            Self::Data(d) => Event::Data(d),
            Self::EntryDamaged(why) => Event::EntryDamaged(why),
            Self::EntryEnd => Event::EntryEnd,
            Self::End => Event::End,
            Self::Trailing { offset } => Event::Trailing { offset: *offset },
        }
    }
}
