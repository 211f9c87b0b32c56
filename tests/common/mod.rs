//! Shared by the CLI integration tests: the Python-made fixture store,
//! scratch folders and running the `ollama-pack` binary. In: arguments.
//! Out: paths, the fixture's expected values, and the exit code with stdout
//! and stderr as text.
#![allow(dead_code)] // each test binary uses its own part

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `tests/fixtures/generated/store` (from tests/fixtures/store/make_store.py).
pub fn store_fixture() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/generated/store");
    assert!(
        dir.join("expected.json").exists(),
        "missing fixture: run `.venv/bin/python tests/fixtures/store/make_store.py {}` (scripts/test does)",
        dir.display()
    );
    dir
}

/// What make_store.py computed about the fixture store (`expected.json`).
pub fn store_expected() -> Value {
    let text = std::fs::read_to_string(store_fixture().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// An empty folder for one test: `<target tmp>/<suite>/<test>`.
pub fn scratch(suite: &str, test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(suite)
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies the tree `from` to `to` (made if missing).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs `ollama-pack ARGS...`: (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ollama-pack"))
        .args(args)
        .output()
        .expect("run ollama-pack");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The variable that lets tests whose outside tool is missing skip instead
/// of failing (say, on a machine without docker-registry).
pub const SKIP_MISSING: &str = "OLLAMA_PACK_SKIP_MISSING_TOOLS";

/// Whether a test may use `tool` (found: `present`). Missing, it fails the
/// test with what to install, unless $OLLAMA_PACK_SKIP_MISSING_TOOLS=1
/// asks to skip it: then it says so loudly and returns false.
pub fn tool(present: bool, tool: &str, test: &str) -> bool {
    if present {
        return true;
    }
    if std::env::var(SKIP_MISSING).is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED {test}: {tool} is missing and {SKIP_MISSING}=1");
        return false;
    }
    panic!(
        "{test}: {tool} is missing: install it (scripts/test does), or set {SKIP_MISSING}=1 to skip the tests that need it"
    );
}

/// Every file under `dir`: relative path → bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Model name → ID, as `inspect --json` reports them.
pub fn model_ids(models: &Path) -> BTreeMap<String, String> {
    let (code, stdout, stderr) = run(&["inspect", models.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().into(),
                m["id"].as_str().unwrap().into(),
            )
        })
        .collect()
}
