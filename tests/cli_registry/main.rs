//! `ollama-pack push` and `pull` against a real docker-registry on
//! 127.0.0.1 (started per test by tests/registry/start.sh, stopped by a
//! guard even when the test fails). A missing docker-registry, caddy, node
//! or oras fails the test, unless OLLAMA_PACK_SKIP_MISSING_TOOLS=1 asks to
//! skip it (loudly); scripts/test installs them all.
//! Here: round trip, resume from Ollama's part records, errors, oras. Login
//! through Caddy: `auth.rs`; faults injected by tests/registry/fault_proxy.mjs:
//! `faults.rs`; `pull -o ARCHIVE`: `archive.rs`. The small model is
//! `gemma2:2b` of tests/fixtures/generated/store (intact).

mod archive;
mod auth;
#[path = "../common/mod.rs"]
mod common;
mod faults;
mod support;

use std::path::PathBuf;
use std::process::Command;
use support::*;

#[test]
fn push_then_pull_gives_identical_bytes_and_pulling_again_transfers_nothing() {
    let Some(reg) = Registry::start("roundtrip") else {
        return;
    };
    let reference = format!("{}/team/gemma:v1", reg.url);
    push_model(&reference);
    let source = std::fs::read(store().join(MODEL_MANIFEST)).unwrap();
    assert_eq!(
        curl_manifest_digest(&reg, "team/gemma", "v1"),
        format!("sha256:{}", sha256_hex(&source)),
        "the registry's Docker-Content-Digest is the SHA-256 of the local manifest file"
    );

    let dest = scratch("roundtrip").join("pulled");
    let d = dest.to_str().unwrap();
    let (code, out, err) = run(&["pull", &reference, "-C", d, "--part-size", "4096"]);
    assert_eq!(code, 0, "pull: {out}{err}");
    let name = format!("{}/team/gemma:v1", reg.host());
    assert!(out.contains(&format!("as {name}")), "{out}");
    assert!(out.contains("0 already present"), "{out}");

    let pulled = dest
        .join("manifests")
        .join(reg.host())
        .join("team/gemma/v1");
    assert_eq!(std::fs::read(&pulled).unwrap(), source, "manifest bytes");
    for hex in blob_hexes(&source) {
        let file = format!("sha256-{hex}");
        let want = std::fs::read(store().join("models/blobs").join(&file)).unwrap();
        let got = std::fs::read(dest.join("blobs").join(&file)).unwrap();
        assert!(got == want, "blob {file} differs");
    }
    let names: Vec<String> = std::fs::read_dir(dest.join("blobs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        blob_hexes(&source).len(),
        "nothing else: {names:?}"
    );

    // The pulled folder is a store Ollama (and our verify) accepts.
    let (code, out, err) = run(&["verify", d]);
    assert_eq!(code, 0, "verify: {out}{err}");
    assert!(out.contains(&name), "{out}");

    let (code, out, err) = run(&["pull", &reference, "-C", d]);
    assert_eq!(code, 0, "second pull: {out}{err}");
    assert!(
        out.contains("5 already present, 0 B downloaded"),
        "nothing new should travel: {out}"
    );
}

#[test]
fn an_unknown_model_is_exit_2_with_the_reference_named() {
    let Some(reg) = Registry::start("unknown") else {
        return;
    };
    let dest = scratch("unknown").join("pulled");
    let reference = format!("{}/team/nothere:v9", reg.url);
    let (code, out, err) = run(&["pull", &reference, "-C", dest.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(&format!("{reference} was not found on the registry"))
            && err.contains("check the model name and tag"),
        "{err}"
    );
    assert!(
        !dest.join("manifests").join(reg.host()).exists(),
        "no manifest written"
    );

    let (code, _, err) = run(&["push", store().to_str().unwrap(), "nothere:1b", &reference]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no model named \"nothere:1b\"") && err.contains("gemma2:2b"),
        "{err}"
    );
}

#[test]
fn a_pull_continues_from_the_part_records_ollama_left() {
    let Some(reg) = Registry::start("resume") else {
        return;
    };
    let reference = format!("{}/team/gemma:v1", reg.url);
    push_model(&reference);
    // As an interrupted Ollama pull leaves it: the weights half written.
    let source = std::fs::read(store().join(MODEL_MANIFEST)).unwrap();
    let weights = blob_hexes(&source)[1].clone();
    let data = std::fs::read(store().join(format!("models/blobs/sha256-{weights}"))).unwrap();
    let dest = scratch("resume").join("models");
    std::fs::create_dir_all(dest.join("manifests")).unwrap();
    std::fs::create_dir_all(dest.join("blobs")).unwrap();
    let partial = dest.join(format!("blobs/sha256-{weights}-partial"));
    let half = data.len() / 2;
    let mut file = data.clone();
    file[half..].fill(0);
    std::fs::write(&partial, &file).unwrap();
    let record = format!(
        "{{\"N\":0,\"Offset\":0,\"Size\":{},\"Completed\":{half}}}\n",
        data.len()
    );
    std::fs::write(
        dest.join(format!("blobs/sha256-{weights}-partial-0")),
        record,
    )
    .unwrap();

    let parent = dest.parent().unwrap().to_str().unwrap().to_string();
    let (code, out, err) = run(&["pull", &reference, "-C", &parent]);
    assert_eq!(code, 0, "pull into the parent of models/: {out}{err}");
    let got = std::fs::read(dest.join(format!("blobs/sha256-{weights}"))).unwrap();
    assert!(got == data, "the resumed blob is whole and right");
    assert!(!partial.exists());
    let pulled = std::fs::read(
        dest.join("manifests")
            .join(reg.host())
            .join("team/gemma/v1"),
    );
    assert_eq!(pulled.unwrap(), source);
    // 27769 bytes in all, 13424 of them already on disk.
    assert!(out.contains("14 KB downloaded"), "{out}");
}

#[test]
fn bad_references_and_folders_are_exit_2() {
    let base = scratch("bad");
    let dest = base.join("x");
    let (code, _, err) = run(&["pull", "ftp://h/ns/m", "-C", dest.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("only http:// and https://"), "{err}");

    // A folder that holds something else is not made into a models folder.
    let other = base.join("docs");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "x").unwrap();
    let (code, _, err) = run(&[
        "pull",
        "http://127.0.0.1:9/a/b:c",
        "-C",
        other.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not an Ollama models folder") && err.contains("empty or new folder"),
        "{err}"
    );
    assert!(!other.join("manifests").exists());

    let (code, _, err) = run(&[
        "push",
        other.to_str().unwrap(),
        MODEL,
        "http://127.0.0.1:9/a/b:c",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("not an Ollama models folder"), "{err}");

    let (code, _, err) = run(&[
        "pull",
        "http://127.0.0.1:9/a/b:c",
        "-C",
        dest.to_str().unwrap(),
        "--user",
        "u",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("OLLAMA_PACK_PASSWORD"), "{err}");
}

/// The venv's python when it has PyPI `oras`; `None` (after saying why) if not.
fn oras_python(test: &str) -> Option<PathBuf> {
    let python = repo_path(".venv/bin/python");
    let ok = Command::new(&python)
        .args(["-c", "import oras.client"])
        .output()
        .is_ok_and(|o| o.status.success());
    tool(
        ok,
        "PyPI `oras` in .venv (.venv/bin/pip install oras)",
        test,
    )
    .then_some(python)
}

#[test]
fn a_model_pushed_by_oras_is_pulled() {
    let Some(reg) = Registry::start("oras") else {
        return;
    };
    let Some(python) = oras_python("oras") else {
        return;
    };
    let base = scratch("oras");
    let files = base.join("files");
    let out = Command::new(python)
        .arg(repo_path("tests/registry/oras_push.py"))
        .args([reg.host(), "team/orasmodel:v1", files.to_str().unwrap()])
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "oras push: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dest = base.join("pulled");
    let reference = format!("{}/team/orasmodel:v1", reg.url);
    let (code, out, err) = run(&["pull", &reference, "-C", dest.to_str().unwrap()]);
    assert_eq!(code, 0, "pull: {out}{err}");
    let manifest = std::fs::read(
        dest.join("manifests")
            .join(reg.host())
            .join("team/orasmodel/v1"),
    )
    .unwrap();
    let served = curl_manifest_digest(&reg, "team/orasmodel", "v1");
    assert_eq!(served, format!("sha256:{}", sha256_hex(&manifest)));
    let v: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    assert_eq!(v["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    for name in ["config.json", "weights.gguf", "template"] {
        let data = std::fs::read(files.join(name)).unwrap();
        let blob = dest
            .join("blobs")
            .join(format!("sha256-{}", sha256_hex(&data)));
        assert!(std::fs::read(blob).unwrap() == data, "{name}");
    }
    let (code, out, err) = run(&["verify", dest.to_str().unwrap()]);
    assert_eq!(code, 0, "verify: {out}{err}");
}

/// `pull REF --as NAME`: the model is stored under NAME (here without the
/// registry's host:port, as people do for offline set-ups), its manifest
/// byte for byte, so `inspect` shows the registry's ID under the new name.
#[test]
fn a_pull_stores_the_model_under_the_name_asked_for() {
    let Some(reg) = Registry::start("as") else {
        return;
    };
    let reference = format!("{}/team/gemma:v1", reg.url);
    push_model(&reference);
    let source = std::fs::read(store().join(MODEL_MANIFEST)).unwrap();
    let dest = scratch("as").join("models");
    let d = dest.to_str().unwrap();
    let (code, out, err) = run(&["pull", &reference, "-C", d, "--as", "gemma2:offline"]);
    assert_eq!(code, 0, "{out}{err}");
    let stored = dest.join("manifests/registry.ollama.ai/library/gemma2/offline");
    assert_eq!(
        std::fs::read(&stored).unwrap(),
        source,
        "the manifest as served"
    );
    assert!(
        !dest.join("manifests").join(reg.host()).exists(),
        "nothing under the registry's own name"
    );
    let (code, out, _) = run(&["inspect", d, "--json"]);
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let model = &report["models"][0];
    assert_eq!(model["name"], "gemma2:offline");
    assert_eq!(
        model["id"].as_str().unwrap(),
        &sha256_hex(&source)[..12],
        "the ID stays"
    );
    let (code, _, err) = run(&["pull", &reference, "-C", d, "--as", "not a name"]);
    assert_eq!(code, 2);
    assert!(err.contains("not valid"), "{err}");
}
