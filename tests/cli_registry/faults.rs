//! Pulls through tests/registry/fault_proxy.mjs, which breaks the
//! registry's answers on purpose: a connection dropped mid-blob, a stall, a
//! flipped byte, and a pull that gives up and is run again. The model has
//! 6 MB of weights in 1 MB parts; the proxy counts the body bytes it sent,
//! so each test can say how much travelled.

use super::support::*;
use std::path::PathBuf;

const SIZE: usize = 6_000_000;
const PART: &str = "1000000";
const PARTS: u64 = 6;

/// A registry holding `team/big:v1`, the proxy in front, a destination.
struct Setup {
    model: BigModel,
    proxy: FaultProxy,
    reference: String,
    dest: PathBuf,
    _reg: Registry,
}

impl Setup {
    fn new(test: &str) -> Option<Self> {
        let reg = Registry::start(test)?;
        let base = scratch(test);
        let model = BigModel::make(&base.join("source"), SIZE);
        model.push(&format!("{}/team/big:v1", reg.url));
        let proxy = FaultProxy::start(test, &reg.url)?;
        let reference = format!("{}/team/big:v1", proxy.url);
        let dest = base.join("pulled");
        Some(Self {
            model,
            proxy,
            reference,
            dest,
            _reg: reg,
        })
    }

    /// The weights' blob path on the registry, for fault rules and stats.
    fn weights_path(&self) -> String {
        format!("/blobs/sha256:{}", self.model.weights_hex)
    }

    fn pull(&self, extra: &[&str]) -> (i32, String, String) {
        let d = self.dest.to_str().unwrap();
        let mut args = vec!["pull", &self.reference, "-C", d, "--part-size", PART];
        args.extend_from_slice(extra);
        run(&args)
    }

    fn weights_sent(&self) -> u64 {
        self.proxy.body_bytes(&self.weights_path())
    }

    /// Blob requests beyond one per part: the retries.
    fn retries(&self) -> u64 {
        self.proxy.requests(&self.weights_path()) - PARTS
    }

    fn blob_file(&self) -> PathBuf {
        self.dest
            .join(format!("blobs/sha256-{}", self.model.weights_hex))
    }

    fn manifest_file(&self) -> PathBuf {
        let host = self.proxy.url.trim_start_matches("http://");
        self.dest.join("manifests").join(host).join("team/big/v1")
    }

    /// The pull is complete and byte-identical to what was pushed.
    fn assert_pulled(&self) {
        let blob = std::fs::read(self.blob_file()).unwrap();
        assert!(blob == self.model.weights, "the weights differ");
        assert_eq!(
            std::fs::read(self.manifest_file()).unwrap(),
            self.model.manifest
        );
        let left: Vec<String> = file_names(&self.dest.join("blobs"))
            .into_iter()
            .filter(|n| n.contains("partial"))
            .collect();
        assert!(left.is_empty(), "leftovers: {left:?}");
    }
}

fn rule(kind: &str, path: &str, after: u64, times: u32) -> String {
    format!(r#"{{"kind":"{kind}","path":"{path}","after_bytes":{after},"times":{times}}}"#)
}

#[test]
fn a_connection_dropped_mid_blob_resumes_from_the_part_frontier() {
    let Some(s) = Setup::new("fault-drop") else {
        return;
    };
    // Three of the six parts lose their connection after 300 kB.
    s.proxy.fault(&rule("drop", &s.weights_path(), 300_000, 3));
    let (code, out, err) = s.pull(&[]);
    assert_eq!(code, 0, "{out}{err}");
    s.assert_pulled();
    assert_eq!(s.retries(), 3);
    let sent = s.weights_sent();
    assert!(
        sent as f64 <= 1.1 * SIZE as f64,
        "{sent} bytes travelled for a {SIZE}-byte blob"
    );
}

#[test]
fn a_stall_is_detected_and_retried() {
    let Some(s) = Setup::new("fault-stall") else {
        return;
    };
    s.proxy.fault(&rule("stall", &s.weights_path(), 200_000, 1));
    let (code, out, err) = s.pull(&["--stall-timeout", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    s.assert_pulled();
    // At least the stalled request was retried (a busy machine may make
    // another read wait a second too); a missed stall would hang here.
    assert!(s.retries() >= 1);
    let sent = s.weights_sent();
    assert!(sent as f64 <= 1.1 * SIZE as f64, "{sent} bytes travelled");
}

#[test]
fn a_flipped_byte_is_caught_and_the_blob_fetched_again() {
    let Some(s) = Setup::new("fault-flip-once") else {
        return;
    };
    s.proxy.fault(&rule("flip", &s.weights_path(), 12_345, 1));
    let (code, out, err) = s.pull(&[]);
    assert_eq!(code, 0, "{out}{err}");
    s.assert_pulled();
    // Verification failed once: the whole blob came twice.
    let sent = s.weights_sent();
    assert!(sent >= 2 * SIZE as u64, "{sent} bytes travelled");
}

#[test]
fn a_byte_flipped_every_time_is_a_digest_mismatch_and_nothing_is_kept() {
    let Some(s) = Setup::new("fault-flip-always") else {
        return;
    };
    s.proxy.fault(&rule("flip", &s.weights_path(), 777, 1000));
    let (code, out, err) = s.pull(&[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains(&format!("blob sha256:{}", s.model.weights_hex))
            && err.contains("downloaded twice")
            && err.contains("nothing of it was kept"),
        "{err}"
    );
    assert!(!s.blob_file().exists(), "no blob under its final name");
    assert!(!s.manifest_file().exists(), "no manifest");
    let names = file_names(&s.dest.join("blobs"));
    assert!(
        !names.iter().any(|n| n.contains(&s.model.weights_hex)),
        "nothing of the damaged blob: {names:?}"
    );
}

#[test]
fn a_pull_that_gave_up_continues_from_its_parts_when_run_again() {
    let Some(s) = Setup::new("fault-give-up") else {
        return;
    };
    // Each of the six parts gets 400 kB, then every retry breaks at once.
    let path = s.weights_path();
    let rules = format!(
        "[{},{}]",
        rule("drop", &path, 400_000, 6),
        rule("drop", &path, 0, 1000)
    );
    s.proxy.fault(&rules);
    let (code, out, err) = s.pull(&["--attempts", "2", "--concurrency", "6"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("gave up on blob") && err.contains("run the same pull again to continue"),
        "{err}"
    );
    assert!(!s.blob_file().exists() && !s.manifest_file().exists());
    let first = s.weights_sent();
    assert!(first >= 2_000_000, "{first} bytes before giving up");

    s.proxy.clear_faults();
    s.proxy.reset_stats();
    let (code, out, err) = s.pull(&[]);
    assert_eq!(code, 0, "{out}{err}");
    s.assert_pulled();
    let second = s.weights_sent();
    // Only what was missing: about 6 MB - 2.4 MB, never the whole blob.
    assert!(
        (first + second) as f64 <= 1.1 * SIZE as f64 && second < SIZE as u64 - 2_000_000,
        "first run {first} bytes, second {second}"
    );
}
