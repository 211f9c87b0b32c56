//! The pull machine against a fake registry: every answer kind, faults,
//! resume, random interleaving and chunking (one seed per run).

use super::*;
use crate::registry::http::{BodyTarget, Exchange, HttpRequest, RequestId};
use crate::registry::reference::RegistryRef;
use crate::registry::testkit::drive::{drive_pull, Disk, PullRun};
use crate::registry::testkit::fake_registry::{Auth, FakeRegistry, Reply};
use crate::registry::testkit::{model, Model};

const ORIGIN: &str = "http://reg.test:5000";
const REF: &str = "http://reg.test:5000/team/gemma:v1";
const MANIFEST_PATH: &str = "manifests/reg.test:5000/team/gemma/v1";

fn small_parts() -> PullOptions {
    PullOptions {
        min_part_size: 1000,
        max_part_size: 1000,
        concurrency: 3,
        ..PullOptions::default()
    }
}

fn registry(m: &Model) -> FakeRegistry {
    let mut reg = FakeRegistry::new(ORIGIN);
    reg.manifests
        .insert("team/gemma:v1".into(), m.manifest.clone());
    for data in m.blobs.values() {
        reg.add_blob("team/gemma", data);
    }
    reg
}

fn pull(opts: PullOptions, reg: &mut FakeRegistry, disk: &mut Disk, seed: u64) -> PullRun {
    let p = Pull::new(RegistryRef::parse(REF).unwrap(), opts);
    drive_pull(p, reg, disk, seed)
}

/// The disk holds the model exactly, nothing partial, manifest written last.
fn assert_pulled(m: &Model, disk: &Disk) {
    assert_eq!(disk.files.get(MANIFEST_PATH), Some(&m.manifest));
    for (d, data) in &m.blobs {
        let got = disk.files.get(&format!("blobs/{}", d.blob_file_name()));
        assert_eq!(got, Some(data), "{d}");
    }
    assert!(disk.leftovers().is_empty(), "{:?}", disk.leftovers());
    assert!(
        disk.ops.last().unwrap().starts_with("manifest "),
        "{:?}",
        disk.ops
    );
}

#[test]
fn pulls_in_ranged_parts_for_any_interleaving_and_chunking() {
    let m = model(&[0, 1, 999, 1000, 1001, 4321], 1);
    let total: u64 = m.blobs.values().map(|b| b.len() as u64).sum();
    for seed in 0..25 {
        let mut reg = registry(&m);
        let mut disk = Disk::default();
        let run = pull(small_parts(), &mut reg, &mut disk, seed);
        let summary = run.result.unwrap();
        assert_pulled(&m, &disk);
        assert_eq!(summary.downloaded_bytes, total);
        assert_eq!(summary.already_present, 0);
        assert_eq!(
            summary.manifest_digest,
            crate::digest::Digest::of(&m.manifest)
        );
        // The 4321-byte blob came in 5 ranges, the last clamped to its end.
        assert!(
            reg.log.iter().any(|l| l.ends_with("[bytes=4000-4320]")),
            "{:?}",
            reg.log
        );
        assert!(reg.log.iter().all(|l| !l.contains("bytes=4321")));
        let first = &reg.requests[0];
        assert!(first
            .get_header("Accept")
            .unwrap()
            .contains("oci.image.manifest.v1+json"));
        assert!(first.no_store);
    }
}

/// Answers one `Send` of a machine fully, from the registry.
fn answer(p: &mut Pull, reg: &mut FakeRegistry, id: RequestId, req: &HttpRequest) {
    let reply = reg.handle(req, b"");
    p.on_response(id, reply.response);
    p.on_body(id, &reply.body);
    p.on_end(id);
}

