//! Verification against a hand-built store: two models sharing blobs, one
//! with a missing and a wrong-size blob, an orphan; blobs corrupted, cut
//! short or empty; quick-check memory; a pure driver that reads a
//! [`MemSource`] in random chunks the way a worker would.

use super::*;
use crate::digest::Digest;
use crate::source::{MemSource, StoreSource};
use crate::store::blob_dir::BlobDir;
use crate::store::{scan_store, StoreReport};
use crate::testing::random_chunks;
use std::collections::BTreeMap;

const DOCKER: &str = "application/vnd.docker.distribution.manifest.v2+json";
const CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const T: i64 = 1_795_305_599_000;
const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn layer(media: &str, bytes: &[u8]) -> String {
    layer_as(media, &Digest::of(bytes), bytes.len() as u64)
}

fn layer_as(media: &str, digest: &Digest, size: u64) -> String {
    format!(r#"{{"mediaType":"{media}","digest":"{digest}","size":{size}}}"#)
}

fn manifest_of(config: &[u8], layers: &[String]) -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{DOCKER}","config":{},"layers":[{}]}}"#,
        layer(CONFIG, config),
        layers.join(",")
    )
    .into_bytes()
}

fn ollama(kind: &str, bytes: &[u8]) -> String {
    layer(&format!("application/vnd.ollama.image.{kind}"), bytes)
}

fn put_blob(store: &mut MemSource, bytes: &[u8]) {
    store.add_file(&blob_file(&Digest::of(bytes)), bytes.to_vec(), T);
}

fn blob_file(d: &Digest) -> String {
    format!("models/blobs/{}", d.blob_file_name())
}

