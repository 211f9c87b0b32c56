//! Push gzip decompression, member by member. In: compressed bytes in
//! chunks of any size. Out: decompressed bytes through a callback, at most
//! 64 KiB at a time (so a bomb is caught early and memory stays flat). The
//! gzip framing (RFC 1952: header with optional extra, name, comment and
//! CRC; CRC-32 and length trailer) is walked here, the deflate data goes
//! through flate2's raw [`Decompress`]. Several members are one stream;
//! zero bytes after the last are padding; anything else after it is an
//! error the reader turns into "data after the end".

use super::error::ReadError;
use flate2::{Crc, Decompress, FlushDecompress, Status};

const OUT: usize = 64 << 10;
/// Header bytes held at most (the extra field alone may be 64 KiB).
const MAX_HEADER: usize = 70 << 10;

enum State {
    /// Collecting a member header (bytes in `header`), or padding.
    Header,
    Deflate,
    /// Collecting the 8-byte trailer.
    Trailer,
    /// Zero bytes after the last member.
    Padding,
}

pub struct GzipPush {
    state: State,
    header: Vec<u8>,
    inflate: Decompress,
    crc: Crc,
    out: Vec<u8>,
    members: u64,
    /// Input bytes consumed so far.
    consumed: u64,
    /// Where data that is not gzip would begin: after the last whole
    /// member, or at the first non-zero byte of the padding after it.
    end: u64,
}

fn corrupt(reason: impl std::fmt::Display) -> ReadError {
    ReadError::Corrupt {
        format: "gzip",
        reason: reason.to_string(),
    }
}

impl GzipPush {
    pub fn new() -> Self {
        Self {
            state: State::Header,
            header: Vec::new(),
            inflate: Decompress::new(false),
            crc: Crc::new(),
            out: vec![0; OUT],
            members: 0,
            consumed: 0,
            end: 0,
        }
    }

    pub fn push(
        &mut self,
        mut input: &[u8],
        out: &mut dyn FnMut(&[u8]) -> Result<(), ReadError>,
    ) -> Result<(), ReadError> {
        while !input.is_empty() {
            let used = match self.state {
                State::Header if self.members > 0 && self.header.is_empty() && input[0] == 0 => {
                    self.state = State::Padding;
                    0
                }
                State::Header => self.header_bytes(input)?,
                State::Deflate => self.deflate(input, out)?,
                State::Trailer => self.trailer_bytes(input)?,
                State::Padding => match input.iter().position(|&b| b != 0) {
                    Some(at) => {
                        self.end = self.consumed + at as u64;
                        return Err(corrupt("data after the zero padding"));
                    }
                    None => input.len(),
                },
            };
            self.consumed += used as u64;
            input = &input[used..];
        }
        Ok(())
    }

    /// Takes header bytes until the header is complete; returns how many.
    fn header_bytes(&mut self, input: &[u8]) -> Result<usize, ReadError> {
        let before = self.header.len();
        let take = input.len().min(MAX_HEADER.saturating_sub(before).max(1));
        self.header.extend_from_slice(&input[..take]);
        match header_len(&self.header)? {
            Some(len) => {
                self.header.clear();
                self.inflate.reset(false);
                self.crc.reset();
                self.state = State::Deflate;
                Ok(len - before)
            }
            None if self.header.len() >= MAX_HEADER => Err(corrupt("header too large")),
            None => Ok(take),
        }
    }

    fn deflate(
        &mut self,
        input: &[u8],
        out: &mut dyn FnMut(&[u8]) -> Result<(), ReadError>,
    ) -> Result<usize, ReadError> {
        let mut used = 0;
        loop {
            let (in0, out0) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress(&input[used..], &mut self.out, FlushDecompress::None)
                .map_err(corrupt)?;
            let consumed = (self.inflate.total_in() - in0) as usize;
            let produced = (self.inflate.total_out() - out0) as usize;
            used += consumed;
            if produced > 0 {
                self.crc.update(&self.out[..produced]);
                out(&self.out[..produced])?;
            }
            if status == Status::StreamEnd {
                self.state = State::Trailer;
                return Ok(used);
            }
            if consumed == 0 && produced == 0 {
                if used == 0 {
                    return Err(corrupt("the deflate data does not decode"));
                }
                return Ok(used);
            }
        }
    }

    fn trailer_bytes(&mut self, input: &[u8]) -> Result<usize, ReadError> {
        let take = (8 - self.header.len()).min(input.len());
        self.header.extend_from_slice(&input[..take]);
        if self.header.len() == 8 {
            let t = &self.header;
            let crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
            let size = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
            if crc != self.crc.sum() || size != self.crc.amount() {
                return Err(corrupt(format!(
                    "member {} fails its CRC check",
                    self.members + 1
                )));
            }
            self.header.clear();
            self.members += 1;
            self.end = self.consumed + take as u64;
            self.state = State::Header;
        }
        Ok(take)
    }

    /// Between members (a whole one read): where an error means data that
    /// is not gzip follows the stream, rather than a damaged member.
    pub fn between_members(&self) -> bool {
        self.members > 0 && matches!(self.state, State::Header | State::Padding)
    }

    /// Offset in the input where data that is not gzip begins, once an
    /// error came [`Self::between_members`].
    pub fn trailing_offset(&self) -> u64 {
        self.end
    }

    /// The input ended: it must end after a whole member (or its padding).
    pub fn finish(&self) -> Result<(), ReadError> {
        match self.state {
            State::Padding => Ok(()),
            State::Header if self.header.is_empty() && self.members > 0 => Ok(()),
            _ => Err(ReadError::Truncated { entry: None }),
        }
    }
}

/// The length of a complete gzip member header, `None` while incomplete.
fn header_len(h: &[u8]) -> Result<Option<usize>, ReadError> {
    if h.len() >= 2 && h[..2] != [0x1f, 0x8b] {
        return Err(corrupt("not gzip data"));
    }
    if h.len() < 10 {
        return Ok(None);
    }
    if h[2] != 8 {
        return Err(corrupt("unknown compression method"));
    }
    let flags = h[3];
    let mut at = 10;
    if flags & 4 != 0 {
        let Some(x) = h.get(at..at + 2) else {
            return Ok(None);
        };
        at += 2 + usize::from(u16::from_le_bytes([x[0], x[1]]));
    }
    for flag in [8, 16] {
        if flags & flag != 0 {
            match h
                .get(at..)
                .and_then(|rest| rest.iter().position(|&b| b == 0))
            {
                Some(nul) => at += nul + 1,
                None => return Ok(None),
            }
        }
    }
    if flags & 2 != 0 {
        at += 2;
    }
    Ok((h.len() >= at).then_some(at))
}