#[test]
fn never_more_requests_at_once_than_the_concurrency() {
    let m = model(&[5000, 5000], 2);
    let mut reg = registry(&m);
    let mut p = Pull::new(RegistryRef::parse(REF).unwrap(), small_parts());
    let Some(PullAction::Send { id, request, .. }) = p.poll_action() else {
        panic!("the manifest first")
    };
    assert_eq!(p.poll_action(), None, "the manifest alone");
    answer(&mut p, &mut reg, id, &request);
    assert!(matches!(
        p.poll_action(),
        Some(PullAction::CheckLocal { .. })
    ));
    assert_eq!(p.manifest_bytes(), Some(m.manifest.as_slice()));
    p.provide_local(LocalBlobs::default());
    let sends: Vec<(RequestId, HttpRequest)> = std::iter::from_fn(|| p.poll_action())
        .filter_map(|a| match a {
            PullAction::Send { id, request, .. } => Some((id, request)),
            _ => None,
        })
        .collect();
    assert_eq!(sends.len(), 3);
    // One answer frees one slot.
    answer(&mut p, &mut reg, sends[0].0, &sends[0].1);
    let more = std::iter::from_fn(|| p.poll_action())
        .filter(|a| matches!(a, PullAction::Send { .. }))
        .count();
    assert_eq!(more, 1);
    assert!(p.progress().done_bytes >= 1000 || p.progress().downloaded_bytes == 0);
}

#[test]
fn a_registry_that_ignores_range_is_read_whole() {
    let m = model(&[3500, 10], 3);
    for seed in 0..10 {
        let mut reg = registry(&m);
        reg.ranges = false;
        let mut disk = Disk::default();
        let run = pull(small_parts(), &mut reg, &mut disk, seed);
        run.result.unwrap();
        assert_pulled(&m, &disk);
    }
}

#[test]
fn a_redirect_to_another_host_is_normal() {
    let m = model(&[2500], 4);
    let mut reg = registry(&m);
    let blobs = m.blobs.clone();
    reg.hook = Some(Box::new(move |_, req| {
        let digest = req.url.rsplit('/').next()?;
        let data = blobs.get(&crate::digest::Digest::parse(digest).ok()?)?;
        let (a, b) = req
            .get_header("Range")?
            .trim_start_matches("bytes=")
            .split_once('-')?;
        let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
        let cdn = format!("https://cdn.example.net/b/{digest}?sig=1");
        Some(
            Reply::status(206, &cdn)
                .header("Content-Range", format!("bytes {a}-{b}/{}", data.len()))
                .body(data[a..=b].to_vec()),
        )
    }));
    let mut disk = Disk::default();
    pull(small_parts(), &mut reg, &mut disk, 7).result.unwrap();
    assert_pulled(&m, &disk);
}

#[test]
fn bearer_token_is_fetched_once_and_sent_everywhere() {
    let m = model(&[3000], 5);
    for seed in 0..5 {
        let mut reg = registry(&m);
        reg.auth = Auth::Bearer { basic: None };
        let mut disk = Disk::default();
        pull(small_parts(), &mut reg, &mut disk, seed)
            .result
            .unwrap();
        assert_pulled(&m, &disk);
        let tokens = reg
            .log
            .iter()
            .filter(|l| l.contains("auth.test/token"))
            .count();
        assert_eq!(tokens, 1, "{:?}", reg.log);
        assert!(reg.log[1].contains("scope=repository%3Ateam%2Fgemma%3Apull"));
    }
}

#[test]
fn basic_auth_with_and_without_credentials() {
    let m = model(&[100], 6);
    let mut reg = registry(&m);
    reg.auth = Auth::Basic {
        user: "u".into(),
        password: "p".into(),
    };
    let mut disk = Disk::default();
    let opts = PullOptions {
        credentials: Some(crate::registry::Credentials::new("u", "p")),
        ..small_parts()
    };
    pull(opts, &mut reg, &mut disk, 1).result.unwrap();
    assert_pulled(&m, &disk);

    let err = pull(small_parts(), &mut reg, &mut Disk::default(), 1)
        .result
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("requires a user name and password"),
        "{err}"
    );
    let opts = PullOptions {
        credentials: Some(crate::registry::Credentials::new("u", "wrong")),
        ..small_parts()
    };
    let err = pull(opts, &mut reg, &mut Disk::default(), 1)
        .result
        .unwrap_err();
    assert!(err.to_string().contains("refused the login"), "{err}");
}