fn data(n: usize, salt: u32) -> Vec<u8> {
    (0..n as u32)
        .map(|i| (i.wrapping_add(salt).wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

struct Fixture {
    store: MemSource,
    weights_a: Vec<u8>,
    weights_c: Vec<u8>,
    template: Vec<u8>,
    config_a: Vec<u8>,
    system_c: Vec<u8>,
    orphan: Vec<u8>,
}

/// alpha:8b and team/beta:v1 share template and license; gemma2:latest has
/// weights of the wrong size on disk and a missing system prompt.
fn fixture() -> Fixture {
    let mut store = MemSource::new();
    let weights_a = data(300_000, 1);
    let weights_b = data(200_000, 2);
    let weights_c = data(1000, 3);
    let template = b"{{ .Prompt }}".to_vec();
    let license = b"MIT license".to_vec();
    let config_a = br#"{"model_family":"llama"}"#.to_vec();
    let config_b = br#"{"model_family":"gemma"}"#.to_vec();
    let config_c = br#"{"model_family":"gemma2"}"#.to_vec();
    let system_c = b"never written".to_vec();
    let orphan = b"nobody needs me".to_vec();
    let shared = [ollama("template", &template), ollama("license", &license)];
    let a = manifest_of(
        &config_a,
        &[
            ollama("model", &weights_a),
            shared[0].clone(),
            shared[1].clone(),
        ],
    );
    let b = manifest_of(
        &config_b,
        &[
            ollama("model", &weights_b),
            shared[0].clone(),
            shared[1].clone(),
        ],
    );
    let c = manifest_of(
        &config_c,
        &[ollama("model", &weights_c), ollama("system", &system_c)],
    );
    for blob in [
        &weights_a, &weights_b, &template, &license, &config_a, &config_b, &config_c, &orphan,
    ] {
        put_blob(&mut store, blob);
    }
    store.add_file(
        &blob_file(&Digest::of(&weights_c)),
        weights_c[..600].to_vec(),
        T,
    );
    let m = "models/manifests";
    store.add_file(&format!("{m}/registry.ollama.ai/library/alpha/8b"), a, T);
    store.add_file(&format!("{m}/registry.ollama.ai/team/beta/v1"), b, T);
    store.add_file(
        &format!("{m}/registry.ollama.ai/library/gemma2/latest"),
        c,
        T,
    );
    Fixture {
        store,
        weights_a,
        weights_c,
        template,
        config_a,
        system_c,
        orphan,
    }
}

fn scan(store: &MemSource) -> (StoreReport, BlobDir) {
    let report = pollster::block_on(scan_store(store, "/u/.ollama")).expect("scan");
    let listing = pollster::block_on(store.list("models/blobs")).expect("list");
    (report, BlobDir::from_listing(listing))
}

fn plan_for(store: &MemSource, models: &[&str], orphans: bool) -> Result<VerifyPlan, PlanError> {
    let (report, listing) = scan(store);
    let selection = Selection {
        models: models.iter().map(|s| s.to_string()).collect(),
        orphans,
    };
    VerifyPlan::new(&report, &listing, &selection)
}

/// What a driver does: settled outcomes, then every other blob read in
/// random chunks and fed to its hasher.
fn run(store: &MemSource, plan: &VerifyPlan, seed: u64) -> BTreeMap<Digest, Outcome> {
    let mut outcomes = plan.settled();
    for check in plan.to_hash() {
        let outcome = match pollster::block_on(store.read(&check.path, 0, usize::MAX)) {
            Ok(bytes) => {
                let mut h = check.hasher();
                for chunk in random_chunks(&bytes, seed, 70_000) {
                    h.update(chunk);
                }
                assert_eq!(h.bytes(), bytes.len() as u64);
                h.finish()
            }
            Err(e) => Outcome::Unreadable { reason: e.message },
        };
        outcomes.insert(check.digest.clone(), outcome);
    }
    outcomes
}

fn hash_all(bytes: &[u8], expected: &Digest, size: u64, seed: u64) -> Outcome {
    let mut h = BlobHasher::new(expected.clone(), size);
    for chunk in random_chunks(bytes, seed, 64 << 10) {
        h.update(chunk);
    }
    h.finish()
}

#[test]
fn streaming_hasher_equals_one_shot_for_many_chunkings() {
    let bytes = data(1_000_003, 7);
    let d = Digest::of(&bytes);
    for seed in 0..40 {
        assert_eq!(hash_all(&bytes, &d, bytes.len() as u64, seed), Outcome::Ok);
    }
}

#[test]
fn flipped_byte_is_a_mismatch_with_both_digests() {
    let good = data(100_000, 9);
    let mut bad = good.clone();
    bad[54_321] ^= 0x01;
    let outcome = hash_all(&bad, &Digest::of(&good), good.len() as u64, 3);
    assert_eq!(
        outcome,
        Outcome::Mismatch {
            expected: Digest::of(&good),
            actual: Digest::of(&bad)
        }
    );
}

#[test]
fn truncated_or_grown_blob_is_wrong_size() {
    let good = data(10_000, 4);
    let d = Digest::of(&good);
    assert_eq!(
        hash_all(&good[..9_999], &d, 10_000, 1),
        Outcome::WrongSize {
            expected: 10_000,
            actual: 9_999
        }
    );
    let mut grown = good.clone();
    grown.push(0);
    assert_eq!(
        hash_all(&grown, &d, 10_000, 1),
        Outcome::WrongSize {
            expected: 10_000,
            actual: 10_001
        }
    );
}

#[test]
fn empty_file_is_ok_only_against_the_empty_digest_and_size_zero() {
    let empty = Digest::parse(&format!("sha256:{EMPTY}")).unwrap();
    assert_eq!(hash_all(b"", &empty, 0, 1), Outcome::Ok);
    assert_eq!(BlobHasher::new(empty.clone(), 0).finish(), Outcome::Ok);
    let other = Digest::of(b"x");
    assert_eq!(
        hash_all(b"", &other, 0, 1),
        Outcome::Mismatch {
            expected: other.clone(),
            actual: empty.clone()
        }
    );
    assert_eq!(
        hash_all(b"", &other, 1, 1),
        Outcome::WrongSize {
            expected: 1,
            actual: 0
        }
    );
    // Through a store: an empty blob a manifest names with size 0 is ok.
    let mut f = fixture();
    let m = manifest_of(&f.config_a, &[ollama("messages", b"")]);
    f.store.add_file(
        "models/manifests/registry.ollama.ai/library/empty/latest",
        m,
        T,
    );
    put_blob(&mut f.store, b"");
    let plan = plan_for(&f.store, &["empty"], false).unwrap();
    assert_eq!(plan.checks.len(), 2);
    let report = VerifyReport::build(&plan, &run(&f.store, &plan, 5));
    assert!(!report.has_problems(), "{report:?}");
    assert_eq!(report.blobs[1].digest, empty);
}

#[test]
fn listing_settles_missing_and_wrong_size_without_reading() {
    let f = fixture();
    let plan = plan_for(&f.store, &["gemma2"], false).unwrap();
    let settled = plan.settled();
    assert_eq!(settled[&Digest::of(&f.system_c)], Outcome::Missing);
    assert_eq!(
        settled[&Digest::of(&f.weights_c)],
        Outcome::WrongSize {
            expected: 1000,
            actual: 600
        }
    );
    let to_hash: Vec<&Digest> = plan.to_hash().map(|c| &c.digest).collect();
    assert_eq!(to_hash.len(), 1, "only the config blob is read");
    assert_eq!(plan.bytes_to_hash(), plan.checks[0].expected_size);
}

#[test]
fn whole_store_report_with_verdicts_per_model() {
    let f = fixture();
    let plan = plan_for(&f.store, &[], false).unwrap();
    // 3 configs + 3 weights + template + license + system, each once.
    assert_eq!(plan.checks.len(), 9);
    let report = VerifyReport::build(&plan, &run(&f.store, &plan, 11));
    assert!(report.has_problems() && report.is_complete());
    assert_eq!(report.totals.blobs, 9);
    assert_eq!((report.totals.ok, report.totals.problems), (7, 2));
    assert!(report.model("alpha:8b").unwrap().ok);
    assert!(report.model("team/beta:v1").unwrap().ok);
    let gemma = report.model("gemma2:latest").unwrap();
    assert!(!gemma.ok);
    assert_eq!(
        gemma.problems,
        [Digest::of(&f.weights_c), Digest::of(&f.system_c)]
    );
}

#[test]
fn corrupted_shared_blob_fails_every_model_using_it() {
    let mut f = fixture();
    let mut bad = f.template.clone();
    bad[0] ^= 0x20;
    f.store
        .add_file(&blob_file(&Digest::of(&f.template)), bad.clone(), T);
    let plan = plan_for(&f.store, &["ALPHA:8B"], false).unwrap();
    let report = VerifyReport::build(&plan, &run(&f.store, &plan, 2));
    let t = report
        .blobs
        .iter()
        .find(|b| b.digest == Digest::of(&f.template))
        .unwrap();
    assert_eq!(
        t.outcome,
        Outcome::Mismatch {
            expected: Digest::of(&f.template),
            actual: Digest::of(&bad)
        }
    );
    assert_eq!(t.models, ["alpha:8b", "team/beta:v1"]);
    assert_eq!(report.models.len(), 1);
    assert!(!report.models[0].ok);
}

#[test]
fn selection_by_typed_names_counts_shared_blobs_once_with_configs() {
    let f = fixture();
    let names = |p: &VerifyPlan| p.models.clone();
    for typed in [
        "alpha:8b",
        "Alpha:8B",
        "library/alpha:8b",
        "registry.ollama.ai/library/alpha:8b",
    ] {
        let plan = plan_for(&f.store, &[typed], false).unwrap();
        assert_eq!(names(&plan), ["alpha:8b"], "{typed}");
        assert_eq!(plan.checks.len(), 4, "{typed}");
        assert_eq!(
            plan.checks[0].digest,
            Digest::of(&f.config_a),
            "config first"
        );
        assert_eq!(
            plan.checks[0].path,
            format!("models/blobs/{}", Digest::of(&f.config_a).blob_file_name())
        );
    }
    let plan = plan_for(&f.store, &["gemma2"], false).unwrap();
    assert_eq!(names(&plan), ["gemma2:latest"]);
    let both = plan_for(&f.store, &["alpha:8b", "team/beta:v1", "alpha:8b"], false).unwrap();
    assert_eq!(names(&both), ["alpha:8b", "team/beta:v1"]);
    // 2 configs + 2 weights + the shared template and license once.
    assert_eq!(both.checks.len(), 6);
    let weights = both
        .checks
        .iter()
        .find(|c| c.digest == Digest::of(&f.weights_a))
        .unwrap();
    assert_eq!(weights.expected_size, f.weights_a.len() as u64);
    assert_eq!(weights.models, ["alpha:8b"]);
}

#[test]
fn orphans_only_on_request_checked_against_their_name() {
    let mut f = fixture();
    let plan = plan_for(&f.store, &[], false).unwrap();
    assert!(!plan
        .checks
        .iter()
        .any(|c| c.digest == Digest::of(&f.orphan)));
    let plan = plan_for(&f.store, &["alpha:8b"], true).unwrap();
    let last = plan.checks.last().unwrap();
    assert_eq!(last.digest, Digest::of(&f.orphan));
    assert!(last.models.is_empty());
    assert_eq!(last.expected_size, f.orphan.len() as u64);
    // A corrupt orphan of the right size is a mismatch.
    let mut bad = f.orphan.clone();
    bad[1] ^= 1;
    f.store.add_file(&blob_file(&Digest::of(&f.orphan)), bad, T);
    let plan = plan_for(&f.store, &["alpha:8b"], true).unwrap();
    let report = VerifyReport::build(&plan, &run(&f.store, &plan, 4));
    assert_eq!(report.blobs.last().unwrap().outcome.label(), "mismatch");
    assert!(report.models[0].ok, "an orphan fails no model");
    assert!(report.has_problems());
}

#[test]
fn unknown_names_are_an_error_listing_what_exists() {
    let f = fixture();
    let e = plan_for(&f.store, &["alpha:8b", "nope", "bad name!"], false).unwrap_err();
    let PlanError::UnknownModels { unknown, known } = &e;
    assert_eq!(unknown, &["nope", "bad name!"]);
    assert_eq!(known.len(), 3);
    let msg = e.to_string();
    assert!(
        msg.contains("\"nope\"") && msg.contains("alpha:8b, "),
        "{msg}"
    );
    // `alpha` means alpha:latest, which is not there.
    assert!(plan_for(&f.store, &["alpha"], false).is_err());
}

#[test]
fn quick_check_skips_blobs_verified_since_with_same_size_and_mtime() {
    let mut f = fixture();
    let plan = plan_for(&f.store, &["alpha:8b"], false).unwrap();
    let outcomes = run(&f.store, &plan, 1);
    let mut memory = QuickMemory::new();
    for c in &plan.checks {
        memory.record(c, &outcomes[&c.digest]);
    }
    assert_eq!(memory.len(), 4);
    let again = memory.skip_in(plan_for(&f.store, &[], false).unwrap());
    let hashed: Vec<&Digest> = again.to_hash().map(|c| &c.digest).collect();
    // beta's config and weights, and gemma's config; alpha's 4 are remembered.
    assert_eq!(hashed.len(), 3);
    assert!(!hashed.contains(&&Digest::of(&f.weights_a)));
    let report = VerifyReport::build(&again, &run(&f.store, &again, 2));
    assert_eq!(report.totals.remembered, 4);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["blobs"][0]["remembered"], true);

    // Touched (new mtime) or resized files are read again; problems are
    // forgotten, so they are always re-read.
    let weights = blob_file(&Digest::of(&f.weights_a));
    f.store.add_file(&weights, f.weights_a.clone(), T + 1);
    let again = memory.skip_in(plan_for(&f.store, &["alpha:8b"], false).unwrap());
    let hashed: Vec<&Digest> = again.to_hash().map(|c| &c.digest).collect();
    assert_eq!(hashed, [&Digest::of(&f.weights_a)]);
    let gemma = plan_for(&f.store, &["gemma2"], false).unwrap();
    let wrong = gemma
        .checks
        .iter()
        .find(|c| c.digest == Digest::of(&f.weights_c))
        .unwrap();
    memory.record(wrong, &Outcome::Ok);
    assert!(!memory.is_fresh(wrong), "a wrong-size file is never fresh");

    let text = serde_json::to_string(&memory).unwrap();
    let back: QuickMemory = serde_json::from_str(&text).unwrap();
    assert_eq!(back, memory);
}

#[test]
fn cancelled_run_reports_unchecked_blobs() {
    let f = fixture();
    let plan = plan_for(&f.store, &["alpha:8b"], false).unwrap();
    let mut outcomes = run(&f.store, &plan, 1);
    outcomes.remove(&Digest::of(&f.weights_a));
    let report = VerifyReport::build(&plan, &outcomes);
    assert!(!report.is_complete() && !report.has_problems());
    assert_eq!(report.totals.unchecked, 1);
    assert!(!report.models[0].ok);
    assert_eq!(report.models[0].unchecked, [Digest::of(&f.weights_a)]);
}

#[test]
fn json_has_the_documented_shape() {
    let f = fixture();
    let plan = plan_for(&f.store, &[], false).unwrap();
    let v = serde_json::to_value(VerifyReport::build(&plan, &run(&f.store, &plan, 1))).unwrap();
    assert_eq!(v["root"], "/u/.ollama/models");
    let blob = &v["blobs"][0];
    for key in ["digest", "size", "models", "outcome"] {
        assert!(blob.get(key).is_some(), "blob.{key}");
    }
    assert_eq!(blob["outcome"], serde_json::json!({"status": "ok"}));
    assert!(blob.get("remembered").is_none());
    let statuses: Vec<&str> = v["blobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["outcome"]["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"missing") && statuses.contains(&"wrong_size"));
    let wrong = v["blobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["outcome"]["status"] == "wrong_size")
        .unwrap();
    assert_eq!(wrong["outcome"]["expected"], 1000);
    assert_eq!(wrong["outcome"]["actual"], 600);
    let unreadable = serde_json::to_value(Outcome::Unreadable {
        reason: "denied".into(),
    })
    .unwrap();
    assert_eq!(
        unreadable,
        serde_json::json!({"status": "unreadable", "reason": "denied"})
    );
    for key in ["name", "ok", "problems"] {
        assert!(v["models"][0].get(key).is_some(), "model.{key}");
    }
    for key in [
        "blobs",
        "bytes",
        "ok",
        "problems",
        "remembered",
        "unchecked",
    ] {
        assert!(v["totals"].get(key).is_some(), "totals.{key}");
    }
}

#[test]
fn blobs_are_hashed_largest_first_each_once() {
    let f = fixture();
    let plan = plan_for(&f.store, &[], true).expect("plan");
    let order = plan.hash_order();
    let sizes: Vec<u64> = order.iter().map(|c| c.expected_size).collect();
    assert!(
        sizes.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {sizes:?}"
    );
    let mut digests: Vec<&Digest> = order.iter().map(|c| &c.digest).collect();
    assert_eq!(digests.len(), plan.to_hash().count(), "every blob to hash");
    digests.sort();
    digests.dedup();
    assert_eq!(digests.len(), plan.to_hash().count(), "each once");
}
