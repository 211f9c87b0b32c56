//! `ollama-pack verify` against fresh copies of the store written by
//! `tests/fixtures/store/make_store.py` (its expected.json, computed by
//! Python, names the missing and the wrong-size blob). Each test corrupts
//! its own copy; digests of corrupted files are computed here with sha2.

mod common;

use serde_json::Value;
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    common::store_fixture()
}

fn expected() -> Value {
    common::store_expected()
}

/// A fresh copy of `dot-ollama` for one test.
fn store_copy(test: &str) -> PathBuf {
    let dir = common::scratch("cli_verify", test);
    common::copy_dir(&fixture().join("dot-ollama"), &dir);
    dir
}

/// A copy without the broken model (phi, with its missing and wrong-size
/// blobs) and the unparsable manifest: every blob in it is intact.
fn clean_copy(test: &str) -> PathBuf {
    let dir = store_copy(test);
    let m = dir.join("models/manifests");
    std::fs::remove_dir_all(m.join("hf.co")).unwrap();
    std::fs::remove_dir_all(m.join("registry.ollama.ai/library/broken")).unwrap();
    // Now an orphan whose content does not match its name: a cut-short copy.
    let cut = &expected()["blobs"]["size_mismatch"][0]["digest"];
    std::fs::remove_file(blob(&dir, cut.as_str().unwrap())).unwrap();
    dir
}

fn blob(dir: &Path, digest: &str) -> PathBuf {
    dir.join("models/blobs")
        .join(digest.replacen("sha256:", "sha256-", 1))
}

fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

fn verify(args: &[&str]) -> (i32, String, String) {
    common::run(&[["verify"].as_slice(), args].concat())
}

fn verify_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![dir.to_str().unwrap(), "--json"];
    args.extend(extra);
    let (code, stdout, stderr) = verify(&args);
    assert!(code == 0 || code == 1, "exit {code}: {stderr}");
    (code, serde_json::from_str(&stdout).expect("valid JSON"))
}

fn blob_result<'a>(report: &'a Value, digest: &str) -> &'a Value {
    report["blobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["digest"] == digest)
        .unwrap_or_else(|| panic!("{digest} not in the report"))
}

fn verdict<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no verdict for {name}"))
}

