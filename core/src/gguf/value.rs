//! GGUF metadata values. In: the type ids and bytes the parser decoded. Out:
//! [`GgufValueType`] (ids 0–12, with gguf-py's names) and [`GgufValue`], whose
//! JSON form is natural: numbers, bools, strings, and arrays as
//! `{"type":"STRING","len":128256,"head":[...]}` (only the first few
//! elements are kept). A string cut at a limit serialises as
//! `{"text":..,"len":..,"truncated":true}`.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// A GGUF value type id (`gguf_type` in ggml, `GGUFValueType` in gguf-py).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GgufValueType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F32,
    Bool,
    String,
    Array,
    U64,
    I64,
    F64,
}

impl GgufValueType {
    /// The type for an on-disk id, or `None` for an unknown id.
    pub fn from_id(id: u32) -> Option<Self> {
        use GgufValueType::*;
        Some(match id {
            0 => U8,
            1 => I8,
            2 => U16,
            3 => I16,
            4 => U32,
            5 => I32,
            6 => F32,
            7 => Bool,
            8 => String,
            9 => Array,
            10 => U64,
            11 => I64,
            12 => F64,
            _ => return None,
        })
    }

    /// The on-disk id.
    pub fn id(self) -> u32 {
        use GgufValueType::*;
        match self {
            U8 => 0,
            I8 => 1,
            U16 => 2,
            I16 => 3,
            U32 => 4,
            I32 => 5,
            F32 => 6,
            Bool => 7,
            String => 8,
            Array => 9,
            U64 => 10,
            I64 => 11,
            F64 => 12,
        }
    }

    /// The name gguf-py and the spec use: `UINT8` … `FLOAT64`.
    pub fn name(self) -> &'static str {
        use GgufValueType::*;
        match self {
            U8 => "UINT8",
            I8 => "INT8",
            U16 => "UINT16",
            I16 => "INT16",
            U32 => "UINT32",
            I32 => "INT32",
            F32 => "FLOAT32",
            Bool => "BOOL",
            String => "STRING",
            Array => "ARRAY",
            U64 => "UINT64",
            I64 => "INT64",
            F64 => "FLOAT64",
        }
    }

    /// Encoded size in bytes of a fixed-size type; `None` for strings and arrays.
    pub fn fixed_size(self) -> Option<u8> {
        use GgufValueType::*;
        match self {
            U8 | I8 | Bool => Some(1),
            U16 | I16 => Some(2),
            U32 | I32 | F32 => Some(4),
            U64 | I64 | F64 => Some(8),
            String | Array => None,
        }
    }
}

impl Serialize for GgufValueType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A string value: at most a limit of its bytes is kept (decoded as lossy
/// UTF-8: invalid sequences become U+FFFD), with its true byte length.
#[derive(Debug, Clone, PartialEq)]
pub struct GgufString {
    /// The kept text (all of it unless `truncated`).
    pub text: String,
    /// The length in bytes stored in the file.
    pub len: u64,
    /// True when only the first bytes were kept.
    pub truncated: bool,
}

impl Serialize for GgufString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !self.truncated {
            return s.serialize_str(&self.text);
        }
        let mut st = s.serialize_struct("GgufString", 3)?;
        st.serialize_field("text", &self.text)?;
        st.serialize_field("len", &self.len)?;
        st.serialize_field("truncated", &true)?;
        st.end()
    }
}

/// An array value: its element type, its true length and its first elements.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GgufArray {
    #[serde(rename = "type")]
    pub elem_type: GgufValueType,
    pub len: u64,
    /// The first `min(len, limits.max_array_head)` elements.
    pub head: Vec<GgufValue>,
}

/// One metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum GgufValue {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    String(GgufString),
    Array(GgufArray),
    U64(u64),
    I64(i64),
    F64(f64),
}

impl GgufValue {
    /// Decodes a fixed-size value from its little-endian bytes (`bytes` holds
    /// at least `ty.fixed_size()` bytes). `None` for strings and arrays.
    pub(crate) fn from_le(ty: GgufValueType, b: &[u8; 8]) -> Option<Self> {
        use GgufValueType as T;
        let b2 = [b[0], b[1]];
        let b4 = [b[0], b[1], b[2], b[3]];
        Some(match ty {
            T::U8 => Self::U8(b[0]),
            T::I8 => Self::I8(i8::from_le_bytes([b[0]])),
            T::Bool => Self::Bool(b[0] != 0),
            T::U16 => Self::U16(u16::from_le_bytes(b2)),
            T::I16 => Self::I16(i16::from_le_bytes(b2)),
            T::U32 => Self::U32(u32::from_le_bytes(b4)),
            T::I32 => Self::I32(i32::from_le_bytes(b4)),
            T::F32 => Self::F32(f32::from_le_bytes(b4)),
            T::U64 => Self::U64(u64::from_le_bytes(*b)),
            T::I64 => Self::I64(i64::from_le_bytes(*b)),
            T::F64 => Self::F64(f64::from_le_bytes(*b)),
            T::String | T::Array => return None,
        })
    }