#[test]
fn unknown_model_names_the_reference() {
    let m = model(&[10], 7);
    let mut reg = registry(&m);
    reg.manifests.clear();
    let mut disk = Disk::default();
    let err = pull(small_parts(), &mut reg, &mut disk, 1)
        .result
        .unwrap_err();
    assert!(matches!(err, PullError::NotFound { .. }));
    let text = err.to_string();
    assert!(
        text.contains("reg.test:5000/team/gemma:v1") && text.contains("MANIFEST_UNKNOWN"),
        "{text}"
    );
    assert!(disk.files.is_empty());
}

#[test]
fn a_missing_blob_and_a_short_blob_are_clear_errors() {
    let m = model(&[1500], 8);
    let mut reg = registry(&m);
    let layer = m.order[1].clone();
    reg.blobs.remove(&layer);
    let mut disk = Disk::default();
    let err = pull(small_parts(), &mut reg, &mut disk, 1)
        .result
        .unwrap_err();
    assert!(matches!(err, PullError::BlobMissing { .. }), "{err}");
    assert!(!disk.files.contains_key(MANIFEST_PATH));

    // The registry's blob is shorter than the manifest says: 416 on the last part.
    let mut reg = registry(&m);
    reg.blobs
        .insert(layer.clone(), m.blobs[&layer][..900].to_vec());
    let err = pull(small_parts(), &mut reg, &mut Disk::default(), 1)
        .result
        .unwrap_err();
    assert!(
        matches!(
            err,
            PullError::RangeNotSatisfiable { .. } | PullError::SizeMismatch { .. }
        ),
        "{err}"
    );
}

#[test]
fn server_errors_are_retried_with_growing_waits() {
    let m = model(&[2000], 9);
    let mut reg = registry(&m);
    reg.hook = Some(Box::new(|n, req| {
        (n < 4).then(|| Reply::status(503, &req.url).header("Retry-After", "2"))
    }));
    let mut disk = Disk::default();
    let run = pull(small_parts(), &mut reg, &mut disk, 3);
    run.result.unwrap();
    assert_pulled(&m, &disk);
    let waits: Vec<u64> = run.net.delays.iter().copied().filter(|d| *d > 0).collect();
    assert_eq!(&waits[..3], &[2000, 2000, 4000], "{:?}", run.net.delays);
}

#[test]
fn gives_up_after_the_attempts_and_says_how_to_continue() {
    let m = model(&[2000], 10);
    let mut reg = registry(&m);
    reg.hook = Some(Box::new(|n, req| {
        (n > 0).then(|| Reply::status(500, &req.url))
    }));
    let err = pull(small_parts(), &mut reg, &mut Disk::default(), 1)
        .result
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("after 6 attempts") && text.contains("run the same pull again"),
        "{text}"
    );
}

#[test]
fn broken_and_stalled_transfers_continue_from_where_they_stopped() {
    let m = model(&[6000], 11);
    let total: u64 = m.blobs.values().map(|b| b.len() as u64).sum();
    for seed in 0..10 {
        let mut reg = registry(&m);
        reg.hook = Some(Box::new(move |n, req| {
            if req.get_header("Range").is_none() || n % 3 != 1 {
                return None;
            }
            // A stall before the head, or a connection that breaks after it.
            let mut r = Reply::status(206, &req.url);
            r.no_answer = n % 2 == 0;
            r.break_after = Some(0);
            Some(r)
        }));
        let mut disk = Disk::default();
        let run = pull(small_parts(), &mut reg, &mut disk, seed);
        let summary = run.result.unwrap();
        assert_pulled(&m, &disk);
        assert_eq!(summary.downloaded_bytes, total);
    }
    // A body cut in the middle: the next request starts at the cut.
    let mut reg = registry(&m);
    let mut cut = true;
    let blobs = m.blobs.clone();
    reg.hook = Some(Box::new(move |_, req| {
        let range = req.get_header("Range")?;
        if !(cut && range == "bytes=0-999") {
            return None;
        }
        cut = false;
        let data = blobs.get(&crate::digest::Digest::parse(req.url.rsplit('/').next()?).ok()?)?;
        let mut r = Reply::status(206, &req.url)
            .header("Content-Range", format!("bytes 0-999/{}", data.len()))
            .body(data[..1000].to_vec());
        r.break_after = Some(400);
        Some(r)
    }));
    let mut disk = Disk::default();
    let run = pull(small_parts(), &mut reg, &mut disk, 2);
    run.result.unwrap();
    assert_pulled(&m, &disk);
    assert!(
        reg.log.iter().any(|l| l.ends_with("[bytes=400-999]")),
        "{:?}",
        reg.log
    );
}

