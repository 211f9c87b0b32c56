//! `rm`, `cp` and `prune` on copies of the Python-made fixture store, and
//! how every command finds the models folder when none is given
//! ($OLLAMA_MODELS, else ~/.ollama/models). What is left is checked from
//! the files themselves and with `verify` and `inspect --json`.

mod common;

use common::{copy_dir, run, scratch, store_fixture};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

const SUITE: &str = "cli_manage";

/// A copy of the fixture's `.ollama`; `clean` drops its unparsable manifest
/// (which otherwise withholds every blob).
fn store(test: &str, clean: bool) -> PathBuf {
    let dir = scratch(SUITE, test).join(".ollama");
    copy_dir(&store_fixture().join("dot-ollama"), &dir);
    if clean {
        std::fs::remove_file(dir.join("models/manifests/registry.ollama.ai/library/broken/latest"))
            .unwrap();
    }
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn inspect(dir: &Path) -> Value {
    let (code, out, err) = run(&["inspect", s(dir), "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn blob(dir: &Path, digest: &str) -> PathBuf {
    dir.join("models/blobs").join(digest.replace(':', "-"))
}

/// Every blob digest a model's manifest names.
fn blobs_of(dir: &Path, manifest_path: &str) -> Vec<String> {
    let m: Value =
        serde_json::from_slice(&std::fs::read(dir.join("models").join(manifest_path)).unwrap())
            .unwrap();
    std::iter::once(&m["config"])
        .chain(m["layers"].as_array().unwrap())
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect()
}

fn model<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn rm_removes_the_manifest_and_the_blobs_no_other_model_uses() {
    let dir = store("rm", true);
    let before = inspect(&dir);
    let gemma = model(&before, "gemma2:2b");
    let frees = gemma["frees"].as_u64().unwrap();
    let path = gemma["manifest_path"].as_str().unwrap().to_string();
    let digests = blobs_of(&dir, &path);

    let (code, out, err) = run(&["rm", "gemma2:2b", "-C", s(&dir), "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Would remove 1 model(s): gemma2:2b"),
        "{out}"
    );
    assert!(
        dir.join("models").join(&path).exists(),
        "a dry run removes nothing"
    );

    let (code, out, err) = run(&["rm", "gemma2:2b", "-C", s(&dir)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!dir.join("models").join(&path).exists());
    assert!(
        !dir.join("models/manifests/registry.ollama.ai/library/gemma2")
            .exists(),
        "its empty folder went too"
    );
    let after = inspect(&dir);
    let still_used: Vec<String> = after["models"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| blobs_of(&dir, m["manifest_path"].as_str().unwrap()))
        .collect();
    let mut freed = 0;
    for d in &digests {
        let on_disk = blob(&dir, d).exists();
        assert_eq!(
            on_disk,
            still_used.contains(d),
            "{d}: kept exactly when another model uses it"
        );
        if !on_disk {
            freed += std::fs::metadata(blob(&store_fixture().join("dot-ollama"), d))
                .map_or(0, |m| m.len());
        }
    }
    assert_eq!(freed, frees, "freed what inspect said removing it frees");
    assert!(out.contains("Done: 1 manifest(s) and"), "{out}");
    assert_eq!(
        after["models"].as_array().unwrap().len(),
        before["models"].as_array().unwrap().len() - 1
    );
}

#[test]
fn an_unreadable_manifest_keeps_every_blob_and_says_so() {
    let dir = store("unreadable", false);
    let path = model(&inspect(&dir), "gemma2:2b")["manifest_path"]
        .as_str()
        .unwrap()
        .to_string();
    let present: Vec<String> = blobs_of(&dir, &path)
        .into_iter()
        .filter(|d| blob(&dir, d).exists())
        .collect();
    assert!(!present.is_empty());
    let (code, out, _) = run(&["rm", "gemma2:2b", "-C", s(&dir)]);
    assert_eq!(code, 0);
    assert!(
        out.contains("no blob is removed") && out.contains("broken/latest could not be read"),
        "{out}"
    );
    assert!(
        !dir.join("models").join(&path).exists(),
        "the manifest went"
    );
    assert!(
        present.iter().all(|d| blob(&dir, d).exists()),
        "every blob stays"
    );
}

#[test]
fn removing_the_last_model_leaves_an_empty_valid_store() {
    let dir = store("last", true);
    let names: Vec<String> = inspect(&dir)["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    let mut args = vec!["rm", "-C", s(&dir), "--json"];
    args.extend(names.iter().map(String::as_str));
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        json["removed"]["models"].as_array().unwrap().len(),
        names.len()
    );
    assert!(json["stopped"].is_null());
    let after = inspect(&dir);
    assert_eq!(after["models"].as_array().unwrap().len(), 0);
    assert!(
        dir.join("models/manifests").is_dir() && dir.join("models/blobs").is_dir(),
        "still a models folder"
    );
    let (code, _, _) = run(&["verify", s(&dir)]);
    assert_eq!(code, 0, "an empty store verifies");
}

#[test]
fn rm_of_an_unknown_model_exits_2_and_removes_nothing() {
    let dir = store("unknown", true);
    let (code, _, err) = run(&["rm", "nope:1", "-C", s(&dir)]);
    assert_eq!(code, 2);
    assert!(err.contains("no model named \"nope:1\""), "{err}");
}

#[test]
fn cp_writes_the_same_manifest_under_the_new_name_and_names_clash_in_any_case() {
    let dir = store("cp", true);
    let original = model(&inspect(&dir), "gemma2:2b").clone();
    let (code, out, err) = run(&["cp", "gemma2:2b", "mine/gemma:work", "-C", s(&dir)]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Copied gemma2:2b to mine/gemma:work"),
        "{out}"
    );
    let copy_path = dir.join("models/manifests/registry.ollama.ai/mine/gemma/work");
    assert_eq!(
        std::fs::read(&copy_path).unwrap(),
        std::fs::read(
            dir.join("models")
                .join(original["manifest_path"].as_str().unwrap())
        )
        .unwrap()
    );
    let report = inspect(&dir);
    assert_eq!(
        model(&report, "mine/gemma:work")["id"],
        original["id"],
        "same ID"
    );

    let (code, _, err) = run(&["cp", "llama3.2:1b", "MINE/Gemma:WORK", "-C", s(&dir)]);
    assert_eq!(code, 2);
    assert!(
        err.contains("exists already") && err.contains("--replace"),
        "{err}"
    );
    let (code, _, err) = run(&[
        "cp",
        "llama3.2:1b",
        "MINE/Gemma:WORK",
        "-C",
        s(&dir),
        "--replace",
    ]);
    assert_eq!(code, 0, "{err}");
    let report = inspect(&dir);
    let llama = model(&report, "llama3.2:1b")["id"].clone();
    let replaced = report["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["name"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case("mine/gemma:work")
        })
        .collect::<Vec<_>>();
    assert_eq!(replaced.len(), 1, "one model of that name");
    assert_eq!(replaced[0]["id"], llama);
    let (code, _, err) = run(&["cp", "gemma2:2b", "not a name", "-C", s(&dir)]);
    assert_eq!(code, 2);
    assert!(err.contains("not a valid model name"), "{err}");
}

fn age(path: &Path, hours: u64) {
    let when = SystemTime::now() - Duration::from_secs(hours * 3600);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

#[test]
fn prune_removes_old_orphans_and_partials_and_keeps_recent_ones() {
    let dir = store("prune", true);
    let blobs = dir.join("models/blobs");
    let fresh = b"an orphan written just now";
    let hex: String = Sha256::digest(fresh)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let fresh_path = blobs.join(format!("sha256-{hex}"));
    std::fs::write(&fresh_path, fresh).unwrap();
    let expected = common::store_expected();
    let old: Vec<PathBuf> = expected["blobs"]["orphaned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| blob(&dir, o["digest"].as_str().unwrap()))
        .collect();
    let partials: Vec<PathBuf> = std::fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("-partial"))
        .collect();
    assert!(!partials.is_empty());
    for p in old.iter().chain(&partials) {
        age(p, 2);
    }
    let stray = blobs.join("not-a-blob.txt");
    assert!(stray.exists());

    let (code, out, _) = run(&["prune", "-C", s(&dir), "--dry-run"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!(
            "Would remove {} orphaned blob(s) and 0 partial",
            old.len()
        )),
        "{out}"
    );
    assert!(out.contains("within the last hour"), "{out}");
    let (code, out, err) = run(&["prune", "-C", s(&dir)]);
    assert_eq!(code, 0, "{err}");
    assert!(old.iter().all(|p| !p.exists()), "{out}");
    assert!(fresh_path.exists(), "the recent orphan stays");
    assert!(
        partials.iter().all(|p| p.exists()),
        "partials only with --partials"
    );
    let (code, _, _) = run(&["prune", "-C", s(&dir), "--partials"]);
    assert_eq!(code, 0);
    assert!(partials.iter().all(|p| !p.exists()));
    assert!(stray.exists(), "nothing that is not a blob is touched");
    let (code, _, err) = run(&["verify", s(&dir)]);
    assert_eq!(
        code, 1,
        "the fixture's own problems remain, nothing new: {err}"
    );
}

#[test]
fn the_models_folder_is_found_as_ollama_finds_it() {
    let home = scratch(SUITE, "home");
    copy_dir(&store_fixture().join("dot-ollama"), &home.join(".ollama"));
    let run_in = |envs: &[(&str, &Path)], args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ollama-pack"));
        cmd.args(args).env_remove("OLLAMA_MODELS");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run_in(&[("HOME", &home)], &["inspect", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "using the models folder {}",
            home.join(".ollama/models").display()
        )),
        "{err}"
    );
    assert!(!serde_json::from_str::<Value>(&out).unwrap()["models"]
        .as_array()
        .unwrap()
        .is_empty());
    let other = scratch(SUITE, "other");
    copy_dir(&store_fixture().join("dot-ollama/models"), &other);
    let (code, _, err) = run_in(
        &[("HOME", &home), ("OLLAMA_MODELS", &other)],
        &["verify", "gemma2:2b"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("from $OLLAMA_MODELS"), "{err}");
    let nowhere = scratch(SUITE, "nowhere");
    let (code, _, err) = run_in(&[("HOME", &nowhere)], &["prune", "--dry-run"]);
    if !Path::new("/usr/share/ollama/.ollama/models").exists() {
        assert_eq!(code, 2);
        assert!(err.contains("-C DIR"), "{err}");
    }
}
