//! The header grammar of [`GgufParser`]. In: a completed primitive or
//! string (magic, version, counts, keys, value types, tensor infos). Out:
//! the next want, an error with its offset, or the end of the header; and
//! the description of what was being read when input ran out.

use super::{Frame, GgufParser, Phase};
use crate::gguf::error::GgufError;
use crate::gguf::info::TensorInfo;
use crate::gguf::limits::{DIMS_CAPACITY, SPEC_MAX_KEY_LEN};
use crate::gguf::value::{GgufValue, GgufValueType};
use std::mem::size_of;

impl GgufParser {
    /// Acts on a completed want and sets the next one.
    pub(super) fn advance(&mut self) -> Result<(), GgufError> {
        match self.phase {
            Phase::Magic => {
                let p = self.prim;
                let found = [p[0], p[1], p[2], p[3]];
                if &found != b"GGUF" {
                    return Err(GgufError::BadMagic { found });
                }
                self.want_prim(4, Phase::Version);
            }
            Phase::Version => {
                let version = self.u32();
                match version {
                    2 | 3 => {}
                    1 => return Err(GgufError::Version1),
                    v if v & 0xffff == 0 => return Err(GgufError::BigEndian { raw: v }),
                    v => return Err(GgufError::UnsupportedVersion { version: v }),
                }
                self.info.version = version;
                self.want_prim(8, Phase::TensorCount);
            }
            Phase::TensorCount => {
                let n = self.u64();
                self.check_count("tensor count", n, self.limits.max_tensor_count)?;
                self.info.tensor_count = n;
                self.want_prim(8, Phase::KvCount);
            }
            Phase::KvCount => {
                let n = self.u64();
                self.check_count("metadata kv count", n, self.limits.max_kv_count)?;
                self.info.kv_count = n;
                self.counts_read = true;
                self.next_kv();
            }
            Phase::KeyLen => {
                let len = self.u64();
                self.check_count("metadata key length", len, SPEC_MAX_KEY_LEN)?;
                self.want_text(len, self.limits.max_key_len, Phase::Key);
            }
            Phase::Key => {
                let key = self.take_text();
                self.key_len = key.truncated.then_some(key.len);
                self.key = key.text;
                self.want_prim(4, Phase::ValueType);
            }
            Phase::ValueType => {
                let ty = self.value_type(self.u32())?;
                self.begin_value(ty)?;
            }
            Phase::Scalar(ty) => {
                let value = if self.keeping() {
                    GgufValue::from_le(ty, &self.prim)
                } else {
                    None
                };
                self.end_value(value)?;
            }
            Phase::StrLen => {
                let limit = if self.stack.is_empty() {
                    self.limits.max_string_len
                } else {
                    self.limits.max_array_string_len
                };
                let keep = if self.keeping() { limit } else { 0 };
                self.want_text(self.u64(), keep, Phase::Str);
            }
            Phase::Str => {
                let value = if self.keeping() {
                    let text = self.take_text();
                    self.charge(text.text.capacity())?;
                    Some(GgufValue::String(text))
                } else {
                    None
                };
                self.end_value(value)?;
            }
            Phase::ArrType => {
                self.pending_elem = self.value_type(self.u32())?;
                self.want_prim(8, Phase::ArrLen);
            }
            Phase::ArrLen => {
                let len = self.u64();
                let keep = self.keeping();
                let head_cap = if keep {
                    usize::try_from(len).map_or(self.limits.max_array_head, |l| {
                        l.min(self.limits.max_array_head)
                    })
                } else {
                    0
                };
                self.charge(head_cap * size_of::<GgufValue>())?;
                self.stack.push(Frame {
                    elem_type: self.pending_elem,
                    len,
                    seen: 0,
                    head: Vec::with_capacity(head_cap),
                    keep,
                });
                self.next_elem()?;
            }
            Phase::ArrSkip => self.next_elem()?,
            Phase::TensorNameLen => {
                self.want_text(
                    self.u64(),
                    self.limits.max_tensor_name_len,
                    Phase::TensorName,
                );
            }
            Phase::TensorName => {
                self.tensor_name = self.take_text().text;
                self.want_prim(4, Phase::NDims);
            }
            Phase::NDims => {
                let n_dims = self.u32();
                let max = self.limits.max_dims.min(DIMS_CAPACITY as u32);
                if n_dims > max {
                    return Err(GgufError::TooManyDims {
                        index: self.tensor_index,
                        name: self.tensor_name.clone(),
                        n_dims,
                        max,
                        at_offset: self.want_start,
                    });
                }
                self.n_dims = n_dims as usize;
                self.dim_index = 0;
                if n_dims == 0 {
                    self.want_prim(4, Phase::GgmlType);
                } else {
                    self.want_prim(8, Phase::Dim);
                }
            }
            Phase::Dim => {
                if let Some(d) = self.dims.get_mut(self.dim_index) {
                    *d = u64::from_le_bytes(self.prim);
                }
                self.dim_index += 1;
                if self.dim_index < self.n_dims {
                    self.want_prim(8, Phase::Dim);
                } else {
                    self.want_prim(4, Phase::GgmlType);
                }
            }
            Phase::GgmlType => {
                self.ggml_type = self.u32();
                self.want_prim(8, Phase::TensorOffset);
            }
            Phase::TensorOffset => self.end_tensor(self.u64())?,
            Phase::Done => {}
        }
        Ok(())
    }