#[test]
fn a_damaged_blob_is_fetched_again_once_then_reported() {
    let m = model(&[1200], 12);
    let layer = m.order[1].clone();
    // Damaged on the first full delivery only.
    let mut reg = registry(&m);
    let good = m.blobs[&layer].clone();
    let mut bad = good.clone();
    bad[5] ^= 1;
    reg.blobs.insert(layer.clone(), bad.clone());
    let mut served = 0;
    let good2 = good.clone();
    reg.hook = Some(Box::new(move |_, req| {
        if !req.url.ends_with(layer.hex()) {
            return None;
        }
        served += 1;
        let data = if served > 2 { &good2 } else { &bad };
        let (a, b) = req
            .get_header("Range")?
            .trim_start_matches("bytes=")
            .split_once('-')?;
        let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
        Some(
            Reply::status(206, &req.url)
                .header("Content-Range", format!("bytes {a}-{b}/{}", data.len()))
                .body(data[a..=b].to_vec()),
        )
    }));
    let mut disk = Disk::default();
    pull(small_parts(), &mut reg, &mut disk, 4).result.unwrap();
    assert_pulled(&m, &disk);
    assert!(
        disk.ops.iter().any(|o| o.starts_with("discard")),
        "{:?}",
        disk.ops
    );

    // Damaged every time: reported, nothing kept, no manifest.
    let m2 = model(&[1200], 12);
    let mut reg = registry(&m2);
    let layer = m2.order[1].clone();
    reg.blobs.get_mut(&layer).unwrap()[5] ^= 1;
    let mut disk = Disk::default();
    let err = pull(small_parts(), &mut reg, &mut disk, 4)
        .result
        .unwrap_err();
    assert!(matches!(err, PullError::DigestMismatch { .. }), "{err}");
    assert!(err.to_string().contains("downloaded twice"));
    assert!(!disk.files.contains_key(MANIFEST_PATH));
    assert!(!disk
        .files
        .contains_key(&format!("blobs/{}", layer.blob_file_name())));
    assert!(disk.leftovers().is_empty());
}

#[test]
fn manifest_checks() {
    let m = model(&[10], 16);
    // Content that does not match Docker-Content-Digest is fetched again.
    let mut reg = registry(&m);
    let manifest = m.manifest.clone();
    reg.hook = Some(Box::new(move |n, req| {
        (n == 0).then(|| {
            Reply::status(200, &req.url)
                .header(
                    "Docker-Content-Digest",
                    crate::digest::Digest::of(b"other").to_string(),
                )
                .body(manifest.clone())
        })
    }));
    let mut disk = Disk::default();
    pull(small_parts(), &mut reg, &mut disk, 1).result.unwrap();
    assert_pulled(&m, &disk);
    // An image index is not a model.
    let mut reg = registry(&m);
    reg.manifests.insert(
        "team/gemma:v1".into(),
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#.to_vec(),
    );
    let err = pull(small_parts(), &mut reg, &mut Disk::default(), 1)
        .result
        .unwrap_err();
    assert!(err.to_string().contains("not an Ollama model"), "{err}");
}

#[path = "tests_resume.rs"]
mod resume;
