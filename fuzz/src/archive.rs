//! The archive reader + verifier as `verify_bytes`, the CLI and the
//! browser drive them, in the chunks a fuzz input's plan chooses: feed every
//! chunk, finish, take the verdict, then plan an import. In: a chunk plan
//! and a body. Out: nothing; panics only on a bug (a panic in the core, or a
//! manifest path an import would write outside the models folder).

use ollama_pack_core::archive::read::{
    needed_blobs, plan_import, ArchiveReader, ArchiveVerifier, Choices, Existing, Placement,
    ReadOptions, Rename,
};

/// Reads `body` as an archive in the chunks `plan` gives, then plans imports.
pub fn read_archive(plan: &[u8], body: &[u8]) {
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
    for chunk in crate::chunks(plan, body) {
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
        let plan = plan_import(&mut manifests, &mut other, &|_| true, &Choices::all(policy)).unwrap();
        let _ = needed_blobs(&manifests, &plan);
    }
    let mut choices = Choices::default();
    choices.renames.extend(Rename::parse("renamed:by-fuzz"));
    if let Ok(plan) = plan_import(&mut manifests, &mut |_| None, &|_| false, &choices) {
        let _ = needed_blobs(&manifests, &plan);
    }
    for m in &manifests {
        assert_inside(&m.manifest_path["manifests/".len()..]);
    }
}

/// A path relative to `manifests/` that cannot leave it.
fn assert_inside(rel: &str) {
    let safe = !rel.is_empty()
        && !rel.contains(['\\', '\0'])
        && rel
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    assert!(safe, "manifest path escapes or is malformed: {rel:?}");
}
