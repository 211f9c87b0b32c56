//! The push (sans-IO) GGUF header parser. In: the first bytes of a GGUF file,
//! in chunks of any size (one byte at a time works). Out: [`Progress`] after
//! each chunk, then a [`GgufInfo`] from [`GgufParser::finish`], or a
//! [`GgufError`] saying what is wrong and at which byte offset.
//!
//! Memory stays bounded whatever the file claims: the parser buffers at most
//! one primitive (8 bytes) or the kept part of one string
//! ([`GgufLimits::max_buffer_bytes`]), skips the rest of long strings and
//! arrays as it streams past them, and charges everything it keeps to
//! [`GgufLimits::max_retained_bytes`]. Invalid UTF-8 in keys, strings and
//! tensor names is decoded lossily (U+FFFD), never an error.

use super::error::GgufError;
use super::info::GgufInfo;
use super::limits::{GgufLimits, DIMS_CAPACITY};
use super::value::{GgufValue, GgufValueType};
use std::mem::size_of;

mod header;
mod values;

/// What [`GgufParser::feed`] reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The header is not complete: feed more bytes.
    NeedMore,
    /// The header is complete ([`GgufParser::consumed`] bytes long); any
    /// further bytes are tensor data and were not consumed.
    Done,
}

/// What the bytes being read are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Magic,
    Version,
    TensorCount,
    KvCount,
    KeyLen,
    Key,
    ValueType,
    Scalar(GgufValueType),
    StrLen,
    Str,
    ArrType,
    ArrLen,
    ArrSkip,
    TensorNameLen,
    TensorName,
    NDims,
    Dim,
    GgmlType,
    TensorOffset,
    Done,
}

/// How many bytes are wanted next and where they go.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// `n` (1..=8) bytes into `prim`.
    Prim(u8),
    /// A string body: `left` bytes still to come, of which `text` keeps
    /// the first ones up to `keep` bytes in all.
    Text { left: u64, keep: usize },
    /// Bytes to pass over.
    Skip(u64),
}

/// An array being read (arrays of arrays stack up to `max_array_depth`).
#[derive(Debug)]
struct Frame {
    elem_type: GgufValueType,
    len: u64,
    seen: u64,
    head: Vec<GgufValue>,
    /// Whether this array itself is kept (it is inside a kept head).
    keep: bool,
}

#[derive(Debug)]
enum Status {
    Running,
    Done,
    Failed(GgufError),
}

/// A GGUF header parser fed by its driver; see the module docs.
#[derive(Debug)]
pub struct GgufParser {
    limits: GgufLimits,
    status: Status,
    phase: Phase,
    want: Want,
    /// Bytes consumed so far (the offset in the file).
    offset: u64,
    /// Offset where the current `want` started.
    want_start: u64,
    prim: [u8; 8],
    prim_len: u8,
    text: Vec<u8>,
    text_len: u64,
    stack: Vec<Frame>,
    pending_elem: GgufValueType,
    info: GgufInfo,
    counts_read: bool,
    retained: usize,
    kv_index: u64,
    key: String,
    key_len: Option<u64>,
    tensor_index: u64,
    tensor_name: String,
    dims: [u64; DIMS_CAPACITY],
    n_dims: usize,
    dim_index: usize,
    ggml_type: u32,
    params: u64,
}

impl Default for GgufParser {
    fn default() -> Self {
        Self::new()
    }
}

/// Parses a whole header held in memory (a convenience over [`GgufParser`]).
pub fn parse(bytes: &[u8]) -> Result<GgufInfo, GgufError> {
    let mut parser = GgufParser::new();
    parser.feed(bytes)?;
    parser.finish()
}

impl GgufParser {
    pub fn new() -> Self {
        Self::with_limits(GgufLimits::default())
    }

    pub fn with_limits(limits: GgufLimits) -> Self {
        Self {
            limits,
            status: Status::Running,
            phase: Phase::Magic,
            want: Want::Prim(4),
            offset: 0,
            want_start: 0,
            prim: [0; 8],
            prim_len: 0,
            text: Vec::new(),
            text_len: 0,
            stack: Vec::new(),
            pending_elem: GgufValueType::U8,
            info: GgufInfo {
                version: 0,
                tensor_count: 0,
                kv_count: 0,
                metadata: Vec::new(),
                tensors: Vec::new(),
                parameter_count: None,
                header_len: 0,
                complete: false,
            },
            counts_read: false,
            retained: 0,
            kv_index: 0,
            key: String::new(),
            key_len: None,
            tensor_index: 0,
            tensor_name: String::new(),
            dims: [0; DIMS_CAPACITY],
            n_dims: 0,
            dim_index: 0,
            ggml_type: 0,
            params: 0,
        }
    }

