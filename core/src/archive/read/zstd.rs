//! Push zstd decompression over ruzstd's pull-based frame decoder. In:
//! compressed bytes in chunks of any size. Out: decompressed bytes through
//! a callback. The frame format is walked here (frame header, 3-byte block
//! headers, optional checksum, skippable frames); ruzstd is handed one
//! whole block at a time, so it never waits for input. Memory: the window
//! (at most [`MAX_WINDOW`]) plus one block (at most 128 KiB) plus the
//! caller's chunk.

use super::error::ReadError;
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

/// Largest window accepted: libzstd's default limit (`--long=27`).
pub const MAX_WINDOW: u64 = 100 << 20;
const MAGIC: u32 = 0xFD2F_B528;
const MAX_BLOCK: usize = 128 << 10;

enum State {
    FrameHeader,
    Blocks { checksum: bool },
    Skippable { remaining: u64 },
}

pub struct ZstdPush {
    decoder: FrameDecoder,
    state: State,
    /// Compressed bytes not consumed yet; `buf[pos..]` is live.
    buf: Vec<u8>,
    pos: usize,
    /// Input offset of `buf[0]`.
    base: u64,
    /// Input offset just after the last whole frame (skippable included).
    end: u64,
    frames: u64,
}

fn corrupt(reason: impl std::fmt::Display) -> ReadError {
    ReadError::Corrupt {
        format: "zstd",
        reason: reason.to_string(),
    }
}

impl ZstdPush {
    pub fn new() -> Self {
        Self {
            decoder: FrameDecoder::new(),
            state: State::FrameHeader,
            buf: Vec::new(),
            pos: 0,
            base: 0,
            end: 0,
            frames: 0,
        }
    }

    /// Between frames (a whole one read): where an error means data that
    /// is not zstd follows the stream, rather than a damaged frame.
    pub fn between_frames(&self) -> bool {
        self.frames > 0 && matches!(self.state, State::FrameHeader)
    }

    fn at_frame_boundary(&self) -> bool {
        matches!(self.state, State::FrameHeader) && self.pos == self.buf.len()
    }

    pub fn push(
        &mut self,
        input: &[u8],
        out: &mut dyn FnMut(&[u8]) -> Result<(), ReadError>,
    ) -> Result<(), ReadError> {
        self.buf.extend_from_slice(input);
        let result = self.drain(out);
        self.buf.drain(..self.pos);
        self.base += self.pos as u64;
        self.pos = 0;
        result
    }

