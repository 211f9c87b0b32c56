//! The push machine against a fake registry: chunked uploads following
//! relative and absolute `Location`s, skips, mounts, auth, faults.

use super::*;
use crate::digest::Digest;
use crate::registry::http::Method;
use crate::registry::reference::RegistryRef;
use crate::registry::testkit::drive::{drive_push, PushRun};
use crate::registry::testkit::fake_registry::{Auth, FakeRegistry, Reply};
use crate::registry::testkit::{model, Model};

const ORIGIN: &str = "http://reg.test:5000";
const REF: &str = "http://reg.test:5000/team/gemma:v1";

fn small_chunks() -> PushOptions {
    PushOptions {
        chunk_size: 1000,
        concurrency: 2,
        ..PushOptions::default()
    }
}

fn push(m: &Model, opts: PushOptions, reg: &mut FakeRegistry, seed: u64) -> PushRun {
    let p = Push::new(RegistryRef::parse(REF).unwrap(), m.manifest.clone(), opts).unwrap();
    drive_push(p, reg, &m.blobs, seed)
}

/// The registry holds the model, the manifest byte for byte.
fn assert_pushed(m: &Model, reg: &FakeRegistry) {
    assert_eq!(reg.manifests.get("team/gemma:v1"), Some(&m.manifest));
    for (d, data) in &m.blobs {
        assert_eq!(reg.blobs.get(d), Some(data), "{d}");
        assert!(reg
            .repo_blobs
            .contains(&("team/gemma".to_string(), d.clone())));
    }
}

#[test]
fn uploads_in_chunks_following_every_location() {
    let m = model(&[0, 999, 1000, 3500], 1);
    let total: u64 = m.blobs.values().map(|b| b.len() as u64).sum();
    for seed in 0..20 {
        let mut reg = FakeRegistry::new(ORIGIN);
        reg.absolute_locations = seed % 2 == 0;
        let summary = push(&m, small_chunks(), &mut reg, seed).result.unwrap();
        assert_pushed(&m, &reg);
        assert_eq!(summary.uploaded_bytes, total);
        assert_eq!(summary.manifest_digest, Digest::of(&m.manifest));
        assert_eq!((summary.already_there, summary.mounted), (0, 0));
        // 3500 bytes: four PATCHes with inclusive Content-Ranges.
        let ranges: Vec<&str> = reg
            .requests
            .iter()
            .filter_map(|r| r.get_header("Content-Range"))
            .collect();
        for want in ["0-999", "1000-1999", "2000-2999", "3000-3499"] {
            assert!(ranges.contains(&want), "{ranges:?}");
        }
        // The Location had a query: the digest is added with `&`.
        let puts: Vec<&String> = reg
            .log
            .iter()
            .filter(|l| l.starts_with("PUT") && l.contains("uploads"))
            .collect();
        assert_eq!(puts.len(), 5);
        assert!(puts
            .iter()
            .all(|l| l.contains("?_state=") && l.contains("&digest=sha256%3A")));
        let manifest_put = reg
            .requests
            .iter()
            .find(|r| r.url.ends_with("/manifests/v1"))
            .unwrap();
        assert_eq!(
            manifest_put.get_header("Content-Type"),
            Some("application/vnd.docker.distribution.manifest.v2+json")
        );
        assert_eq!(
            manifest_put.body,
            crate::registry::http::Body::Bytes(m.manifest.clone())
        );
        let patch = reg
            .requests
            .iter()
            .find(|r| r.method == Method::Patch)
            .unwrap();
        assert_eq!(
            patch.get_header("Content-Type"),
            Some("application/octet-stream")
        );
    }
}

#[test]
fn blobs_the_registry_has_are_skipped() {
    let m = model(&[2000, 10], 2);
    let mut reg = FakeRegistry::new(ORIGIN);
    let big = m.order[1].clone();
    reg.add_blob("team/gemma", &m.blobs[&big]);
    let summary = push(&m, small_chunks(), &mut reg, 1).result.unwrap();
    assert_pushed(&m, &reg);
    assert_eq!(summary.already_there, 1);
    assert_eq!(
        summary.uploaded_bytes,
        m.blobs.values().map(|b| b.len() as u64).sum::<u64>() - 2000
    );
    assert!(!reg
        .log
        .iter()
        .any(|l| l.starts_with("PATCH") && l.contains("Range") && l.contains(big.hex())));
    // Pushing again uploads nothing.
    let summary = push(&m, small_chunks(), &mut reg, 2).result.unwrap();
    assert_eq!((summary.already_there, summary.uploaded_bytes), (3, 0));
}

#[test]
fn mounts_from_another_repository_and_falls_back_to_uploading() {
    let m = model(&[1500, 700], 3);
    let mut reg = FakeRegistry::new(ORIGIN);
    // Only the 1500-byte layer is in the other repository.
    reg.add_blob("library/base", &m.blobs[&m.order[1]]);
    let opts = PushOptions {
        mount_from: Some("library/base".into()),
        ..small_chunks()
    };
    let summary = push(&m, opts, &mut reg, 1).result.unwrap();
    assert_pushed(&m, &reg);
    assert_eq!(summary.mounted, 1);
    let mounts = reg
        .log
        .iter()
        .filter(|l| l.contains("mount=sha256%3A") && l.contains("from=library%2Fbase"))
        .count();
    assert_eq!(mounts, 3, "every missing blob tries a mount: {:?}", reg.log);
    assert_eq!(
        summary.uploaded_bytes,
        m.blobs.values().map(|b| b.len() as u64).sum::<u64>() - 1500
    );
}

