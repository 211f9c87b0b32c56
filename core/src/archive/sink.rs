//! Where the writer's tar bytes go before the driver gets them. In: tar
//! bytes. Out: the same bytes (plain; blob data is not even copied) or
//! gzip bytes, drained after every call from a
//! `flate2::write::GzEncoder<Vec<u8>>` into one reused buffer, so memory
//! stays flat. The gzip header has no time and no name: output is
//! deterministic.

use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;

pub(super) enum Sink {
    Plain,
    /// The encoder, and the bytes it produced on the last call.
    Gzip(GzEncoder<Vec<u8>>, Vec<u8>),
}

impl Sink {
    pub fn new(gzip: Option<u32>) -> Self {
        match gzip {
            None => Self::Plain,
            Some(level) => Self::Gzip(
                GzEncoder::new(Vec::new(), Compression::new(level)),
                Vec::new(),
            ),
        }
    }

    /// Takes `tar` bytes, returns what to append to the file.
    pub fn push(&mut self, tar: Vec<u8>) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Plain => Ok(tar),
            Self::Gzip(..) => self.push_slice(&tar).map(<[u8]>::to_vec),
        }
    }

    /// Like [`Self::push`], borrowing: plain output is `tar` itself; gzip
    /// output stays valid until the next call.
    pub fn push_slice<'a>(&'a mut self, tar: &'a [u8]) -> std::io::Result<&'a [u8]> {
        match self {
            Self::Plain => Ok(tar),
            Self::Gzip(gz, out) => {
                gz.write_all(tar)?;
                out.clear();
                // The encoder appends to the (empty) buffer of last time.
                std::mem::swap(out, gz.get_mut());
                Ok(out)
            }
        }
    }

    /// Flushes the compressor and writes the gzip trailer.
    pub fn finish(&mut self) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Plain => Ok(Vec::new()),
            Self::Gzip(gz, _) => {
                gz.try_finish()?;
                Ok(std::mem::take(gz.get_mut()))
            }
        }
    }
}
