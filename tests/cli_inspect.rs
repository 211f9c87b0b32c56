//! `ollama-pack inspect` against a store written by
//! `tests/fixtures/store/make_store.py`, whose expected.json was computed by
//! Python (hashlib, gguf-py) independently of this crate.

mod common;

use serde_json::Value;
use std::path::PathBuf;

fn fixture() -> PathBuf {
    common::store_fixture()
}

fn inspect(args: &[&str]) -> (i32, String, String) {
    common::run(&[["inspect"].as_slice(), args].concat())
}

fn inspect_json(dir: &std::path::Path) -> Value {
    let (code, stdout, stderr) = inspect(&[dir.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("valid JSON")
}

fn expected() -> Value {
    common::store_expected()
}

#[test]
fn models_match_what_python_computed() {
    let got = inspect_json(&fixture().join("dot-ollama"));
    let want = expected();
    let got_models = got["models"].as_array().unwrap();
    assert_eq!(got_models.len(), want["models"].as_array().unwrap().len());
    for w in want["models"].as_array().unwrap() {
        let g = got_models
            .iter()
            .find(|g| g["name"] == w["name"])
            .unwrap_or_else(|| panic!("model {} not listed", w["name"]));
        for key in [
            "id",
            "manifest_digest",
            "manifest_path",
            "size",
            "modified",
            "family",
            "parameter_size",
            "quantization",
            "frees",
        ] {
            assert_eq!(g[key], w[key], "{} {key}", w["name"]);
        }
        let (got_layers, want_layers) = (
            g["layers"].as_array().unwrap(),
            w["layers"].as_array().unwrap(),
        );
        assert_eq!(
            got_layers.len(),
            want_layers.len(),
            "{} layer count",
            w["name"]
        );
        for (gl, wl) in got_layers.iter().zip(want_layers) {
            for key in ["digest", "media_type", "size"] {
                assert_eq!(gl[key], wl[key], "{} layer {key}", w["name"]);
            }
            let mut shared: Vec<String> =
                serde_json::from_value(gl["shared_with"].clone()).unwrap();
            shared.sort();
            assert_eq!(
                serde_json::to_value(shared).unwrap(),
                wl["shared_with"],
                "{} shared_with",
                w["name"]
            );
        }
    }
}

#[test]
fn gguf_headers_match_what_gguf_py_wrote() {
    let got = inspect_json(&fixture().join("dot-ollama"));
    for w in expected()["models"].as_array().unwrap() {
        let g = got["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == w["name"])
            .unwrap();
        if w["gguf"].is_null() {
            assert!(
                g["gguf"].is_null(),
                "{}: weights are missing, no header",
                w["name"]
            );
            continue;
        }
        for (key, value) in w["gguf"].as_object().unwrap() {
            assert_eq!(&g["gguf"][key], value, "{} gguf.{key}", w["name"]);
        }
    }
}

#[test]
fn blob_findings_match_what_python_computed() {
    let got = inspect_json(&fixture().join("dot-ollama"));
    let want = expected();
    for key in [
        "count",
        "bytes",
        "shared_bytes",
        "orphaned",
        "partial",
        "missing",
        "size_mismatch",
    ] {
        assert_eq!(got["blobs"][key], want["blobs"][key], "blobs.{key}");
    }
    let paths: Vec<&str> = got["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    for p in want["error_paths"].as_array().unwrap() {
        assert!(paths.contains(&p.as_str().unwrap()), "{p} not in {paths:?}");
    }
}

#[test]
fn accepts_the_models_folder_itself() {
    let dir = fixture().join("dot-ollama/models");
    let got = inspect_json(&dir);
    assert_eq!(got["root"], dir.canonicalize().unwrap().to_str().unwrap());
    assert_eq!(got["models"].as_array().unwrap().len(), 5);
}

#[test]
fn table_shows_names_ids_and_ollama_sizes() {
    let (code, stdout, _) = inspect(&[fixture().join("dot-ollama").to_str().unwrap()]);
    assert_eq!(code, 0);
    for m in expected()["models"].as_array().unwrap() {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{} ", m["name"].as_str().unwrap())))
            .unwrap_or_else(|| panic!("no row for {}", m["name"]));
        assert!(line.contains(m["id"].as_str().unwrap()), "{line}");
        assert!(line.contains(m["size_human"].as_str().unwrap()), "{line}");
    }
    assert!(stdout.contains("MISSING blob"), "{stdout}");
}

#[test]
fn wrong_folder_exits_2_with_a_message() {
    let (code, stdout, stderr) = inspect(&[env!("CARGO_MANIFEST_DIR")]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("not an Ollama models folder"), "{stderr}");
    let (code, _, stderr) = inspect(&["/nonexistent/folder"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("could not be read"), "{stderr}");
}
