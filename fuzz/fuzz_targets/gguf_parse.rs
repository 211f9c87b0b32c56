#![no_main]
//! The GGUF push parser fed in chunks libFuzzer chooses (see the crate docs
//! for the input layout), twice over the same chunks: once ending with
//! `finish`, once with `into_partial`, as the store reader and the
//! inspector end it. Then what the inspector and `--json` do with the
//! header. Never panics on any input; memory stays within its limits; the
//! chunking changes nothing (same header or same error as one whole feed).

use libfuzzer_sys::fuzz_target;
use ollama_pack_core::gguf::{parse, GgufInfo, GgufParser, Progress};

fuzz_target!(|data: &[u8]| {
    let (plan, body) = ollama_pack_fuzz::split(data);
    let finished = feed(plan, body).finish();
    // Debug, not ==: a float value may be NaN.
    let whole = parse(body);
    assert_eq!(
        format!("{finished:?}"),
        format!("{whole:?}"),
        "chunking changed the outcome"
    );
    match &finished {
        Ok(info) => use_info(info),
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if let Some(info) = feed(plan, body).into_partial() {
        use_info(&info);
    }
});

/// A parser that was fed every chunk (more after `Done` or an error too:
/// it must consume nothing and repeat the outcome).
fn feed(plan: &[u8], body: &[u8]) -> GgufParser {
    let mut parser = GgufParser::new();
    let limit = parser.limits().max_buffer_bytes() + 1024; // the bound tests_hostile.rs checks
    let mut outcome = None;
    for chunk in ollama_pack_fuzz::chunks(plan, body) {
        let before = parser.consumed();
        let result = parser.feed(chunk);
        assert!(parser.consumed() - before <= chunk.len() as u64);
        assert!(
            parser.buffer_capacity() <= limit,
            "buffer {}",
            parser.buffer_capacity()
        );
        match (&outcome, &result) {
            (None, Ok(Progress::NeedMore)) => {}
            (None, _) => outcome = Some(result),
            (Some(first), again) => assert_eq!(first, again, "the outcome changed after it ended"),
        }
    }
    parser
}

fn use_info(info: &GgufInfo) {
    let _ = info.summary();
    let _ = info.tensor_data_offset();
    let _ = info.chat_template();
    for t in &info.tensors {
        let _ = t.n_elements();
    }
    let _ = serde_json::to_string(info).expect("a header serialises");
    let _ = serde_json::to_string(&info.summary()).expect("a summary serialises");
}