#[test]
fn a_layer_from_a_model_on_the_same_registry_is_mounted_from_it() {
    let m = model(&[1500], 4);
    let d = m.order[1].clone();
    let text = String::from_utf8(m.manifest.clone()).unwrap().replacen(
        &format!(r#""digest":"{d}","#),
        &format!(r#""digest":"{d}","from":"reg.test:5000/library/base:latest","#),
        1,
    );
    let m = Model {
        manifest: text.into_bytes(),
        ..m
    };
    let mut reg = FakeRegistry::new(ORIGIN);
    reg.add_blob("library/base", &m.blobs[&d]);
    let summary = push(&m, small_chunks(), &mut reg, 1).result.unwrap();
    assert_eq!(summary.mounted, 1);
    assert_pushed(&m, &reg);
}

#[test]
fn bearer_auth_for_push() {
    let m = model(&[1200], 5);
    let mut reg = FakeRegistry::new(ORIGIN);
    reg.auth = Auth::Bearer {
        basic: Some(("u".into(), "p".into())),
    };
    let opts = PushOptions {
        credentials: Some(crate::registry::Credentials::new("u", "p")),
        ..small_chunks()
    };
    push(&m, opts, &mut reg, 3).result.unwrap();
    assert_pushed(&m, &reg);
    let mut fresh = FakeRegistry::new(ORIGIN);
    fresh.auth = reg.auth.clone();
    let without = push(&m, small_chunks(), &mut fresh, 3);
    let err = without.result.unwrap_err().to_string();
    assert!(
        err.contains("requires a user name and password") && err.contains("push to team/gemma"),
        "{err}"
    );
}

#[test]
fn a_broken_chunk_starts_the_blob_again() {
    let m = model(&[3000], 6);
    for seed in 0..10 {
        let mut reg = FakeRegistry::new(ORIGIN);
        let mut failed = false;
        reg.hook = Some(Box::new(move |_, req| {
            if failed || req.get_header("Content-Range") != Some("1000-1999") {
                return None;
            }
            failed = true;
            Some(Reply::status(500, &req.url))
        }));
        let run = push(&m, small_chunks(), &mut reg, seed);
        run.result.unwrap();
        assert_pushed(&m, &reg);
        assert!(run.net.delays.contains(&1000), "{:?}", run.net.delays);
        let starts = reg.log.iter().filter(|l| l.starts_with("POST")).count();
        assert_eq!(starts, 3, "two blobs, one started again: {:?}", reg.log);
    }
}

#[test]
fn a_damaged_local_blob_is_reported_with_what_to_do() {
    let mut m = model(&[1500], 7);
    let d = m.order[1].clone();
    m.blobs.get_mut(&d).unwrap()[3] ^= 1;
    let mut reg = FakeRegistry::new(ORIGIN);
    let err = push(&m, small_chunks(), &mut reg, 1).result.unwrap_err();
    assert!(matches!(err, PushError::DigestRejected { .. }), "{err}");
    assert!(err.to_string().contains("ollama-pack verify"));
    assert!(reg.manifests.is_empty());
}

#[test]
fn manifest_refusals_and_changes_are_reported() {
    let m = model(&[10], 8);
    let mut reg = FakeRegistry::new(ORIGIN);
    reg.hook = Some(Box::new(|_, req| {
        (req.url.contains("/manifests/")).then(|| {
            Reply::status(201, &req.url)
                .header("Docker-Content-Digest", Digest::of(b"x").to_string())
        })
    }));
    let err = push(&m, small_chunks(), &mut reg, 1).result.unwrap_err();
    assert!(matches!(err, PushError::ManifestChanged { .. }), "{err}");

    let mut reg = FakeRegistry::new(ORIGIN);
    reg.hook = Some(Box::new(|_, req| {
        (req.url.contains("/manifests/")).then(|| {
            Reply::status(400, &req.url)
                .body(br#"{"errors":[{"code":"TAG_INVALID","message":"manifest tag did not match URI"}]}"#.to_vec())
        })
    }));
    let err = push(&m, small_chunks(), &mut reg, 1)
        .result
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HTTP 400") && err.contains("TAG_INVALID"),
        "{err}"
    );
}

#[test]
fn an_invalid_manifest_is_refused_before_any_request() {
    let r = RegistryRef::parse(REF).unwrap();
    let err = Push::new(r, b"{\"schemaVersion\":1}".to_vec(), PushOptions::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("nothing was pushed"), "{err}");
}

#[test]
fn progress_counts_what_is_on_the_registry() {
    let m = model(&[2000], 9);
    let mut p = Push::new(
        RegistryRef::parse(REF).unwrap(),
        m.manifest.clone(),
        small_chunks(),
    )
    .unwrap();
    let total: u64 = m.blobs.values().map(|b| b.len() as u64).sum();
    assert_eq!(p.progress().total_bytes, total);
    assert_eq!(p.progress().done_bytes, 0);
    p.cancel();
    let last = std::iter::from_fn(|| p.poll_action()).last();
    assert_eq!(last, Some(PushAction::Finished(Err(PushError::Cancelled))));
}
