//! Shared by the CLI integration tests: the Python-made fixture store and
//! running the `ollama-pack` binary. In: arguments. Out: paths, and the
//! exit code with stdout and stderr as text.
#![allow(dead_code)] // each test binary uses its own part

use std::path::PathBuf;
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