    pub fn limits(&self) -> &GgufLimits {
        &self.limits
    }

    /// Bytes consumed so far; once [`Progress::Done`], the header length.
    pub fn consumed(&self) -> u64 {
        self.offset
    }

    pub fn is_done(&self) -> bool {
        matches!(self.status, Status::Done)
    }

    /// Capacity in bytes of the parser's working buffers (not counting what
    /// it keeps): stays within [`GgufLimits::max_buffer_bytes`] plus a
    /// small stack.
    pub fn buffer_capacity(&self) -> usize {
        self.text.capacity() + self.stack.capacity() * size_of::<Frame>()
    }

    /// Approximate bytes kept so far (charged to `max_retained_bytes`).
    pub fn retained_bytes(&self) -> usize {
        self.retained
    }

    /// Consumes bytes of `chunk` up to the end of the header. After `Done`
    /// or an error, further calls consume nothing and repeat the outcome.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Progress, GgufError> {
        match &self.status {
            Status::Done => return Ok(Progress::Done),
            Status::Failed(e) => return Err(e.clone()),
            Status::Running => {}
        }
        let mut input = chunk;
        loop {
            if self.want_met() {
                if let Err(e) = self.advance() {
                    self.status = Status::Failed(e.clone());
                    return Err(e);
                }
                if self.phase == Phase::Done {
                    self.status = Status::Done;
                    self.info.complete = true;
                    self.info.header_len = self.offset;
                    return Ok(Progress::Done);
                }
                continue;
            }
            if input.is_empty() {
                return Ok(Progress::NeedMore);
            }
            let n = self.take(input);
            input = input.get(n..).unwrap_or_default();
            self.offset += n as u64;
        }
    }

    /// The header once complete; otherwise the error met, or
    /// [`GgufError::Truncated`] saying where the input stopped.
    pub fn finish(self) -> Result<GgufInfo, GgufError> {
        match self.status {
            Status::Done => Ok(self.info),
            Status::Failed(e) => Err(e),
            Status::Running => Err(GgufError::Truncated {
                at_offset: self.offset,
                while_reading: self.describe(),
            }),
        }
    }

    /// Whatever was read, complete or not (for a driver that stopped at a
    /// byte limit): `None` before the magic, version and counts were read.
    /// Metadata holds the pairs read whole; `parameter_count` is `None`
    /// unless every tensor info was read.
    pub fn into_partial(mut self) -> Option<GgufInfo> {
        if !self.counts_read {
            return None;
        }
        if !self.is_done() {
            self.info.header_len = self.offset;
        }
        Some(self.info)
    }

    fn want_met(&self) -> bool {
        match self.want {
            Want::Prim(n) => self.prim_len == n,
            Want::Text { left, .. } | Want::Skip(left) => left == 0,
        }
    }

    /// Takes what the current want needs from `input`; returns the count.
    fn take(&mut self, input: &[u8]) -> usize {
        let avail = input.len();
        match &mut self.want {
            Want::Prim(n) => {
                let at = usize::from(self.prim_len);
                let k = (usize::from(*n) - at).min(avail);
                if let (Some(dst), Some(src)) = (self.prim.get_mut(at..at + k), input.get(..k)) {
                    dst.copy_from_slice(src);
                }
                self.prim_len += k as u8;
                k
            }
            Want::Text { left, keep } => {
                let k = usize::try_from(*left).unwrap_or(usize::MAX).min(avail);
                let room = keep.saturating_sub(self.text.len()).min(k);
                self.text
                    .extend_from_slice(input.get(..room).unwrap_or_default());
                *left -= k as u64;
                k
            }
            Want::Skip(left) => {
                let k = usize::try_from(*left).unwrap_or(usize::MAX).min(avail);
                *left -= k as u64;
                k
            }
        }
    }

    fn want_prim(&mut self, n: u8, phase: Phase) {
        self.want = Want::Prim(n);
        self.prim_len = 0;
        self.phase = phase;
        self.want_start = self.offset;
    }

    fn want_text(&mut self, len: u64, keep_limit: usize, phase: Phase) {
        let keep = usize::try_from(len).map_or(keep_limit, |l| l.min(keep_limit));
        self.text.clear();
        self.text.reserve_exact(keep);
        self.text_len = len;
        self.want = Want::Text { left: len, keep };
        self.phase = phase;
        self.want_start = self.offset;
    }

    fn want_skip(&mut self, bytes: u64, phase: Phase) {
        self.want = Want::Skip(bytes);
        self.phase = phase;
        self.want_start = self.offset;
    }

    fn u32(&self) -> u32 {
        let p = self.prim;
        u32::from_le_bytes([p[0], p[1], p[2], p[3]])
    }

    fn u64(&self) -> u64 {
        u64::from_le_bytes(self.prim)
    }
}
