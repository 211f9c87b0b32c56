//! Fixture tests. In: GGUF files written by gguf-py and `<name>.expected.json`,
//! gguf-py's own GGUFReader reading of each (`tests/fixtures/gguf/make_gguf.py`
//! writes both into `tests/fixtures/generated/gguf/`). Out: our parser,
//! fed in every kind of chunking, must read the same thing.

use super::*;
use crate::testing::random_chunks;
use serde_json::Value;
use std::path::PathBuf;

struct Fixture {
    name: String,
    data: Vec<u8>,
    expected: Value,
}

fn fixture_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/generated/gguf");
    assert!(
        dir.join("types_v3.expected.json").is_file(),
        "GGUF fixtures are missing from {}: run `.venv/bin/python tests/fixtures/gguf/make_gguf.py` \
         (venv: python3 -m venv .venv && .venv/bin/pip install -r tests/fixtures/requirements.txt)",
        dir.display()
    );
    dir
}

fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON in {}: {e}", path.display()))
}

fn fixtures() -> Vec<Fixture> {
    let dir = fixture_dir();
    let mut out = Vec::new();
    let entries = std::fs::read_dir(&dir).expect("fixture dir is readable");
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("gguf") {
            continue;
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_owned();
        let expected = read_json(&dir.join(format!("{name}.expected.json")));
        let data = std::fs::read(&path).expect("fixture is readable");
        out.push(Fixture {
            name,
            data,
            expected,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(
        out.len() >= 5,
        "expected at least 5 GGUF fixtures in {}",
        dir.display()
    );
    out
}

fn fixture(name: &str) -> Fixture {
    fixtures()
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("fixture {name}.gguf missing: rerun make_gguf.py"))
}

/// Feeds chunks until Done, checking the buffer bound after every chunk.
fn parse_chunks<'a>(chunks: impl Iterator<Item = &'a [u8]>, what: &str) -> GgufInfo {
    let mut p = GgufParser::new();
    let bound = p.limits().max_buffer_bytes() + 1024;
    for chunk in chunks {
        let progress = p.feed(chunk).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            p.buffer_capacity() <= bound,
            "{what}: buffer grew to {}",
            p.buffer_capacity()
        );
        if progress == Progress::Done {
            break;
        }
    }
    p.finish().unwrap_or_else(|e| panic!("{what}: {e}"))
}

fn u(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("expected an unsigned integer, got {v}"))
}

fn compare_value(ours: &GgufValue, exp: &Value, in_array: bool, at: &str) {
    let limits = GgufLimits::default();
    let ty = exp["type"].as_str().unwrap_or("?");
    assert_eq!(ours.value_type().name(), ty, "{at}: type");
    match ours {
        GgufValue::String(s) => {
            let text = exp["value"].as_str().unwrap_or_default();
            let limit = if in_array {
                limits.max_array_string_len
            } else {
                limits.max_string_len
            };
            assert_eq!(s.len, u(&exp["len"]), "{at}: string length");
            if s.len as usize <= limit {
                assert!(!s.truncated, "{at}: cut though short");
                assert_eq!(s.text, text, "{at}: text");
            } else {
                assert!(s.truncated, "{at}: long string not marked truncated");
                assert!(text.starts_with(&s.text), "{at}: kept text is not a prefix");
                assert!(
                    s.text.len() <= limit && s.text.len() + 4 > limit,
                    "{at}: kept {}",
                    s.text.len()
                );
            }
        }
        GgufValue::Array(a) => {
            assert_eq!(
                a.elem_type.name(),
                exp["elem_type"].as_str().unwrap_or("?"),
                "{at}"
            );
            assert_eq!(a.len, u(&exp["len"]), "{at}: array length");
            let want = (a.len as usize).min(limits.max_array_head);
            assert_eq!(a.head.len(), want, "{at}: head length");
            for (i, v) in a.head.iter().enumerate() {
                compare_value(v, &exp["head"][i], true, &format!("{at}[{i}]"));
            }
        }
        GgufValue::Bool(b) => assert_eq!(Some(*b), exp["value"].as_bool(), "{at}"),
        GgufValue::F32(_) | GgufValue::F64(_) => {
            assert_eq!(ours.as_f64(), exp["value"].as_f64(), "{at}")
        }
        _ if ty.starts_with("UINT") => assert_eq!(ours.as_u64(), exp["value"].as_u64(), "{at}"),
        _ => assert_eq!(ours.as_i64(), exp["value"].as_i64(), "{at}"),
    }
}

