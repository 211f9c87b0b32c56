#![no_main]
//! Archive reader + verifier (tar, gzip, zstd, zip: whatever the body's
//! magic says) in chunks libFuzzer chooses (see the crate docs for the input
//! layout); [`ollama_pack_fuzz::archive::read_archive`] says what is checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (plan, body) = ollama_pack_fuzz::split(data);
    ollama_pack_fuzz::archive::read_archive(plan, body);
});
