//! Push zip parsing, one pass from the start of the file. In: a zip file's
//! bytes in chunks of any size. Out: the same [`Event`]s as the tar parser:
//! each entry from its local header (name made safe, stored or deflated,
//! ZIP64 sizes), its data (inflated, CRC-32 checked: a mismatch is an
//! [`Event::EntryDamaged`]), its end; then the central directory, checked
//! against the entries read (same names, sizes, CRCs and offsets, nothing
//! hidden, no symlink, device or FIFO by its attributes), and the end
//! record: [`Event::End`]. Bytes after that are [`Event::Trailing`]. A
//! zip read this way needs every entry's size in its local header, or
//! deflated data (which ends by itself) followed by a data descriptor.

use super::error::ReadError;
use super::event::{EntryInfo, EntryKind, Event};
use super::path::{display, normalise};
use super::reader::{check_bounds, ReadOptions};
use super::zip_records::*;
use flate2::{Crc, Decompress, FlushDecompress, Status};

/// Inflated bytes handed on at most this many at a time.
const OUT: usize = 64 << 10;
/// A name, extra field or comment is at most 64 KiB each.
const MAX_RECORD: usize = 3 * (64 << 10) + CENTRAL_FIXED;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The 4-byte signature of the next record.
    Signature,
    Local,
    Stored {
        left: u64,
    },
    /// `left`: compressed bytes still to read (`None`: until the deflate
    /// stream ends, a data descriptor follows).
    Deflated {
        left: Option<u64>,
    },
    Descriptor,
    Central,
    Zip64End,
    Zip64Locator,
    End,
    /// After the end record (and its comment).
    Done,
}

/// An entry as read, for the central directory's cross-check.
struct Seen {
    record: EntryRecord,
    offset: u64,
}

pub struct ZipParser {
    state: State,
    buf: Vec<u8>,
    /// Bytes of the file consumed.
    offset: u64,
    seen: Vec<Seen>,
    current: Option<EntryInfo>,
    /// Where the current record began.
    record_at: u64,
    crc: Crc,
    inflate: Decompress,
    out: Vec<u8>,
    centrals: usize,
    /// Bytes handed on as entry data.
    output: u64,
    trailing_sent: bool,
    /// Limits on what the data may inflate to.
    options: ReadOptions,
}

impl ZipParser {
    pub fn new(options: ReadOptions) -> Self {
        Self {
            options,
            state: State::Signature,
            buf: Vec::new(),
            offset: 0,
            seen: Vec::new(),
            current: None,
            record_at: 0,
            crc: Crc::new(),
            inflate: Decompress::new(false),
            out: vec![0; OUT],
            centrals: 0,
            output: 0,
            trailing_sent: false,
        }
    }

    /// Bytes of entry data handed on so far (inflated).
    pub fn output_bytes(&self) -> u64 {
        self.output
    }

    pub fn push(
        &mut self,
        mut input: &[u8],
        on: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), ReadError> {
        while !input.is_empty() {
            let used = self.step(input, on)?;
            self.offset += used as u64;
            input = &input[used..];
        }
        Ok(())
    }

    /// The file ended: the end record must have been read.
    pub fn finish(&self) -> Result<(), ReadError> {
        match self.state {
            State::Done => Ok(()),
            _ => Err(ReadError::Truncated {
                entry: self.current.as_ref().map(|c| c.path.clone()),
            }),
        }
    }