    fn drain(
        &mut self,
        out: &mut dyn FnMut(&[u8]) -> Result<(), ReadError>,
    ) -> Result<(), ReadError> {
        loop {
            let live = &self.buf[self.pos..];
            match self.state {
                State::Skippable { remaining } => {
                    let n = remaining.min(live.len() as u64);
                    self.pos += n as usize;
                    if n == remaining {
                        self.state = State::FrameHeader;
                        self.end = self.base + self.pos as u64;
                    } else {
                        self.state = State::Skippable {
                            remaining: remaining - n,
                        };
                        return Ok(());
                    }
                }
                State::FrameHeader => {
                    if live.len() < 4 {
                        return Ok(());
                    }
                    let magic = u32::from_le_bytes([live[0], live[1], live[2], live[3]]);
                    if (0x184D_2A50..=0x184D_2A5F).contains(&magic) {
                        if live.len() < 8 {
                            return Ok(());
                        }
                        let len = u32::from_le_bytes([live[4], live[5], live[6], live[7]]);
                        self.pos += 8;
                        self.state = State::Skippable {
                            remaining: u64::from(len),
                        };
                        continue;
                    }
                    if magic != MAGIC {
                        return Err(corrupt(format!(
                            "no zstd frame at frame {}",
                            self.frames + 1
                        )));
                    }
                    let Some(&fhd) = live.get(4) else {
                        return Ok(());
                    };
                    let len = header_len(fhd);
                    if live.len() < len {
                        return Ok(());
                    }
                    let window =
                        window_size(&live[..len]).ok_or_else(|| corrupt("bad frame header"))?;
                    if window > MAX_WINDOW {
                        return Err(ReadError::ZstdWindow {
                            window,
                            limit: MAX_WINDOW,
                        });
                    }
                    self.decoder.reset(&live[..len]).map_err(corrupt)?;
                    self.pos += len;
                    self.frames += 1;
                    self.state = State::Blocks {
                        checksum: fhd & 4 != 0,
                    };
                }
                State::Blocks { checksum } => {
                    if live.len() < 3 {
                        return Ok(());
                    }
                    let h = u32::from_le_bytes([live[0], live[1], live[2], 0]);
                    let (last, kind, size) = (h & 1 == 1, (h >> 1) & 3, (h >> 3) as usize);
                    if kind == 3 || size > MAX_BLOCK {
                        return Err(corrupt("bad block header"));
                    }
                    let content = if kind == 1 { 1 } else { size };
                    let need = 3 + content + if last && checksum { 4 } else { 0 };
                    if live.len() < need {
                        return Ok(());
                    }
                    self.decoder
                        .decode_blocks(&live[..need], BlockDecodingStrategy::UptoBlocks(1))
                        .map_err(corrupt)?;
                    self.pos += need;
                    if let Some(bytes) = self.decoder.collect() {
                        if !bytes.is_empty() {
                            out(&bytes)?;
                        }
                    }
                    if last {
                        self.end_frame()?;
                    }
                }
            }
        }
    }

    fn end_frame(&mut self) -> Result<(), ReadError> {
        if !self.decoder.is_finished() {
            return Err(corrupt("the last block did not end the frame"));
        }
        if let (Some(stored), Some(computed)) = (
            self.decoder.get_checksum_from_data(),
            self.decoder.get_calculated_checksum(),
        ) {
            if stored != computed {
                return Err(corrupt(format!(
                    "checksum mismatch in frame {}",
                    self.frames
                )));
            }
        }
        self.state = State::FrameHeader;
        self.end = self.base + self.pos as u64;
        Ok(())
    }

    /// Offset in the input where data that is not zstd begins, once an
    /// error came [`Self::between_frames`].
    pub fn trailing_offset(&self) -> u64 {
        self.end
    }

    /// The input ended: it must end between frames, having held one.
    pub fn finish(&self) -> Result<(), ReadError> {
        if self.at_frame_boundary() && self.frames > 0 {
            Ok(())
        } else {
            Err(ReadError::Truncated { entry: None })
        }
    }
}

/// Bytes of a frame header (magic included) from its descriptor byte.
fn header_len(fhd: u8) -> usize {
    let single = fhd & 0x20 != 0;
    let dict = [0, 1, 2, 4][usize::from(fhd & 3)];
    let fcs = match fhd >> 6 {
        0 => usize::from(single),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    5 + usize::from(!single) + dict + fcs
}

/// The window a frame needs, from its header (RFC 8878 3.1.1.1.2).
fn window_size(header: &[u8]) -> Option<u64> {
    let fhd = header[4];
    if fhd & 0x08 != 0 {
        return None; // reserved bit
    }
    if fhd & 0x20 == 0 {
        let wd = header[5];
        let log = 10 + u64::from(wd >> 3);
        let base = 1u64 << log;
        return Some(base + (base / 8) * u64::from(wd & 7));
    }
    // Single segment: the window is the content size.
    let dict = [0, 1, 2, 4][usize::from(fhd & 3)];
    let fcs = &header[5 + dict..];
    Some(match fcs.len() {
        1 => u64::from(fcs[0]),
        2 => u64::from(u16::from_le_bytes([fcs[0], fcs[1]])) + 256,
        4 => u64::from(u32::from_le_bytes([fcs[0], fcs[1], fcs[2], fcs[3]])),
        _ => u64::from_le_bytes(fcs.try_into().ok()?),
    })
}
