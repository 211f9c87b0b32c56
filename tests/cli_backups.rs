//! `ollama-pack verify` and `unpack` on backups made by other tools, from
//! `tests/fixtures/archives/make_backups.py`: ollama-tool-cli's zips (no
//! config blob: imported only where the folder has it, refused with
//! nothing written where not) and direct downloads (oget's flat folder, a
//! tar of it, omdd's `sha256<hex>` names), which hold no model name: refused
//! without `--as`, and with it the same files oget's own install writes.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};

fn backups() -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/generated/archives/backup");
    assert!(
        dir.join("expected.json").exists(),
        "missing fixture: run tests/fixtures/archives/make_backups.py (scripts/test does)"
    );
    dir
}

fn expected() -> Value {
    let text = std::fs::read_to_string(backups().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The models folder the backups were made from.
fn source() -> PathBuf {
    backups().join("../source/.ollama/models")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn verify_json(path: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["verify", "--json", s(path)];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = common::run(&args);
    assert_eq!(code, 0, "{}: {stdout}{stderr}", path.display());
    serde_json::from_str(&stdout).unwrap()
}

fn model_names(report: &Value) -> Vec<String> {
    let mut names: Vec<String> = report["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn absent_digests(report: &Value) -> Vec<String> {
    let mut out: Vec<String> = report["models"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["absent"].as_array().unwrap().iter())
        .map(|a| a["digest"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

fn backups_of(kind: &str) -> Vec<(String, Value)> {
    let all = expected();
    let list: Vec<(String, Value)> = all
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with(kind))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert!(list.len() >= 2, "{kind}: {list:?}");
    list
}

#[test]
fn tool_cli_zips_verify_with_their_config_blob_reported_absent_not_damaged() {
    for (name, want) in backups_of("tool-cli/") {
        let report = verify_json(&backups().join(&name), &[]);
        assert_eq!(
            serde_json::to_value(model_names(&report)).unwrap(),
            want["models"],
            "{name}"
        );
        assert_eq!(report["totals"]["problems"], 0, "{name}: {report}");
        assert_eq!(
            serde_json::to_value(absent_digests(&report)).unwrap(),
            want["absent"],
            "{name}"
        );
        assert!(report.to_string().contains("not in the archive"), "{name}");
    }
}

#[test]
fn a_tool_cli_zip_is_refused_where_the_folder_lacks_the_config_and_writes_nothing() {
    let out = common::scratch("cli_backups", "refused");
    for (name, want) in backups_of("tool-cli/") {
        let into = out.join(name.replace(['/', '.'], "_"));
        let (code, stdout, stderr) =
            common::run(&["unpack", s(&backups().join(&name)), "-C", s(&into)]);
        assert_ne!(code, 0, "{name}: {stdout}");
        for digest in want["absent"].as_array().unwrap() {
            assert!(
                stderr.contains(digest.as_str().unwrap()),
                "{name}: {stderr}"
            );
        }
        assert!(stderr.contains("ollama pull"), "{name}: {stderr}");
        assert!(common::snapshot(&into).is_empty(), "{name} wrote files");
    }
}

#[test]
fn a_tool_cli_zip_imports_where_the_folder_has_the_config_with_the_source_id() {
    let out = common::scratch("cli_backups", "imported");
    for (name, want) in backups_of("tool-cli/") {
        let into = out.join(name.replace(['/', '.'], "_"));
        std::fs::create_dir_all(into.join("blobs")).unwrap();
        for digest in want["absent"].as_array().unwrap() {
            let file = digest.as_str().unwrap().replacen(':', "-", 1);
            std::fs::copy(
                source().join("blobs").join(&file),
                into.join("blobs").join(&file),
            )
            .unwrap();
        }
        let (code, stdout, stderr) =
            common::run(&["unpack", s(&backups().join(&name)), "-C", s(&into)]);
        assert_eq!(code, 0, "{name}: {stdout}{stderr}");
        let model = want["models"][0].as_str().unwrap();
        let got = verify_json(&into, &[model]);
        assert_eq!(got["models"][0]["ok"], true, "{name}: {got}");
        let mine = common::model_ids(&into);
        let theirs = common::model_ids(&source());
        assert_eq!(mine.get(model), theirs.get(model), "{name}");
    }
}

#[test]
fn a_direct_download_verifies_unnamed_and_under_the_name_given() {
    for (name, want) in backups_of("flat/") {
        let path = backups().join(&name);
        let unnamed = verify_json(&path, &[]);
        assert_eq!(unnamed["models"].as_array().unwrap().len(), 1, "{name}");
        assert!(
            unnamed.to_string().contains("no model name"),
            "{name}: {unnamed}"
        );
        let model = want["models"][0].as_str().unwrap();
        let named = verify_json(&path, &["--as", model]);
        assert_eq!(
            serde_json::to_value(model_names(&named)).unwrap(),
            want["models"],
            "{name}"
        );
        assert_eq!(named["models"][0]["ok"], true, "{name}: {named}");
        assert_eq!(
            named["models"][0]["id"], unnamed["models"][0]["id"],
            "{name}"
        );
    }
}

#[test]
fn a_direct_download_without_a_name_is_refused_and_writes_nothing() {
    let out = common::scratch("cli_backups", "unnamed");
    for (name, _) in backups_of("flat/") {
        let into = out.join(name.replace(['/', '.'], "_"));
        let (code, stdout, stderr) =
            common::run(&["unpack", s(&backups().join(&name)), "-C", s(&into)]);
        assert_ne!(code, 0, "{name}: {stdout}");
        assert!(stderr.contains("--as NAME"), "{name}: {stderr}");
        assert!(common::snapshot(&into).is_empty(), "{name} wrote files");
    }
}

#[test]
fn a_named_direct_download_unpacks_to_what_oget_install_writes() {
    let installed = common::snapshot(&backups().join("oget-installed/models"));
    assert!(installed.keys().any(|k| k.starts_with("manifests/")));
    let out = common::scratch("cli_backups", "named");
    for (name, want) in backups_of("flat/") {
        let into = out.join(name.replace(['/', '.'], "_"));
        let model = want["models"][0].as_str().unwrap();
        let (code, stdout, stderr) = common::run(&[
            "unpack",
            s(&backups().join(&name)),
            "-C",
            s(&into),
            "--as",
            model,
        ]);
        assert_eq!(code, 0, "{name}: {stdout}{stderr}");
        assert!(
            common::snapshot(&into) == installed,
            "{name}: not oget's install"
        );
    }
}