    pub(super) fn check_count(
        &self,
        what: &'static str,
        value: u64,
        limit: u64,
    ) -> Result<(), GgufError> {
        if value > limit {
            return Err(GgufError::Implausible {
                what,
                value,
                limit,
                at_offset: self.want_start,
            });
        }
        Ok(())
    }

    pub(super) fn value_type(&self, type_id: u32) -> Result<GgufValueType, GgufError> {
        GgufValueType::from_id(type_id).ok_or_else(|| GgufError::InvalidValueType {
            key: self.key.clone(),
            type_id,
            at_offset: self.want_start,
        })
    }

    pub(super) fn next_kv(&mut self) {
        if self.kv_index < self.info.kv_count {
            self.want_prim(8, Phase::KeyLen);
        } else {
            self.next_tensor();
        }
    }

    pub(super) fn next_tensor(&mut self) {
        if self.tensor_index < self.info.tensor_count {
            self.want_prim(8, Phase::TensorNameLen);
        } else {
            self.info.parameter_count = Some(self.params);
            self.phase = Phase::Done;
        }
    }

    pub(super) fn end_tensor(&mut self, offset: u64) -> Result<(), GgufError> {
        let dims = self.dims.get(..self.n_dims).unwrap_or_default();
        let overflow = || GgufError::ElementCountOverflow {
            index: self.tensor_index,
            name: self.tensor_name.clone(),
            dims: dims.to_vec(),
        };
        let n = dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .ok_or_else(overflow)?;
        self.params = self.params.checked_add(n).ok_or_else(overflow)?;
        if self.info.tensors.len() < self.limits.max_tensor_infos {
            let info = TensorInfo {
                name: std::mem::take(&mut self.tensor_name),
                dims: dims.to_vec(),
                ggml_type: self.ggml_type,
                offset,
            };
            let cost = size_of::<TensorInfo>() + info.name.capacity() + 8 * info.dims.len();
            self.charge(cost)?;
            self.info.tensors.push(info);
        }
        self.tensor_index += 1;
        self.next_tensor();
        Ok(())
    }

    /// What was being read, for [`GgufError::Truncated`].
    pub(super) fn describe(&self) -> String {
        let kv = format!(
            "metadata entry #{} of {}",
            self.kv_index, self.info.kv_count
        );
        let tensor = format!(
            "tensor info #{} of {}",
            self.tensor_index, self.info.tensor_count
        );
        match self.phase {
            Phase::Magic => "the magic number \"GGUF\"".into(),
            Phase::Version => "the version".into(),
            Phase::TensorCount => "the tensor count".into(),
            Phase::KvCount => "the metadata kv count".into(),
            Phase::KeyLen | Phase::Key => format!("the key of {kv}"),
            Phase::ValueType => format!("the value type of key {:?} ({kv})", self.key),
            Phase::Scalar(_)
            | Phase::StrLen
            | Phase::Str
            | Phase::ArrType
            | Phase::ArrLen
            | Phase::ArrSkip => {
                let mut s = format!("the value of key {:?} ({kv})", self.key);
                match (self.stack.last(), self.phase) {
                    (Some(top), Phase::ArrSkip) => {
                        s += &format!(", skipping past the rest of its {} elements", top.len)
                    }
                    (Some(top), _) => s += &format!(", array element {} of {}", top.seen, top.len),
                    (None, _) => {}
                }
                s
            }
            Phase::TensorNameLen | Phase::TensorName => format!("the name of {tensor}"),
            Phase::NDims | Phase::Dim | Phase::GgmlType | Phase::TensorOffset => {
                format!("{tensor} ({:?})", self.tensor_name)
            }
            Phase::Done => "nothing (the header is complete)".into(),
        }
    }
}
