//! Which compression, and undoing it, push-wise. In: the archive's bytes in
//! chunks of any size. Out: the tar stream through a callback. The kind is
//! told by magic bytes, never by name: `1f 8b` gzip (several members
//! allowed), `28 b5 2f fd` zstd (several frames allowed), `PK 03 04` a zip
//! (read by its own parser, `super::zip`), anything else a plain tar,
//! passed through without a copy.

use super::error::ReadError;
use super::gzip::GzipPush;
use super::zstd::ZstdPush;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    /// A zip file: each entry stored or deflated on its own.
    Zip,
}

impl Compression {
    /// From the first bytes of a file (at least 4, or all there are).
    pub fn detect(head: &[u8]) -> Self {
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            Self::Zip
        } else if head.starts_with(&[0x1f, 0x8b]) {
            Self::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
            // A skippable frame first, as pzstd writes.
            || (head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18])
        {
            Self::Zstd
        } else {
            Self::None
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Gzip => "gzip",
            Self::Zstd => "zstd",
            Self::Zip => "zip",
        }
    }
}

pub enum Decompressor {
    Plain,
    Gzip(Box<GzipPush>),
    Zstd(Box<ZstdPush>),
}

impl Decompressor {
    pub fn new(kind: Compression) -> Self {
        match kind {
            Compression::None | Compression::Zip => Self::Plain,
            Compression::Gzip => Self::Gzip(Box::new(GzipPush::new())),
            Compression::Zstd => Self::Zstd(Box::new(ZstdPush::new())),
        }
    }

    /// Decompresses `input`, handing every piece of output to `out`.
    pub fn push(
        &mut self,
        input: &[u8],
        out: &mut dyn FnMut(&[u8]) -> Result<(), ReadError>,
    ) -> Result<(), ReadError> {
        match self {
            Self::Plain => out(input),
            Self::Gzip(gz) => gz.push(input, out),
            Self::Zstd(z) => z.push(input, out),
        }
    }

    /// After an error: it came between whole members or frames.
    pub fn between_streams(&self) -> bool {
        match self {
            Self::Plain => false,
            Self::Gzip(gz) => gz.between_members(),
            Self::Zstd(z) => z.between_frames(),
        }
    }

    /// After an error [`Self::between_streams`]: the offset in the input
    /// (the compressed file) where what is not part of the stream begins.
    pub fn trailing_offset(&self) -> u64 {
        match self {
            Self::Plain => 0,
            Self::Gzip(gz) => gz.trailing_offset(),
            Self::Zstd(z) => z.trailing_offset(),
        }
    }

    /// The input ended: checks that the compressed stream is whole.
    pub fn finish(&self) -> Result<(), ReadError> {
        match self {
            Self::Plain => Ok(()),
            Self::Gzip(gz) => gz.finish(),
            Self::Zstd(z) => z.finish(),
        }
    }
}