fn compare(info: &GgufInfo, exp: &Value, what: &str) {
    let limits = GgufLimits::default();
    assert!(info.complete, "{what}");
    assert_eq!(
        u64::from(info.version),
        u(&exp["version"]),
        "{what}: version"
    );
    assert_eq!(info.tensor_count, u(&exp["tensor_count"]), "{what}");
    assert_eq!(info.kv_count, u(&exp["kv_count"]), "{what}");
    let metadata = exp["metadata"].as_array().expect("metadata list");
    assert_eq!(info.metadata.len(), metadata.len(), "{what}: kv count");
    for (kv, e) in info.metadata.iter().zip(metadata) {
        let key = e["key"].as_str().unwrap_or_default();
        let key_len = u(&e["key_len"]);
        if key_len as usize <= limits.max_key_len {
            assert_eq!(kv.key, key, "{what}");
            assert_eq!(kv.key_len, None, "{what}: {key}");
        } else {
            assert!(key.starts_with(&kv.key), "{what}: cut key is a prefix");
            assert_eq!(kv.key.len(), limits.max_key_len, "{what}");
            assert_eq!(kv.key_len, Some(key_len), "{what}");
        }
        compare_value(&kv.value, e, false, &format!("{what}: {}", kv.key));
    }
    let tensors = exp["tensors"].as_array().expect("tensor list");
    assert_eq!(info.tensors.len(), tensors.len(), "{what}: tensors");
    for (t, e) in info.tensors.iter().zip(tensors) {
        assert_eq!(t.name, e["name"].as_str().unwrap_or_default(), "{what}");
        let dims: Vec<u64> = e["dims"].as_array().expect("dims").iter().map(u).collect();
        assert_eq!(t.dims, dims, "{what}: {}", t.name);
        assert_eq!(
            u64::from(t.ggml_type),
            u(&e["ggml_type"]),
            "{what}: {}",
            t.name
        );
        assert_eq!(t.offset, u(&e["offset"]), "{what}: {}", t.name);
    }
    assert_eq!(
        info.parameter_count,
        Some(u(&exp["parameter_count"])),
        "{what}"
    );
    assert_eq!(
        info.tensor_data_offset(),
        Some(u(&exp["data_offset"])),
        "{what}: data offset"
    );
    let summary = serde_json::to_value(info.summary()).expect("summary serialises");
    assert_eq!(summary, exp["summary"], "{what}: summary");
}

#[test]
fn every_fixture_matches_gguf_py_in_any_chunking() {
    for f in fixtures() {
        let whole = parse_chunks(std::iter::once(&f.data[..]), &f.name);
        compare(&whole, &f.expected, &format!("{} whole", f.name));
        let bytes = parse_chunks(f.data.chunks(1), &f.name);
        compare(&bytes, &f.expected, &format!("{} 1-byte", f.name));
        let seeds = if f.data.len() > 1 << 20 { 6 } else { 60 };
        for seed in 0..seeds {
            let max = [2, 9, 64, 1000, 70_000][seed as usize % 5];
            let what = format!("{} seed {seed}", f.name);
            let info = parse_chunks(random_chunks(&f.data, seed, max), &what);
            compare(&info, &f.expected, &what);
        }
    }
}

