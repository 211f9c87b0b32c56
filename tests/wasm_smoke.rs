//! Browser smoke test (wasm32 only, headless Chromium via scripts/test): the
//! core's SHA-256, compiled to wasm (with simd128), agrees with the browser's
//! own WebCrypto `crypto.subtle.digest`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, ArrayBuffer, Function, Promise, Reflect, Uint8Array};
use ollama_pack::core::digest::{hex_of, Digest};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// SHA-256 of `data` by WebCrypto, as lowercase hex.
async fn webcrypto_sha256(data: &[u8]) -> String {
    let global = js_sys::global();
    let crypto = Reflect::get(&global, &"crypto".into()).expect("crypto");
    let subtle = Reflect::get(&crypto, &"subtle".into()).expect("crypto.subtle");
    let digest: Function = Reflect::get(&subtle, &"digest".into())
        .expect("crypto.subtle.digest")
        .unchecked_into();
    let input = Uint8Array::from(data);
    let promise: Promise = digest
        .apply(&subtle, &Array::of2(&JsValue::from_str("SHA-256"), &input))
        .expect("digest call")
        .unchecked_into();
    let buffer: ArrayBuffer = JsFuture::from(promise)
        .await
        .expect("digest result")
        .unchecked_into();
    hex_of(&Uint8Array::new(&buffer).to_vec())
}

#[wasm_bindgen_test]
async fn empty_input_digest_matches_webcrypto() {
    let ours = Digest::of(b"");
    assert_eq!(
        ours.hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(ours.hex(), webcrypto_sha256(b"").await);
}

#[wasm_bindgen_test]
async fn multi_block_digest_matches_webcrypto() {
    // Several 64-byte blocks plus a tail, so the SIMD compression loop runs.
    let data: Vec<u8> = (0..100_003u32).map(|i| (i * 7 + i / 251) as u8).collect();
    assert_eq!(Digest::of(&data).hex(), webcrypto_sha256(&data).await);
}
