//! Hostile and malformed input. In: headers built byte by byte here (wrong
//! magic, version 1, huge counts and lengths, bad type ids, too many dims,
//! deep nesting, invalid UTF-8). Out: the right error, with its offset and
//! key, and no allocation driven by what the file claims.

use super::*;
use crate::testing::random_chunks;

/// A little-endian byte builder for hand-made headers.
#[derive(Default)]
struct B(Vec<u8>);

impl B {
    fn header(version: u32, tensors: u64, kvs: u64) -> Self {
        let mut b = Self::default();
        b.raw(b"GGUF").u32(version).u64(tensors).u64(kvs);
        b
    }
    fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.raw(&v.to_le_bytes())
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.raw(&v.to_le_bytes())
    }
    fn str(&mut self, s: &str) -> &mut Self {
        self.u64(s.len() as u64).raw(s.as_bytes())
    }
    /// A key and the type id of its value.
    fn key(&mut self, key: &str, type_id: u32) -> &mut Self {
        self.str(key).u32(type_id)
    }
}

/// Feeds `data` in random chunks with `limits`; checks the buffer bound and
/// returns the outcome of the last feed and the parser.
fn run(data: &[u8], limits: GgufLimits) -> (Result<Progress, GgufError>, GgufParser) {
    let mut p = GgufParser::with_limits(limits);
    let bound = p.limits().max_buffer_bytes() + 1024;
    let mut last = Ok(Progress::NeedMore);
    for chunk in random_chunks(data, 7, 4096) {
        last = p.feed(chunk);
        assert!(
            p.buffer_capacity() <= bound,
            "buffer grew to {}",
            p.buffer_capacity()
        );
        if last != Ok(Progress::NeedMore) {
            break;
        }
    }
    (last, p)
}

fn err(data: &[u8]) -> GgufError {
    match run(data, GgufLimits::default()) {
        (Err(e), p) => {
            assert_eq!(p.finish(), Err(e.clone()), "finish repeats the error");
            e
        }
        (ok, _) => panic!("expected an error, got {ok:?}"),
    }
}