#[test]
fn llama_fixture_fields() {
    let f = fixture("llama_v3");
    let info = parse(&f.data).expect("parses");
    assert_eq!(info.vocab_size(), Some(200_000));
    assert_eq!(info.file_type().as_deref(), Some("Q4_K_M"));
    assert_eq!(info.head_count_kv(), Some(8));
    // 65535 ASCII bytes, then a 3-byte character that straddles the limit
    let template = info.chat_template().expect("template");
    assert_eq!(template.len(), 65_535);
    let json = serde_json::to_value(&info).expect("info serialises");
    let tokens = &json["metadata"]
        .as_array()
        .expect("list")
        .iter()
        .find(|kv| kv["key"] == "tokenizer.ggml.tokens")
        .expect("tokens")["value"];
    assert_eq!(tokens["type"], "STRING");
    assert_eq!(tokens["len"], 200_000);
    assert_eq!(tokens["head"][1], "tok1");
}

#[test]
fn a_driver_stopping_at_a_byte_limit_gets_the_metadata_read_so_far() {
    let f = fixture("llama_v3");
    let mut p = GgufParser::new();
    for chunk in f.data[..1 << 20].chunks(64 * 1024) {
        assert_eq!(p.feed(chunk), Ok(Progress::NeedMore));
    }
    assert_eq!(p.consumed(), 1 << 20);
    let partial = p.into_partial().expect("counts were read");
    assert!(!partial.complete);
    assert_eq!(partial.parameter_count, None);
    assert_eq!(partial.architecture(), Some("llama"));
    assert_eq!(partial.context_length(), Some(131_072));
    assert_eq!(
        partial.vocab_size(),
        None,
        "tokens array is still being read"
    );
}

#[test]
fn truncation_at_every_offset_is_reported_never_done() {
    for name in ["minimal_v3", "moe_v2", "writer_parity", "types_v3"] {
        let f = fixture(name);
        let full = parse(&f.data).expect("parses");
        let header_len = full.header_len as usize;
        for cut in 0..header_len {
            let mut p = GgufParser::new();
            let chunks: Vec<&[u8]> = if cut < 1024 {
                random_chunks(&f.data[..cut], cut as u64, 50).collect()
            } else {
                vec![&f.data[..cut]]
            };
            for chunk in chunks {
                assert_eq!(p.feed(chunk), Ok(Progress::NeedMore), "{name} cut at {cut}");
            }
            let partial = {
                let mut q = GgufParser::new();
                let _ = q.feed(&f.data[..cut]);
                q.into_partial()
            };
            if let Some(partial) = partial {
                assert!(partial.metadata.len() <= full.metadata.len());
                assert_eq!(
                    partial.metadata[..],
                    full.metadata[..partial.metadata.len()]
                );
            } else {
                assert!(
                    cut < 24,
                    "{name}: no partial info after the counts at {cut}"
                );
            }
            match p.finish() {
                Err(GgufError::Truncated { at_offset, .. }) => {
                    assert_eq!(at_offset, cut as u64, "{name}")
                }
                other => panic!("{name} cut at {cut}: {other:?}"),
            }
        }
    }
}

#[test]
fn file_type_names_match_gguf_py() {
    let table = read_json(&fixture_dir().join("llama_file_types.json"));
    let table = table.as_object().expect("object");
    for (code, name) in table {
        let code: u64 = code.parse().expect("numeric code");
        assert_eq!(file_type_name(code), name.as_str(), "code {code}");
    }
    assert_eq!(
        known_file_types().len(),
        table.len(),
        "gguf-py knows the same codes"
    );
}

#[test]
fn writer_header_is_byte_identical_to_gguf_py() {
    let f = fixture("writer_parity");
    let mut w = GgufWriter::new();
    w.kv_string("general.architecture", "llama")
        .kv_string("general.name", "Parity")
        .kv_u32("general.file_type", 15)
        .kv_u32("llama.context_length", 2048)
        .kv_f32("llama.rope.freq_base", 10000.0)
        .kv_bool("demo.flag", true)
        .kv_strings("tokenizer.ggml.tokens", &["<s>", "</s>", "a"])
        .kv_i32s("tokenizer.ggml.token_type", &[3, 3, 1])
        .tensor("a.weight", &[4, 2], 0, 32)
        .tensor("b.weight", &[4], 0, 16);
    let header = w.header_bytes();
    assert_eq!(header[..], f.data[..header.len()]);
    assert_eq!(header.len() as u64 + w.data_len(), f.data.len() as u64);
}
