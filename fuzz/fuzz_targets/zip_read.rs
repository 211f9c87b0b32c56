#![no_main]
//! The zip reader, through the same archive reader + verifier as
//! archive_read, but every body is a zip: one that does not open with a
//! local file header ("PK\x03\x04") gets one in front, so no run is spent
//! on tar. Seeded with the peer, backup and hostile zips.

use libfuzzer_sys::fuzz_target;

const LOCAL_HEADER: &[u8] = b"PK\x03\x04";

fuzz_target!(|data: &[u8]| {
    let (plan, body) = ollama_pack_fuzz::split(data);
    if body.starts_with(LOCAL_HEADER) {
        ollama_pack_fuzz::archive::read_archive(plan, body);
    } else {
        let zip = [LOCAL_HEADER, body].concat();
        ollama_pack_fuzz::archive::read_archive(plan, &zip);
    }
});