/// Expects NeedMore after all of `data`, small memory, then Truncated.
fn truncated(data: &[u8]) -> String {
    let (last, p) = run(data, GgufLimits::default());
    assert_eq!(last, Ok(Progress::NeedMore));
    assert!(
        p.retained_bytes() < 64 * 1024,
        "kept {} bytes",
        p.retained_bytes()
    );
    match p.finish() {
        Err(GgufError::Truncated {
            at_offset,
            while_reading,
        }) => {
            assert_eq!(at_offset, data.len() as u64);
            while_reading
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[test]
fn wrong_magic() {
    let e = err(b"GGML\x03\0\0\0");
    assert_eq!(e, GgufError::BadMagic { found: *b"GGML" });
    assert!(e.to_string().contains("not a GGUF file"));
    assert!(matches!(err(b"\0\0\0\0"), GgufError::BadMagic { .. }));
}

#[test]
fn versions() {
    let e = err(&B::header(1, 0, 0).0);
    assert_eq!(e, GgufError::Version1);
    assert!(e.to_string().contains("version 1"));
    assert_eq!(
        err(&B::header(4, 0, 0).0),
        GgufError::UnsupportedVersion { version: 4 }
    );
    assert_eq!(err(&B::header(0, 0, 0).0), GgufError::BigEndian { raw: 0 });
    let e = err(&B::header(3u32.swap_bytes(), 0, 0).0);
    assert_eq!(e, GgufError::BigEndian { raw: 0x0300_0000 });
    for v in [2, 3] {
        assert_eq!(parse(&B::header(v, 0, 0).0).map(|i| i.version), Ok(v));
    }
}

#[test]
fn implausible_counts_are_refused_before_anything_is_allocated() {
    for kvs in [(1 << 20) + 1, u64::MAX] {
        let e = err(&B::header(3, 0, kvs).0);
        assert!(
            matches!(
                e,
                GgufError::Implausible {
                    what: "metadata kv count",
                    at_offset: 16,
                    ..
                }
            ),
            "{e}"
        );
    }
    let e = err(&B::header(3, (1 << 24) + 1, 0).0);
    assert!(
        matches!(
            e,
            GgufError::Implausible {
                what: "tensor count",
                at_offset: 8,
                ..
            }
        ),
        "{e}"
    );
    // the largest plausible counts allocate nothing up front
    let while_reading = truncated(&B::header(3, 1 << 24, 1 << 20).0);
    assert!(
        while_reading.contains("key of metadata entry #0 of 1048576"),
        "{while_reading}"
    );
}

#[test]
fn huge_key_length_is_an_error_long_keys_are_cut() {
    let mut b = B::header(3, 0, 1);
    b.u64(1 << 62);
    let e = err(&b.0);
    assert!(
        matches!(
            e,
            GgufError::Implausible {
                what: "metadata key length",
                at_offset: 24,
                ..
            }
        ),
        "{e}"
    );
    let long = "k".repeat(65_535);
    let mut b = B::header(3, 0, 1);
    b.key(&long, 4).u32(7);
    let info = parse(&b.0).expect("parses");
    assert_eq!(info.metadata[0].key.len(), 1024);
    assert_eq!(info.metadata[0].key_len, Some(65_535));
}

#[test]
fn huge_string_value_streams_past_in_bounded_memory() {
    let mut b = B::header(3, 0, 1);
    b.key("general.name", 8).u64(1 << 62);
    b.raw(&vec![b'a'; 3 << 20]);
    let while_reading = truncated(&b.0);
    assert!(
        while_reading.contains("\"general.name\""),
        "{while_reading}"
    );
}

#[test]
fn huge_arrays_stream_past_in_bounded_memory() {
    // 2^62 bytes: skipped as they come
    let mut b = B::header(3, 0, 1);
    b.key("a.bytes", 9)
        .u32(0)
        .u64(1 << 62)
        .raw(&vec![1; 2 << 20]);
    let while_reading = truncated(&b.0);
    assert!(
        while_reading.contains("\"a.bytes\"") && while_reading.contains("skipping past"),
        "{while_reading}"
    );
    // 2^62 strings: each walked past, only the head kept
    let mut b = B::header(3, 0, 1);
    b.key("tokenizer.ggml.tokens", 9).u32(8).u64(1 << 62);
    for i in 0..100_000 {
        b.str(&format!("t{i}"));
    }
    let while_reading = truncated(&b.0);
    assert!(
        while_reading.contains("element 100000 of 4611686018427387904"),
        "{while_reading}"
    );
    // 2^62 u64s would be more than 2^64 bytes
    let mut b = B::header(3, 0, 1);
    b.key("a.u64s", 9).u32(10).u64(1 << 62);
    (0..8).for_each(|i| {
        b.u64(i);
    });
    let e = err(&b.0);
    assert!(
        matches!(&e, GgufError::ArrayTooLarge { key, len, elem_size: 8, .. } if key == "a.u64s" && *len == 1 << 62),
        "{e}"
    );
}

#[test]
fn invalid_type_ids_name_the_key() {
    let mut b = B::header(3, 0, 2);
    b.key("a.ok", 4).u32(1).key("a.bad", 99);
    let e = err(&b.0);
    let at = b.0.len() as u64 - 4;
    assert_eq!(
        e,
        GgufError::InvalidValueType {
            key: "a.bad".into(),
            type_id: 99,
            at_offset: at
        }
    );
    assert!(e.to_string().contains("\"a.bad\"") && e.to_string().contains(&at.to_string()));
    let mut b = B::header(3, 0, 1);
    b.key("a.arr", 9).u32(13);
    assert!(matches!(
        err(&b.0),
        GgufError::InvalidValueType { type_id: 13, .. }
    ));
}

fn nested(depth: usize) -> Vec<u8> {
    let mut b = B::header(3, 0, 1);
    b.key("a.nested", 9);
    for _ in 1..depth {
        b.u32(9).u64(1);
    }
    b.u32(4).u64(2).u32(5).u32(6);
    b.0
}

#[test]
fn nesting_is_bounded() {
    let info = parse(&nested(4)).expect("depth 4 is fine");
    let mut v = info.get("a.nested").expect("kept");
    for _ in 1..4 {
        v = &v.as_array().expect("array").head[0];
    }
    assert_eq!(
        v.as_array().map(|a| a.head.clone()),
        Some(vec![GgufValue::U32(5), GgufValue::U32(6)])
    );
    let e = err(&nested(5));
    assert!(
        matches!(&e, GgufError::NestingTooDeep { key, limit: 4, .. } if key == "a.nested"),
        "{e}"
    );
}

#[test]
fn empty_values() {
    let mut b = B::header(3, 0, 2);
    b.key("a.empty", 9).u32(8).u64(0).key("a.s", 8).str("");
    let info = parse(&b.0).expect("parses");
    let arr = info
        .get("a.empty")
        .and_then(GgufValue::as_array)
        .expect("array");
    assert_eq!(
        (arr.elem_type, arr.len, arr.head.len()),
        (GgufValueType::String, 0, 0)
    );
    assert_eq!(info.get_str("a.s"), Some(""));
}

fn tensor_header(n_dims: u32, dims: &[u64]) -> Vec<u8> {
    let mut b = B::header(3, 1, 0);
    b.str("blk.0.w").u32(n_dims);
    dims.iter().for_each(|&d| {
        b.u64(d);
    });
    b.u32(0).u64(0);
    b.0
}

#[test]
fn tensor_dims_are_checked() {
    let e = err(&tensor_header(1000, &[]));
    assert!(
        matches!(&e, GgufError::TooManyDims { n_dims: 1000, max: 4, index: 0, name, .. } if name == "blk.0.w"),
        "{e}"
    );
    assert!(matches!(
        err(&tensor_header(5, &[1; 5])),
        GgufError::TooManyDims { n_dims: 5, .. }
    ));
    let e = err(&tensor_header(3, &[1 << 32, 1 << 32, 2]));
    assert!(matches!(e, GgufError::ElementCountOverflow { .. }), "{e}");
    let info = parse(&tensor_header(0, &[])).expect("a scalar tensor");
    assert_eq!(info.parameter_count, Some(1));
    let info = parse(&tensor_header(4, &[2, 3, 4, 5])).expect("4 dims");
    assert_eq!(info.parameter_count, Some(120));
}

#[test]
fn many_tensors_are_counted_but_few_kept() {
    let n = 20_000u64;
    let mut b = B::header(3, n, 0);
    for i in 0..n {
        b.str(&format!("t{i}")).u32(2).u64(3).u64(i).u32(0).u64(0);
    }
    let limits = GgufLimits {
        max_tensor_infos: 10,
        ..GgufLimits::default()
    };
    let (last, p) = run(&b.0, limits);
    assert_eq!(last, Ok(Progress::Done));
    let info = p.finish().expect("parses");
    assert_eq!(info.tensors.len(), 10);
    assert_eq!(info.parameter_count, Some(3 * (n * (n - 1) / 2)));
}

#[test]
fn retained_memory_has_a_budget() {
    let mut b = B::header(3, 0, 100);
    for i in 0..100 {
        b.key(&format!("k.{i}"), 8).str(&"v".repeat(1000));
    }
    let limits = GgufLimits {
        max_retained_bytes: 20_000,
        ..GgufLimits::default()
    };
    match run(&b.0, limits) {
        (Err(GgufError::RetainedTooLarge { limit: 20_000, .. }), p) => {
            assert!(p.retained_bytes() < 22_000)
        }
        other => panic!("{:?}", other.0),
    }
}

#[test]
fn invalid_utf8_is_decoded_lossily_and_cuts_keep_whole_characters() {
    let mut b = B::header(3, 0, 2);
    b.u64(3).raw(b"a.\xff").u32(8).u64(3).raw(b"x\xffy");
    b.key("a.cut", 8).str("aé✓");
    let limits = GgufLimits {
        max_string_len: 4,
        ..GgufLimits::default()
    };
    let (last, p) = run(&b.0, limits);
    assert_eq!(last, Ok(Progress::Done));
    let info = p.finish().expect("parses");
    assert_eq!(info.get_str("a.\u{fffd}"), Some("x\u{fffd}y"));
    match info.get("a.cut") {
        Some(GgufValue::String(s)) => {
            assert_eq!((s.text.as_str(), s.len, s.truncated), ("aé", 6, true))
        }
        other => panic!("{other:?}"),
    }
    for (limit, want) in [(1, "a"), (2, "a"), (3, "aé"), (5, "aé"), (6, "aé✓")] {
        let mut b = B::header(3, 0, 1);
        b.key("a.cut", 8).str("aé✓");
        let limits = GgufLimits {
            max_string_len: limit,
            ..GgufLimits::default()
        };
        let (_, p) = run(&b.0, limits);
        let info = p.finish().expect("parses");
        assert_eq!(info.get_str("a.cut"), Some(want), "limit {limit}");
    }
}

#[test]
fn done_consumes_only_the_header_and_errors_are_sticky() {
    let mut b = B::header(3, 0, 1);
    b.key("general.architecture", 8).str("llama");
    let header_len = b.0.len() as u64;
    b.raw(b"tensor data follows");
    let mut p = GgufParser::new();
    assert_eq!(p.feed(&b.0), Ok(Progress::Done));
    assert_eq!(p.consumed(), header_len);
    assert_eq!(p.feed(b"more"), Ok(Progress::Done));
    assert_eq!(p.consumed(), header_len);
    let mut p = GgufParser::new();
    let e = p.feed(b"nope").expect_err("bad magic");
    assert_eq!(p.feed(b"GGUF"), Err(e));
}