/// Names of the models whose config or layers reference `digest`.
fn users_of(digest: &str) -> Vec<String> {
    expected()["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["layers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["digest"] == digest)
        })
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fixture_store_intact_models_pass_the_broken_one_fails() {
    let dir = store_copy("fixture");
    let (code, report) = verify_json(&dir, &[]);
    assert_eq!(code, 1, "the fixture has a missing and a wrong-size blob");
    let want = expected();
    let missing = want["blobs"]["missing"][0]["digest"].as_str().unwrap();
    let wrong = &want["blobs"]["size_mismatch"][0];
    let wrong_digest = wrong["digest"].as_str().unwrap();
    assert_eq!(
        blob_result(&report, missing)["outcome"],
        serde_json::json!({"status": "missing"})
    );
    assert_eq!(
        blob_result(&report, wrong_digest)["outcome"],
        serde_json::json!({"status": "wrong_size", "expected": wrong["expected"], "actual": wrong["actual"]})
    );
    let broken = want["blobs"]["missing"][0]["model"].as_str().unwrap();
    for m in want["models"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        let v = verdict(&report, name);
        if name == broken {
            assert_eq!(v["ok"], false);
            let mut problems: Vec<&str> = v["problems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            problems.sort();
            let mut want_problems = vec![missing, wrong_digest];
            want_problems.sort();
            assert_eq!(problems, want_problems);
        } else {
            assert_eq!(v["ok"], true, "{name}: {v}");
        }
    }
    let t = &report["totals"];
    assert_eq!(
        (t["problems"].as_u64(), t["blobs"].as_u64()),
        (Some(2), Some(14))
    );
    assert!(report["blobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["digest"] != missing && b["digest"] != wrong_digest)
        .all(|b| b["outcome"]["status"] == "ok"));
}

#[test]
fn flipped_byte_is_a_mismatch_that_fails_every_model_using_the_blob() {
    let dir = store_copy("flipped");
    let want = expected();
    let tiny = want["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "localhost:5000/team/tiny:v1")
        .unwrap();
    let weights = tiny["layers"][0]["digest"].as_str().unwrap();
    let path = blob(&dir, weights);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();

    let (code, report) = verify_json(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        blob_result(&report, weights)["outcome"],
        serde_json::json!({"status": "mismatch", "expected": weights, "actual": sha256(&bytes)})
    );
    let users = users_of(weights);
    assert_eq!(users.len(), 3, "{users:?}");
    for name in &users {
        let v = verdict(&report, name);
        assert_eq!(v["ok"], false, "{name}");
        assert!(v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == weights));
    }
    assert_eq!(verdict(&report, "gemma2:2b")["ok"], true);

    let (code, stdout, _) = verify(&[dir.to_str().unwrap(), "llama3.2"]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains(&format!(
            "MISMATCH: the content hashes to {}",
            sha256(&bytes)
        )),
        "{stdout}"
    );
    assert!(stdout.contains("FAILED"), "{stdout}");
}

#[test]
fn deleted_blob_is_missing() {
    let dir = store_copy("deleted");
    let gemma = &expected()["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "gemma2:2b")
        .unwrap()
        .clone();
    let template = gemma["layers"][1]["digest"].as_str().unwrap();
    std::fs::remove_file(blob(&dir, template)).unwrap();
    let (code, report) = verify_json(&dir, &["gemma2:2b"]);
    assert_eq!(code, 1);
    assert_eq!(
        blob_result(&report, template)["outcome"]["status"],
        "missing"
    );
    assert_eq!(report["models"].as_array().unwrap().len(), 1);
    assert_eq!(verdict(&report, "gemma2:2b")["problems"][0], template);
}

#[test]
fn intact_model_exits_0_by_any_spelling() {
    let dir = store_copy("intact");
    for typed in [
        "gemma2:2b",
        "GEMMA2:2b",
        "registry.ollama.ai/library/gemma2:2b",
    ] {
        let (code, stdout, stderr) = verify(&[dir.to_str().unwrap(), typed]);
        assert_eq!(code, 0, "{typed}: {stdout}{stderr}");
        assert!(stdout.contains("all good"), "{stdout}");
        assert!(stderr.is_empty(), "no progress bar when piped: {stderr}");
    }
    let (code, report) = verify_json(&dir, &["llama3.2", "localhost:5000/team/tiny:v1"]);
    assert_eq!(code, 0);
    let names: Vec<&str> = report["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["localhost:5000/team/tiny:v1", "llama3.2:latest"]);
}

#[test]
fn clean_store_exits_0_with_orphans_too() {
    let dir = clean_copy("clean");
    let (code, stdout, _) = verify(&[dir.join("models").to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}");
    let (code, report) = verify_json(&dir, &["--orphans"]);
    assert_eq!(code, 0);
    let orphan = expected()["blobs"]["orphaned"][0]["digest"].clone();
    let o = blob_result(&report, orphan.as_str().unwrap());
    assert_eq!(o["outcome"]["status"], "ok");
    assert_eq!(o["models"], serde_json::json!([]));
    // A corrupt orphan is a problem, though no model fails.
    let path = blob(&dir, orphan.as_str().unwrap());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let (code, report) = verify_json(&dir, &["--orphans"]);
    assert_eq!(code, 1);
    assert!(report["models"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["ok"] == true));
}

#[test]
fn unknown_model_exits_2_naming_what_exists() {
    let dir = store_copy("unknown");
    let (code, stdout, stderr) = verify(&[dir.to_str().unwrap(), "gemma2:2b", "mistral"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("no model named \"mistral\""), "{stderr}");
    assert!(
        stderr.contains("gemma2:2b") && stderr.contains("llama3.2:latest"),
        "{stderr}"
    );
}

#[test]
fn wrong_folder_or_archive_exits_2() {
    let (code, stdout, stderr) = verify(&[env!("CARGO_MANIFEST_DIR")]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("not an Ollama models folder"), "{stderr}");
    let (code, _, stderr) = verify(&["/nonexistent/folder"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("could not be read"), "{stderr}");
    let file = fixture().join("expected.json");
    let (code, _, stderr) = verify(&[file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a tar archive"), "{stderr}");
}

#[test]
fn json_has_the_documented_shape() {
    let dir = store_copy("json");
    let (_, report) = verify_json(&dir, &[]);
    assert!(report["root"].as_str().unwrap().ends_with("models"));
    for key in ["digest", "size", "models", "outcome"] {
        assert!(report["blobs"][0].get(key).is_some(), "blobs[].{key}");
    }
    assert!(report["blobs"][0]["digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    for key in ["name", "ok", "problems"] {
        assert!(report["models"][0].get(key).is_some(), "models[].{key}");
    }
    for key in [
        "blobs",
        "bytes",
        "ok",
        "problems",
        "remembered",
        "unchecked",
    ] {
        assert!(report["totals"][key].is_u64(), "totals.{key}");
    }
}

#[test]
fn quick_state_skips_unchanged_blobs_and_rereads_touched_ones() {
    let dir = clean_copy("quick");
    let state = dir.join("verify-state.json");
    let args = ["--quick-state", state.to_str().unwrap()];
    let (code, first) = verify_json(&dir, &args);
    assert_eq!(code, 0);
    assert_eq!(first["totals"]["remembered"], 0);
    let (code, second) = verify_json(&dir, &args);
    assert_eq!(code, 0);
    assert_eq!(second["totals"]["remembered"], second["totals"]["blobs"]);

    // Same size, new content and a new mtime: read again, and caught.
    let gemma_weights = weights_of("gemma2:2b");
    let path = blob(&dir, &gemma_weights);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let (code, third) = verify_json(&dir, &args);
    assert_eq!(code, 1);
    let b = blob_result(&third, &gemma_weights);
    assert_eq!(b["outcome"]["status"], "mismatch");
    assert!(b.get("remembered").is_none());
}

fn weights_of(name: &str) -> String {
    expected()["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap()["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string()
}
