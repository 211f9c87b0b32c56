//! The archive reader: decompression and tar parsing behind one push API.
//! In: the archive file's bytes, in chunks of any size (a browser's File
//! slices, a native read buffer), then [`ArchiveReader::finish`]. Out:
//! [`Event`]s through a callback, then a [`ReadSummary`]; or the first
//! [`ReadError`], after which the reader refuses more input. Output is
//! bounded: past `max_ratio` × input + `ratio_margin`, or past `max_output`,
//! the archive is refused as a decompression bomb.
//!
//! ```text
//! let mut r = ArchiveReader::new(ReadOptions { input_size: Some(len), ..Default::default() });
//! for chunk in file { r.feed(chunk, &mut |event| verifier.event(&event))?; }
//! let summary = r.finish(&mut |event| verifier.event(&event))?;
//! ```

use super::decompress::{Compression, Decompressor};
use super::error::ReadError;
use super::event::{Event, OwnedEvent};
use super::tar::TarParser;
use super::zip::ZipParser;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// The archive file's size, when known: an entry of a plain tar that
    /// claims more bytes than follow its header is refused at the header.
    pub input_size: Option<u64>,
    /// Refuse once the tar stream exceeds this many bytes.
    pub max_output: Option<u64>,
    /// Refuse once decompressed bytes exceed `max_ratio` × compressed
    /// bytes read + `ratio_margin`.
    pub max_ratio: u64,
    pub ratio_margin: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            input_size: None,
            max_output: None,
            // gzip tops out near 1032:1 on zeros; model data compresses
            // less than 2:1 and tar headers less than 100:1.
            max_ratio: 256,
            ratio_margin: 64 << 20,
        }
    }
}

/// What a whole, successful read saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReadSummary {
    pub compression: Compression,
    /// Bytes of the archive file.
    pub input_bytes: u64,
    /// Bytes of the (uncompressed) tar stream.
    pub tar_bytes: u64,
}

pub struct ArchiveReader {
    options: ReadOptions,
    /// The first bytes, until there are enough to tell the compression.
    head: Vec<u8>,
    decompressor: Option<Decompressor>,
    compression: Compression,
    tar: TarParser,
    /// Set for a zip file: it takes the bytes instead of the tar parser.
    zip: Option<ZipParser>,
    input_bytes: u64,
    output_bytes: u64,
    /// Garbage after the compressed stream was reported: the rest is ignored.
    ignoring: bool,
    failed: bool,
}

impl ArchiveReader {
    pub fn new(options: ReadOptions) -> Self {
        Self {
            options,
            head: Vec::new(),
            decompressor: None,
            compression: Compression::None,
            tar: TarParser::new(None),
            zip: None,
            input_bytes: 0,
            output_bytes: 0,
            ignoring: false,
            failed: false,
        }
    }

    /// Known once 4 bytes were fed.
    pub fn compression(&self) -> Option<Compression> {
        self.decompressor.as_ref().map(|_| self.compression)
    }

    /// Bytes of the archive file fed so far.
    pub fn input_bytes(&self) -> u64 {
        self.input_bytes
    }

    /// Bytes of the tar stream parsed so far (of a zip: its entries' data).
    pub fn tar_bytes(&self) -> u64 {
        match &self.zip {
            Some(zip) => zip.output_bytes(),
            None => self.tar.offset(),
        }
    }

    /// Feeds the next bytes of the archive file.
    pub fn feed(&mut self, chunk: &[u8], on: &mut dyn FnMut(Event<'_>)) -> Result<(), ReadError> {
        if self.failed {
            return Err(ReadError::Finished);
        }
        self.input_bytes += chunk.len() as u64;
        let result = if self.decompressor.is_some() {
            self.process(chunk, on)
        } else {
            self.head.extend_from_slice(chunk);
            if self.head.len() < 4 {
                return Ok(());
            }
            self.start();
            on(Event::Opened(self.compression));
            let head = std::mem::take(&mut self.head);
            self.process(&head, on)
        };
        self.failed = result.is_err();
        result
    }

    /// Like [`Self::feed`], returning the events with their data copied.
    pub fn feed_owned(&mut self, chunk: &[u8]) -> Result<Vec<OwnedEvent>, ReadError> {
        let mut events = Vec::new();
        self.feed(chunk, &mut |e| events.push(e.into()))?;
        Ok(events)
    }

    fn start(&mut self) {
        self.compression = Compression::detect(&self.head);
        self.decompressor = Some(Decompressor::new(self.compression));
        let limit = match self.compression {
            Compression::None => self.options.input_size,
            _ => None,
        };
        self.tar = TarParser::new(limit);
        if self.compression == Compression::Zip {
            self.zip = Some(ZipParser::new(self.options));
        }
    }

    fn process(&mut self, data: &[u8], on: &mut dyn FnMut(Event<'_>)) -> Result<(), ReadError> {
        if self.ignoring {
            return Ok(());
        }
        if let Some(zip) = self.zip.as_mut() {
            return zip.push(data, on);
        }
        let Some(decompressor) = self.decompressor.as_mut() else {
            return Ok(());
        };
        let (tar, options, input) = (&mut self.tar, self.options, self.input_bytes);
        let output = &mut self.output_bytes;
        let compressed = self.compression != Compression::None;
        let mut tar_failed = false;
        let result = decompressor.push(data, &mut |bytes| {
            *output += bytes.len() as u64;
            check_bounds(&options, compressed, input, *output)?;
            tar.push(bytes, on).inspect_err(|_| tar_failed = true)
        });
        match result {
            // Not compressed data after the end of the archive: garbage.
            Err(ReadError::Corrupt { .. })
                if !tar_failed && self.tar.is_ended() && decompressor.between_streams() =>
            {
                self.ignoring = true;
                on(Event::Trailing {
                    offset: decompressor.trailing_offset(),
                });
                Ok(())
            }
            other => other,
        }
    }

    /// The file ended: checks that the archive did too.
    pub fn finish(&mut self, on: &mut dyn FnMut(Event<'_>)) -> Result<ReadSummary, ReadError> {
        if self.failed {
            return Err(ReadError::Finished);
        }
        self.failed = true;
        if self.decompressor.is_none() {
            self.start();
            on(Event::Opened(self.compression));
            let head = std::mem::take(&mut self.head);
            self.process(&head, on)?;
        }
        match &self.zip {
            Some(zip) => zip.finish()?,
            None => {
                if !self.ignoring {
                    if let Some(d) = &self.decompressor {
                        d.finish()?;
                    }
                }
                self.tar.finish()?;
            }
        }
        Ok(ReadSummary {
            compression: self.compression,
            input_bytes: self.input_bytes,
            tar_bytes: self.tar_bytes(),
        })
    }
}

/// Refuses output past the limits (`compressed`: the ratio applies).
pub(super) fn check_bounds(
    o: &ReadOptions,
    compressed: bool,
    input: u64,
    output: u64,
) -> Result<(), ReadError> {
    if let Some(limit) = o.max_output.filter(|&l| output > l) {
        return Err(ReadError::TooLarge { limit });
    }
    let bound = input
        .saturating_mul(o.max_ratio)
        .saturating_add(o.ratio_margin);
    if compressed && output > bound {
        return Err(ReadError::Bomb {
            input,
            output: bound,
        });
    }
    Ok(())
}