    fn step(&mut self, input: &[u8], on: &mut dyn FnMut(Event<'_>)) -> Result<usize, ReadError> {
        match self.state {
            State::Signature => self.signature(input),
            State::Local => self.collect(input, local_len, |p, b, on| p.begin(b, on), on),
            State::Stored { left } => self.stored(input, left, on),
            State::Deflated { left } => self.deflated(input, left, on),
            State::Descriptor => {
                let wide = self.seen.last().is_some_and(|s| s.record.zip64);
                self.collect(
                    input,
                    move |b| descriptor_need(b, wide),
                    |p, b, on| p.descriptor(b, wide, on),
                    on,
                )
            }
            State::Central => self.collect(input, central_len, |p, b, _| p.central(b), on),
            State::Zip64End => self.collect(input, zip64_end_len, |p, _, _| p.next(), on),
            State::Zip64Locator => self.collect(input, |_| Some(20), |p, _, _| p.next(), on),
            State::End => self.collect(input, end_len, |p, b, on| p.end(b, on), on),
            State::Done => {
                if !self.trailing_sent {
                    self.trailing_sent = true;
                    on(Event::Trailing {
                        offset: self.offset,
                    });
                }
                Ok(input.len())
            }
        }
    }

    fn next(&mut self) -> Result<(), ReadError> {
        self.state = State::Signature;
        Ok(())
    }

    /// Reads the next signature and moves to its record.
    fn signature(&mut self, input: &[u8]) -> Result<usize, ReadError> {
        let take = (4 - self.buf.len()).min(input.len());
        self.buf.extend_from_slice(&input[..take]);
        if self.buf.len() < 4 {
            return Ok(take);
        }
        self.record_at = self.offset + take as u64 - 4;
        let central_started = self.centrals > 0;
        self.state = match u32_at(&self.buf, 0) {
            LOCAL if !central_started => State::Local,
            CENTRAL => State::Central,
            ZIP64_END if self.centrals == self.seen.len() => State::Zip64End,
            ZIP64_LOCATOR if self.centrals == self.seen.len() => State::Zip64Locator,
            END => State::End,
            _ => {
                return Err(corrupt(format!(
                    "unexpected bytes at byte {} (no zip record starts there)",
                    self.record_at
                )))
            }
        };
        // The signature stays in `buf`: records are parsed whole.
        Ok(take)
    }

    /// Collects a record of `need(buf)` bytes (`None`: not known yet),
    /// then hands it to `done`.
    fn collect(
        &mut self,
        input: &[u8],
        need: impl Fn(&[u8]) -> Option<usize>,
        done: impl FnOnce(&mut Self, &[u8], &mut dyn FnMut(Event<'_>)) -> Result<(), ReadError>,
        on: &mut dyn FnMut(Event<'_>),
    ) -> Result<usize, ReadError> {
        let mut used = 0;
        loop {
            let want = need(&self.buf)
                .unwrap_or(self.buf.len() + 1)
                .min(MAX_RECORD);
            if self.buf.len() >= want {
                let record = std::mem::take(&mut self.buf);
                done(self, &record[..want], on)?;
                return Ok(used);
            }
            if used == input.len() {
                return Ok(used);
            }
            let take = (want - self.buf.len()).min(input.len() - used);
            self.buf.extend_from_slice(&input[used..used + take]);
            used += take;
        }
    }

    /// A local header is whole: the entry begins.
    fn begin(&mut self, b: &[u8], on: &mut dyn FnMut(Event<'_>)) -> Result<(), ReadError> {
        let record = local_header(b)?;
        let entry = display(&record.name);
        if record.flags & FLAG_ENCRYPTED != 0 {
            return Err(unsupported(&entry, "is encrypted"));
        }
        let descriptor = record.flags & FLAG_DESCRIPTOR != 0;
        self.state = match (record.method, descriptor) {
            (0, false) => State::Stored { left: record.size },
            (0, true) => {
                return Err(unsupported(
                    &entry,
                    "is stored with its size after its data (a zip written as a stream)",
                ))
            }
            (8, false) => State::Deflated {
                left: Some(record.compressed),
            },
            (8, true) => State::Deflated { left: None },
            (m, _) => {
                return Err(unsupported(
                    &entry,
                    &format!("is compressed with {}", method_name(m)),
                ))
            }
        };
        let path = normalise(&record.name)?;
        let dir = record.name.ends_with(b"/");
        if dir && record.size > 0 {
            return Err(corrupt(format!("the folder entry \"{entry}\" holds data")));
        }
        let info = EntryInfo {
            path,
            kind: if dir { EntryKind::Dir } else { EntryKind::File },
            size: record.size,
            size_known: !descriptor,
            mtime: record.mtime,
            offset: self.record_at,
        };
        self.crc.reset();
        self.inflate.reset(false);
        on(Event::Entry(&info));
        self.current = Some(info);
        self.seen.push(Seen {
            record,
            offset: self.record_at,
        });
        if self.state == (State::Stored { left: 0 }) {
            self.end_entry(None, on);
        }
        Ok(())
    }

    fn stored(
        &mut self,
        input: &[u8],
        left: u64,
        on: &mut dyn FnMut(Event<'_>),
    ) -> Result<usize, ReadError> {
        let take = (left.min(input.len() as u64)) as usize;
        let data = &input[..take];
        self.crc.update(data);
        self.output += take as u64;
        on(Event::Data(data));
        let left = left - take as u64;
        self.state = State::Stored { left };
        if left == 0 {
            self.end_entry(None, on);
        }
        Ok(take)
    }

    fn deflated(
        &mut self,
        input: &[u8],
        left: Option<u64>,
        on: &mut dyn FnMut(Event<'_>),
    ) -> Result<usize, ReadError> {
        let limit = left.map_or(input.len(), |l| l.min(input.len() as u64) as usize);
        let (mut used, mut progressed) = (0, false);
        let status = loop {
            let (in0, out0) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress(&input[used..limit], &mut self.out, FlushDecompress::None)
                .map_err(|e| corrupt(format!("{}: {e}", self.entry())))?;
            let consumed = (self.inflate.total_in() - in0) as usize;
            let produced = (self.inflate.total_out() - out0) as usize;
            used += consumed;
            if produced > 0 {
                self.crc.update(&self.out[..produced]);
                self.output += produced as u64;
                let read = self.offset + used as u64;
                check_bounds(&self.options, true, read, self.output)?;
                on(Event::Data(&self.out[..produced]));
            }
            if status == Status::StreamEnd || (consumed == 0 && produced == 0) {
                break status;
            }
            progressed = true;
        };
        let left = left.map(|l| l - used as u64);
        match (status, left) {
            (Status::StreamEnd, Some(0)) => self.end_entry(None, on),
            (Status::StreamEnd, None) => self.state = State::Descriptor,
            (Status::StreamEnd, Some(_)) | (_, Some(0)) => {
                return Err(corrupt(format!(
                    "{}: its deflate data and its compressed size disagree",
                    self.entry()
                )))
            }
            _ if !progressed => {
                return Err(corrupt(format!(
                    "{}: the deflate data does not decode",
                    self.entry()
                )))
            }
            _ => self.state = State::Deflated { left },
        }
        Ok(used)
    }

    fn entry(&self) -> String {
        self.current
            .as_ref()
            .map_or_else(String::new, |c| format!("entry \"{}\"", c.path))
    }

    fn descriptor(
        &mut self,
        b: &[u8],
        wide: bool,
        on: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), ReadError> {
        let (crc, compressed, size) = descriptor(b, wide);
        if let Some(seen) = self.seen.last_mut() {
            (seen.record.crc, seen.record.compressed, seen.record.size) = (crc, compressed, size);
        }
        self.end_entry(Some(size), on);
        Ok(())
    }

    /// The entry's data is all read: checks CRC and size, ends it.
    fn end_entry(&mut self, size: Option<u64>, on: &mut dyn FnMut(Event<'_>)) {
        if let Some(seen) = self.seen.last() {
            let expected = size.unwrap_or(seen.record.size);
            if self.crc.sum() != seen.record.crc
                || u64::from(self.crc.amount()) != expected & 0xffff_ffff
            {
                on(Event::EntryDamaged(
                    "damaged: its bytes do not match the CRC-32 and size the zip gives for them",
                ));
            }
        }
        on(Event::EntryEnd);
        self.current = None;
        self.state = State::Signature;
    }

    /// A central directory record: the entry it names must be the next
    /// one read, with the same fields.
    fn central(&mut self, b: &[u8]) -> Result<(), ReadError> {
        let record = central_record(b)?;
        let index = self.centrals;
        self.centrals += 1;
        let entry = display(&record.entry.name);
        let Some(seen) = self.seen.get(index) else {
            return Err(corrupt(format!(
                "the central directory lists \"{entry}\", which is not among the entries read: \
                 an entry hidden from a one-pass read"
            )));
        };
        let l = &seen.record;
        let r = &record.entry;
        if l.name != r.name || seen.offset != record.local_offset {
            return Err(corrupt(format!(
                "the central directory's entry {} is \"{entry}\" at byte {}, but the file has \"{}\" at byte {}",
                index + 1,
                record.local_offset,
                display(&l.name),
                seen.offset
            )));
        }
        if (l.crc, l.compressed, l.size, l.method) != (r.crc, r.compressed, r.size, r.method) {
            return Err(corrupt(format!(
                "the central directory and the local header of \"{entry}\" disagree on its size or CRC"
            )));
        }
        record.check_kind(&entry)?;
        self.state = State::Signature;
        Ok(())
    }

    /// The end record: every entry read was listed.
    fn end(&mut self, b: &[u8], on: &mut dyn FnMut(Event<'_>)) -> Result<(), ReadError> {
        let total = u16_at(b, 10);
        if self.centrals != self.seen.len()
            || (total != u16::MAX && total as usize != self.seen.len() % 65536)
        {
            return Err(corrupt(format!(
                "the central directory lists {} entries, the file holds {}",
                self.centrals,
                self.seen.len()
            )));
        }
        self.state = State::Done;
        on(Event::End);
        Ok(())
    }
}

fn unsupported(entry: &str, what: &str) -> ReadError {
    ReadError::ZipUnsupported {
        entry: entry.to_string(),
        what: what.to_string(),
    }
}

fn method_name(method: u16) -> String {
    let name = match method {
        9 => "Deflate64",
        12 => "bzip2",
        14 => "LZMA",
        93 => "Zstandard",
        95 => "XZ",
        99 => "AES encryption",
        _ => "an unusual method",
    };
    format!("{name} (zip method {method})")
}

fn local_len(b: &[u8]) -> Option<usize> {
    (b.len() >= LOCAL_FIXED).then(|| LOCAL_FIXED + u16_at(b, 26) as usize + u16_at(b, 28) as usize)
}

fn central_len(b: &[u8]) -> Option<usize> {
    (b.len() >= CENTRAL_FIXED).then(|| CENTRAL_FIXED + central_tail(b))
}

fn zip64_end_len(b: &[u8]) -> Option<usize> {
    (b.len() >= 12).then(|| (12 + u64_at(b, 4)).min(MAX_RECORD as u64) as usize)
}

fn end_len(b: &[u8]) -> Option<usize> {
    (b.len() >= END_FIXED).then(|| END_FIXED + u16_at(b, 20) as usize)
}

/// A data descriptor's length, once its first 4 bytes tell whether it is
/// signed (the signature is optional).
fn descriptor_need(b: &[u8], wide: bool) -> Option<usize> {
    (b.len() >= 4).then(|| descriptor_len(b, wide))
}