    /// The value's type.
    pub fn value_type(&self) -> GgufValueType {
        use GgufValueType as T;
        match self {
            Self::U8(_) => T::U8,
            Self::I8(_) => T::I8,
            Self::U16(_) => T::U16,
            Self::I16(_) => T::I16,
            Self::U32(_) => T::U32,
            Self::I32(_) => T::I32,
            Self::F32(_) => T::F32,
            Self::Bool(_) => T::Bool,
            Self::String(_) => T::String,
            Self::Array(_) => T::Array,
            Self::U64(_) => T::U64,
            Self::I64(_) => T::I64,
            Self::F64(_) => T::F64,
        }
    }

    /// Any integer type as `u64`; `None` for negatives and non-integers.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Self::U8(v) => Some(v.into()),
            Self::U16(v) => Some(v.into()),
            Self::U32(v) => Some(v.into()),
            Self::U64(v) => Some(v),
            Self::I8(v) => u64::try_from(v).ok(),
            Self::I16(v) => u64::try_from(v).ok(),
            Self::I32(v) => u64::try_from(v).ok(),
            Self::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// Any integer type as `i64`; `None` for `u64` above `i64::MAX` and non-integers.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Self::I8(v) => Some(v.into()),
            Self::I16(v) => Some(v.into()),
            Self::I32(v) => Some(v.into()),
            Self::I64(v) => Some(v),
            _ => self.as_u64().and_then(|v| i64::try_from(v).ok()),
        }
    }

    /// Floats (and integers) as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Self::F32(v) => Some(v.into()),
            Self::F64(v) => Some(v),
            _ => self.as_i64().map(|v| v as f64),
        }
    }

    /// The kept text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(&s.text),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&GgufArray> {
        match self {
            Self::Array(a) => Some(a),
            _ => None,
        }
    }
}

impl Serialize for GgufValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::U8(v) => v.serialize(s),
            Self::I8(v) => v.serialize(s),
            Self::U16(v) => v.serialize(s),
            Self::I16(v) => v.serialize(s),
            Self::U32(v) => v.serialize(s),
            Self::I32(v) => v.serialize(s),
            Self::F32(v) => v.serialize(s),
            Self::Bool(v) => v.serialize(s),
            Self::String(v) => v.serialize(s),
            Self::Array(v) => v.serialize(s),
            Self::U64(v) => v.serialize(s),
            Self::I64(v) => v.serialize(s),
            Self::F64(v) => v.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_ids_are_none() {
        for id in 0..13 {
            let ty = GgufValueType::from_id(id).expect("known id");
            assert_eq!(ty.id(), id);
        }
        assert_eq!(GgufValueType::from_id(13), None);
        assert_eq!(GgufValueType::from_id(u32::MAX), None);
    }

    #[test]
    fn integer_conversions() {
        assert_eq!(GgufValue::I32(-1).as_u64(), None);
        assert_eq!(GgufValue::I32(7).as_u64(), Some(7));
        assert_eq!(GgufValue::U8(7).as_i64(), Some(7));
        assert_eq!(GgufValue::I8(-7).as_i64(), Some(-7));
        assert_eq!(GgufValue::U64(u64::MAX).as_i64(), None);
        assert_eq!(GgufValue::F32(1.0).as_u64(), None);
        assert_eq!(GgufValue::Bool(true).as_u64(), None);
    }

    #[test]
    fn json_form_is_natural() {
        let arr = GgufValue::Array(GgufArray {
            elem_type: GgufValueType::String,
            len: 3,
            head: vec![GgufValue::String(GgufString {
                text: "a".into(),
                len: 1,
                truncated: false,
            })],
        });
        let json = serde_json::to_string(&arr).expect("serialises");
        assert_eq!(json, r#"{"type":"STRING","len":3,"head":["a"]}"#);
        let cut = GgufValue::String(GgufString {
            text: "ab".into(),
            len: 10,
            truncated: true,
        });
        let json = serde_json::to_string(&cut).expect("serialises");
        assert_eq!(json, r#"{"text":"ab","len":10,"truncated":true}"#);
    }
}
