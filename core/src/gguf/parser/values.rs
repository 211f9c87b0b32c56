//! Metadata values for [`GgufParser`]. In: value types and completed
//! primitives or strings. Out: scalars, strings cut at their limit, arrays
//! with their first elements (the rest skipped without being stored), filed
//! under their key or in their enclosing array's head; every kept byte is
//! charged to the retained budget.

use super::{GgufParser, Phase};
use crate::gguf::error::GgufError;
use crate::gguf::info::GgufKv;
use crate::gguf::value::{GgufArray, GgufString, GgufValue, GgufValueType};
use std::mem::size_of;

impl GgufParser {
    /// Whether the value being read is kept (top-level, or in a kept head).
    pub(super) fn keeping(&self) -> bool {
        self.stack
            .last()
            .is_none_or(|f| f.keep && f.head.len() < self.limits.max_array_head)
    }

    pub(super) fn charge(&mut self, bytes: usize) -> Result<(), GgufError> {
        self.retained = self.retained.saturating_add(bytes);
        if self.retained > self.limits.max_retained_bytes {
            return Err(GgufError::RetainedTooLarge {
                limit: self.limits.max_retained_bytes,
                at_offset: self.offset,
            });
        }
        Ok(())
    }

    /// The kept string bytes, cut back to a whole character when cut short.
    pub(super) fn take_text(&mut self) -> GgufString {
        let truncated = (self.text.len() as u64) < self.text_len;
        let bytes = if truncated {
            cut_partial_char(&self.text)
        } else {
            &self.text
        };
        let text = String::from_utf8_lossy(bytes).into_owned();
        self.text.clear();
        GgufString {
            text,
            len: self.text_len,
            truncated,
        }
    }

    pub(super) fn begin_value(&mut self, ty: GgufValueType) -> Result<(), GgufError> {
        match ty.fixed_size() {
            Some(n) => self.want_prim(n, Phase::Scalar(ty)),
            None if ty == GgufValueType::String => self.want_prim(8, Phase::StrLen),
            None => {
                if self.stack.len() >= self.limits.max_array_depth {
                    return Err(GgufError::NestingTooDeep {
                        key: self.key.clone(),
                        limit: self.limits.max_array_depth,
                        at_offset: self.offset,
                    });
                }
                self.want_prim(4, Phase::ArrType);
            }
        }
        Ok(())
    }

    /// Starts the next element of the innermost array, or closes it.
    pub(super) fn next_elem(&mut self) -> Result<(), GgufError> {
        let head_limit = self.limits.max_array_head;
        let Some(top) = self.stack.last_mut() else {
            return Ok(());
        };
        if top.seen >= top.len {
            let value = self.stack.pop().and_then(|f| {
                f.keep.then_some(GgufValue::Array(GgufArray {
                    elem_type: f.elem_type,
                    len: f.len,
                    head: f.head,
                }))
            });
            return self.end_value(value);
        }
        let ty = top.elem_type;
        let keeping = top.keep && top.head.len() < head_limit;
        if let (false, Some(size)) = (keeping, ty.fixed_size()) {
            let rest = top.len - top.seen;
            let Some(bytes) = rest.checked_mul(u64::from(size)) else {
                return Err(GgufError::ArrayTooLarge {
                    key: self.key.clone(),
                    len: top.len,
                    elem_size: size,
                    at_offset: self.offset,
                });
            };
            top.seen = top.len;
            self.want_skip(bytes, Phase::ArrSkip);
            return Ok(());
        }
        self.begin_value(ty)
    }

    /// Files a finished value (`None` when it is not kept). Its bytes were
    /// charged when its string was taken or its array head allocated.
    pub(super) fn end_value(&mut self, value: Option<GgufValue>) -> Result<(), GgufError> {
        let head_limit = self.limits.max_array_head;
        if self.stack.is_empty() {
            if let Some(value) = value {
                let key = std::mem::take(&mut self.key);
                self.charge(size_of::<GgufKv>() + key.capacity())?;
                self.info.metadata.push(GgufKv {
                    key,
                    key_len: self.key_len,
                    value,
                });
            }
            self.kv_index += 1;
            self.next_kv();
            return Ok(());
        }
        if let Some(top) = self.stack.last_mut() {
            if let Some(value) = value.filter(|_| top.keep && top.head.len() < head_limit) {
                top.head.push(value);
            }
            top.seen += 1;
        }
        self.next_elem()
    }
}

/// Drops an incomplete UTF-8 sequence at the end of `b` (a string cut at a
/// byte limit may end mid-character).
fn cut_partial_char(b: &[u8]) -> &[u8] {
    let start = b.len().saturating_sub(3);
    for i in (start..b.len()).rev() {
        let byte = b.get(i).copied().unwrap_or(0);
        if byte & 0xc0 != 0x80 {
            let need = match byte {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf7 => 4,
                _ => 1,
            };
            return if i + need > b.len() {
                b.get(..i).unwrap_or(b)
            } else {
                b
            };
        }
    }
    b
}
