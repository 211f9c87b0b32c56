#![no_main]
//! Manifest and config-blob parsers on arbitrary bytes (whole-buffer
//! parsers: no chunking), then what the store view and the verifier do
//! with a parsed manifest. Never panics on any input.

use libfuzzer_sys::fuzz_target;
use ollama_pack_core::manifest::{Manifest, ModelConfig};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Manifest::parse(data) {
        let _ = m.total_size();
        let _ = m.weights();
        for layer in m.blobs() {
            let kind = layer.kind();
            let _ = (kind.describe(), kind.is_text());
            let _ = layer.digest.to_string();
        }
        let _ = serde_json::to_vec(&m).expect("a parsed manifest serialises");
    }
    if let Ok(c) = ModelConfig::parse(data) {
        let _ = serde_json::to_vec(&c).expect("a parsed config serialises");
    }
});
