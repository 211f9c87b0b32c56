#![no_main]
//! Archive reader + verifier, driven as `verify_bytes`, the CLI and the
//! browser drive them, but in chunks libFuzzer chooses (see the crate docs
//! for the input layout): feed every chunk, finish, take the verdict, then
//! plan an import. Never panics on any input; every manifest path an
//! import would write stays inside the models folder.

use libfuzzer_sys::fuzz_target;
use ollama_pack_core::archive::read::{
    needed_blobs, plan_import, ArchiveReader, ArchiveVerifier, Choices, Existing, Placement,
    ReadOptions, Rename,
};

fuzz_target!(|data: &[u8]| {
    let (plan, body) = ollama_pack_fuzz::split(data);
    let mut reader = ArchiveReader::new(ReadOptions {
        input_size: Some(body.len() as u64),
        ..ReadOptions::default()
    });
    let mut verifier = ArchiveVerifier::new();
    let mut on = |ev: ollama_pack_core::archive::read::Event<'_>| {
        verifier.event(&ev);
        // What the unpacker asks the verifier after each event.
        if let Some(Placement::Manifest { rel, .. }) = verifier.placement() {
            assert_inside(rel);
        }
        let _ = verifier.last_blob();
    };
    let mut error = None;
    for chunk in ollama_pack_fuzz::chunks(plan, body) {
        if let Err(e) = reader.feed(chunk, &mut on) {
            error = Some(e);
            break;
        }
    }
    if error.is_none() {
        error = reader.finish(&mut on).err();
    }
    // A finished or failed reader refuses more, without panicking.
    assert!(reader.feed(b"more", &mut |_| {}).is_err());
    assert!(reader.finish(&mut |_| {}).is_err());
    if let Some(e) = &error {
        let _ = e.to_string();
    }
    let (report, manifests) = verifier.finish(error);
    let _ = serde_json::to_string(&report).expect("the report serialises"); // verify --json
    for m in &manifests {
        let rel = m.manifest_path.strip_prefix("manifests/");
        assert_inside(rel.expect("a manifest path starts with manifests/"));
    }
    let mut manifests = manifests;
    for policy in [Existing::Refuse, Existing::Keep, Existing::Replace] {
        let mut other = |_: &str| Some(ollama_pack_core::digest::Digest::of(b"{}"));
        let plan = plan_import(&mut manifests, &mut other, &Choices::all(policy)).unwrap();
        let _ = needed_blobs(&manifests, &plan);
    }
    let mut choices = Choices::default();
    choices.renames.extend(Rename::parse("renamed:by-fuzz"));
    if let Ok(plan) = plan_import(&mut manifests, &mut |_| None, &choices) {
        let _ = needed_blobs(&manifests, &plan);
    }
    for m in &manifests {
        assert_inside(&m.manifest_path["manifests/".len()..]);
    }
});

/// A path relative to `manifests/` that cannot leave it.
fn assert_inside(rel: &str) {
    let safe = !rel.is_empty()
        && !rel.contains(['\\', '\0'])
        && rel
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    assert!(safe, "manifest path escapes or is malformed: {rel:?}");
}
