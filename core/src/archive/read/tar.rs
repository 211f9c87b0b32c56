//! A push tar parser. In: the uncompressed tar stream in chunks of any
//! size. Out: [`Event`]s through a callback, entry data passed on without a
//! copy. Headers are parsed with `tar::Header` (ustar, GNU base-256 sizes,
//! v7); PAX `x` records and GNU `L`/`K` long names apply to the next entry,
//! PAX `g` and volume labels are skipped. Every header's checksum is
//! checked; links, devices, FIFOs, sparse files and unsafe names are
//! refused as soon as the header is read. The end is two zero blocks; what
//! follows, if not zeros, is reported once as [`Event::Trailing`].

use super::error::ReadError;
use super::event::{EntryInfo, EntryKind, Event};
use super::path;
use super::pax::{self, Overrides, MAX_EXTENDED};
use crate::archive::header::{padding, BLOCK};

enum Ext {
    Pax,
    LongName,
    LongLink,
}

enum State {
    /// Collecting a header block (`zeros`: zero blocks just before it).
    Header {
        zeros: u8,
    },
    Data {
        remaining: u64,
        pad: u64,
    },
    Extended {
        ext: Ext,
        buf: Vec<u8>,
        remaining: u64,
        pad: u64,
        offset: u64,
    },
    Skip {
        remaining: u64,
    },
    End,
}

pub struct TarParser {
    state: State,
    block: [u8; BLOCK],
    filled: usize,
    /// Tar bytes consumed so far.
    offset: u64,
    overrides: Overrides,
    entry: EntryInfo,
    /// The tar stream's total length, when known (plain archives).
    limit: Option<u64>,
    trailing_sent: bool,
}

impl TarParser {
    pub fn new(limit: Option<u64>) -> Self {
        Self {
            state: State::Header { zeros: 0 },
            block: [0; BLOCK],
            filled: 0,
            offset: 0,
            overrides: Overrides::default(),
            entry: EntryInfo {
                path: String::new(),
                kind: EntryKind::File,
                size: 0,
                size_known: true,
                mtime: 0,
                offset: 0,
            },
            limit,
            trailing_sent: false,
        }
    }

    pub fn is_ended(&self) -> bool {
        matches!(self.state, State::End)
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn push(
        &mut self,
        mut input: &[u8],
        out: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), ReadError> {
        while !input.is_empty() {
            let n = match &mut self.state {
                State::Header { .. } => {
                    let n = (BLOCK - self.filled).min(input.len());
                    self.block[self.filled..self.filled + n].copy_from_slice(&input[..n]);
                    self.filled += n;
                    n
                }
                State::Data { remaining, .. } | State::Skip { remaining } => {
                    let n = (*remaining).min(input.len() as u64) as usize;
                    *remaining -= n as u64;
                    n
                }
                State::Extended { buf, remaining, .. } => {
                    let n = (*remaining).min(input.len() as u64) as usize;
                    buf.extend_from_slice(&input[..n]);
                    *remaining -= n as u64;
                    n
                }
                State::End => {
                    if let Some(p) = input
                        .iter()
                        .position(|&b| b != 0)
                        .filter(|_| !self.trailing_sent)
                    {
                        self.trailing_sent = true;
                        out(Event::Trailing {
                            offset: self.offset + p as u64,
                        });
                    }
                    input.len()
                }
            };
            if matches!(self.state, State::Data { .. }) && n > 0 {
                out(Event::Data(&input[..n]));
            }
            self.offset += n as u64;
            input = &input[n..];
            self.step(out)?;
        }
        Ok(())
    }

    /// Moves on once the current state has all it waits for.
    fn step(&mut self, out: &mut dyn FnMut(Event<'_>)) -> Result<(), ReadError> {
        match &mut self.state {
            State::Header { zeros } if self.filled == BLOCK => {
                let zeros = *zeros;
                self.filled = 0;
                self.on_block(zeros, out)
            }
            State::Data { remaining: 0, pad } => {
                let pad = *pad;
                out(Event::EntryEnd);
                self.state = State::Skip { remaining: pad };
                Ok(())
            }
            State::Skip { remaining: 0 } => {
                self.state = State::Header { zeros: 0 };
                Ok(())
            }
            State::Extended { remaining: 0, .. } => {
                let State::Extended {
                    ext,
                    buf,
                    pad,
                    offset,
                    ..
                } = std::mem::replace(&mut self.state, State::Skip { remaining: 0 })
                else {
                    return Ok(());
                };
                match ext {
                    Ext::Pax => self.overrides.apply_pax(&buf, offset)?,
                    Ext::LongName => self.overrides.path = Some(pax::long_name(&buf)),
                    Ext::LongLink => self.overrides.link = Some(pax::long_name(&buf)),
                }
                self.state = State::Skip { remaining: pad };
                self.step(out)
            }
            _ => Ok(()),
        }
    }

    fn on_block(&mut self, zeros: u8, out: &mut dyn FnMut(Event<'_>)) -> Result<(), ReadError> {
        let offset = self.offset - BLOCK as u64;
        if self.block.iter().all(|&b| b == 0) {
            if !self.overrides.is_empty() {
                return Err(bad(
                    offset,
                    "an extended header is followed by the end marker",
                ));
            }
            if zeros == 1 {
                self.state = State::End;
                out(Event::End);
            } else {
                self.state = State::Header { zeros: 1 };
            }
            return Ok(());
        }
        if zeros == 1 {
            // GNU tar stops at a lone zero block; so do we, and say so.
            self.state = State::End;
            self.trailing_sent = true;
            out(Event::End);
            out(Event::Trailing {
                offset: offset - BLOCK as u64,
            });
            return Ok(());
        }
        if !checksum_ok(&self.block) {
            return Err(if offset == 0 {
                ReadError::NotAnArchive
            } else {
                ReadError::BadChecksum { offset }
            });
        }
        let header = tar::Header::from_byte_slice(&self.block);
        let type_byte = self.block[156];
        let size = header
            .entry_size()
            .map_err(|e| bad(offset, &format!("size field: {e}")))?;
        let data_blocks = |size: u64| padding(size) as u64;
        let extended = match type_byte {
            b'x' => Some(Ext::Pax),
            b'L' => Some(Ext::LongName),
            b'K' => Some(Ext::LongLink),
            b'g' | b'V' => {
                self.state = State::Skip {
                    remaining: size.saturating_add(data_blocks(size)),
                };
                return Ok(());
            }
            _ => None,
        };
        if let Some(ext) = extended {
            if size > MAX_EXTENDED {
                return Err(ReadError::HeaderTooLarge {
                    offset,
                    size,
                    limit: MAX_EXTENDED,
                });
            }
            self.state = State::Extended {
                ext,
                buf: Vec::with_capacity(size as usize),
                remaining: size,
                pad: data_blocks(size),
                offset,
            };
            return self.step(out);
        }
        let overrides = std::mem::take(&mut self.overrides);
        let raw = overrides
            .path
            .unwrap_or_else(|| header.path_bytes().into_owned());
        let path = path::normalise(&raw)?;
        let entry = || path::display(&raw);
        let target = || {
            let link = overrides.link.clone();
            path::display(
                &link.unwrap_or_else(|| header.link_name_bytes().unwrap_or_default().into_owned()),
            )
        };
        let kind = match type_byte {
            b'0' | 0 | b'7' if raw.ends_with(b"/") => EntryKind::Dir,
            b'0' | 0 | b'7' => EntryKind::File,
            b'5' | b'D' => EntryKind::Dir,
            b'1' => {
                return Err(ReadError::HardLink {
                    entry: entry(),
                    target: target(),
                })
            }
            b'2' => {
                return Err(ReadError::Symlink {
                    entry: entry(),
                    target: target(),
                })
            }
            b'3' | b'4' => return Err(ReadError::Device { entry: entry() }),
            b'6' => return Err(ReadError::Fifo { entry: entry() }),
            other => {
                let what = match other {
                    b'S' => "a GNU sparse file",
                    b'M' => "a multi-volume continuation",
                    b'N' => "an old GNU long-name record",
                    _ => "unknown",
                };
                return Err(ReadError::UnsupportedEntry {
                    entry: entry(),
                    type_byte: other,
                    what,
                });
            }
        };
        if overrides.sparse {
            return Err(ReadError::UnsupportedEntry {
                entry: entry(),
                type_byte,
                what: "a PAX sparse file",
            });
        }
        if kind == EntryKind::File && path.is_empty() {
            return Err(bad(offset, "a file entry without a name"));
        }
        let size = overrides.size.unwrap_or(size);
        if let Some(limit) = self.limit {
            let available = limit.saturating_sub(self.offset);
            if size > available {
                return Err(ReadError::BeyondArchive {
                    entry: entry(),
                    size,
                    available,
                });
            }
        }
        self.entry = EntryInfo {
            path,
            kind,
            size: if kind == EntryKind::Dir { 0 } else { size },
            size_known: true,
            mtime: header.mtime().unwrap_or(0),
            offset,
        };
        out(Event::Entry(&self.entry));
        let pad = data_blocks(size);
        self.state = match kind {
            EntryKind::File => State::Data {
                remaining: size,
                pad,
            },
            EntryKind::Dir => {
                out(Event::EntryEnd);
                State::Skip {
                    remaining: size.saturating_add(pad),
                }
            }
        };
        self.step(out)
    }

    /// Checks that the stream ended where a tar archive may end.
    pub fn finish(&self) -> Result<(), ReadError> {
        match &self.state {
            State::End => Ok(()),
            State::Header { zeros: 0 } if self.offset == 0 => Err(ReadError::NotAnArchive),
            State::Data { .. } => Err(ReadError::Truncated {
                entry: Some(self.entry.path.clone()),
            }),
            _ => Err(ReadError::Truncated { entry: None }),
        }
    }
}

fn bad(offset: u64, reason: &str) -> ReadError {
    ReadError::BadHeader {
        offset,
        reason: reason.to_string(),
    }
}

/// The stored checksum equals the sum of the header's bytes with the
/// checksum field read as spaces (unsigned, or signed as old tars did).
fn checksum_ok(block: &[u8; BLOCK]) -> bool {
    let field = &block[148..156];
    let text: String = field
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| b as char)
        .collect();
    let Ok(stored) = u64::from_str_radix(text.trim(), 8) else {
        return false;
    };
    let (mut unsigned, mut signed) = (0u64, 0i64);
    for (i, &b) in block.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += u64::from(b);
        signed += i64::from(b as i8);
    }
    stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed)
}
