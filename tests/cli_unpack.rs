//! `ollama-pack verify ARCHIVE` and `ollama-pack unpack` against the
//! archives written by `tests/fixtures/archives/make_archives.py`: our own
//! pack unpacked byte-identical (same IDs by `inspect`), every archive made
//! by a peer tool (GNU tar, Python tarfile, ollamazip, bsdtar, a Model
//! Manager style export) verified and imported, and every hostile archive
//! refused with its expected error, leaving the target a valid store with
//! nothing written outside it.

mod common;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/generated/archives");
    assert!(
        dir.join("peer/expected.json").exists(),
        "missing fixture: run `.venv/bin/python tests/fixtures/archives/make_archives.py {}` \
         (scripts/test does)",
        dir.display()
    );
    dir
}

/// The models folder the peer archives were made from.
fn source() -> PathBuf {
    fixture().join("source/.ollama/models")
}

fn scratch(test: &str) -> PathBuf {
    common::scratch("cli_unpack", test)
}

fn run(args: &[&str]) -> (i32, String, String) {
    common::run(args)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::snapshot(dir)
}

fn ids(models: &Path) -> BTreeMap<String, String> {
    common::model_ids(models)
}

/// A valid store: every manifest's blobs there at their size, no
/// temporary files left, nothing but manifests/ and blobs/.
fn assert_valid_store(models: &Path) {
    let files = snapshot(models);
    for (path, bytes) in &files {
        assert!(!path.contains(".tmp"), "{path} left behind");
        assert!(
            path.starts_with("manifests/") || path.starts_with("blobs/"),
            "{path}"
        );
        if path.starts_with("manifests/") {
            let m: Value = serde_json::from_slice(bytes).unwrap();
            let layers = m["layers"].as_array().unwrap().iter().chain([&m["config"]]);
            for l in layers {
                let blob = format!(
                    "blobs/{}",
                    l["digest"].as_str().unwrap().replacen(':', "-", 1)
                );
                let got = files.get(&blob).map(|b| b.len() as u64);
                assert_eq!(got, l["size"].as_u64(), "{path} needs {blob}");
            }
        }
    }
}

#[test]
fn our_pack_unpacks_byte_identical_with_the_same_ids() {
    let out = scratch("round_trip");
    let src = source();
    for (name, gzip) in [("plain.tar", None), ("gz.tar.gz", Some("--gzip=1"))] {
        let archive = out.join(name);
        let mut args = vec!["pack", s(&src), "--all", "-o", s(&archive)];
        args.extend(gzip);
        let (code, _, stderr) = run(&args);
        assert_eq!(code, 0, "{stderr}");
        let (code, stdout, stderr) = run(&["verify", s(&archive)]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stdout.contains("intact: 5 model(s) ok"), "{stdout}");
        let into = out.join(format!("{name}.d"));
        let (code, _, stderr) = run(&["unpack", s(&archive), "-C", s(&into)]);
        assert_eq!(code, 0, "{stderr}");
        let got = snapshot(&into);
        let want = snapshot(&source());
        for (path, bytes) in &got {
            assert_eq!(
                Some(bytes),
                want.get(path),
                "{path} differs from the source"
            );
        }
        let manifests = |m: &BTreeMap<String, Vec<u8>>| {
            m.keys().filter(|k| k.starts_with("manifests/")).count()
        };
        assert_eq!(manifests(&got), manifests(&want));
        assert_valid_store(&into);
        assert_eq!(ids(&into), ids(&source()));
    }
}

#[test]
fn every_peer_archive_verifies_and_imports() {
    let peer = fixture().join("peer");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(peer.join("expected.json")).unwrap())
            .unwrap();
    let source_ids = ids(&source());
    let out = scratch("peer");
    assert!(expected.as_object().unwrap().len() >= 14, "{expected}");
    for (name, want) in expected.as_object().unwrap() {
        let archive = peer.join(name);
        let (code, stdout, stderr) = run(&["verify", "--json", s(&archive)]);
        assert_eq!(code, 0, "{name} ({}): {stdout}{stderr}", want["tool"]);
        let report: Value = serde_json::from_str(&stdout).unwrap();
        let mut names: Vec<&str> = report["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            serde_json::to_value(&names).unwrap(),
            want["models"],
            "{name}"
        );

        let into = out.join(name.replace('.', "_"));
        let (code, _, stderr) = run(&["unpack", s(&archive), "-C", s(&into)]);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert_valid_store(&into);
        let got = ids(&into);
        assert_eq!(got.len(), names.len(), "{name}");
        for (model, id) in got {
            assert_eq!(Some(&id), source_ids.get(&model), "{name}: {model}");
        }
    }
}

/// A store holding one model, to unpack hostile archives into.
fn small_store(dir: &Path) {
    let archive = fixture().join("peer/ollamazip-zstd.ollamazip");
    let (code, _, stderr) = run(&["unpack", s(&archive), "-C", s(dir)]);
    assert_eq!(code, 0, "{stderr}");
}

/// `verify --json` said what the hostile archive's JSON expects.
fn check_report(name: &str, want: &Value, code: i32, stdout: &str, stderr: &str) {
    let report: Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{name}: {e} {stderr}"));
    let text = report.to_string();
    let intact = want.get("error").is_none() && want.get("problem").is_none();
    assert_eq!(code, if intact { 0 } else { 1 }, "{name}: {text}");
    if let Some(kind) = want.get("error") {
        assert_eq!(&report["error"]["kind"], kind, "{name}: {text}");
    }
    for key in ["problem", "note"] {
        if let Some(needle) = want.get(key).and_then(Value::as_str) {
            assert!(
                text.contains(needle),
                "{name}: no {key} {needle:?} in {text}"
            );
        }
    }
}

#[test]
fn every_hostile_archive_is_refused_as_expected_and_the_store_stays_valid() {
    let hostile = fixture().join("hostile");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&hostile)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|e| e != "json"))
        .collect();
    names.sort();
    assert!(names.len() >= 25, "{} hostile archives", names.len());
    let out = scratch("hostile");
    for archive in names {
        let name = archive.file_name().unwrap().to_string_lossy().into_owned();
        let want: Value = serde_json::from_str(
            &std::fs::read_to_string(hostile.join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        let (code, stdout, stderr) = run(&["verify", "--json", s(&archive)]);
        if want["error"] == "not_an_archive" {
            assert_eq!(code, 2, "{name}");
            assert!(stderr.contains("not a tar archive"), "{name}: {stderr}");
        } else {
            check_report(&name, &want, code, &stdout, &stderr);
        }

        let parent = out.join(name.replace('.', "_"));
        let store = parent.join("models");
        small_store(&store);
        let before = snapshot(&store);
        let (code, _, stderr) = run(&["unpack", s(&archive), "-C", s(&store)]);
        let models_ok: BTreeSet<&str> = want["models_ok"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(
            code != 0,
            models_ok.is_empty(),
            "{name}: exit {code}: {stderr}"
        );
        if code != 0 {
            assert!(stderr.contains("ollama-pack:"), "{name}: {stderr}");
        }
        let after = snapshot(&store);
        if models_ok.is_empty() {
            assert_eq!(
                after.keys().collect::<Vec<_>>(),
                before.keys().collect::<Vec<_>>(),
                "{name}"
            );
            assert_eq!(after, before, "{name}: the store changed");
        } else {
            assert_eq!(ids(&store).len(), 1 + models_ok.len(), "{name}");
        }
        assert_valid_store(&store);
        let outside: Vec<_> = std::fs::read_dir(&parent)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(outside, ["models"], "{name}: wrote outside the target");
    }
}

#[test]
fn an_existing_model_with_other_content_is_kept_unless_replace() {
    let dir = scratch("conflict").join("models");
    small_store(&dir);
    let archive = fixture().join("peer/ollamazip-zstd.ollamazip");
    let manifest = dir.join("manifests/localhost:5000/team/tiny/v1");
    let original = std::fs::read(&manifest).unwrap();
    let edited = [original.as_slice(), b" "].concat();
    std::fs::write(&manifest, &edited).unwrap();

    let (code, _, stderr) = run(&["unpack", s(&archive), "-C", s(&dir)]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("localhost:5000/team/tiny:v1") && stderr.contains("--replace"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&manifest).unwrap(), edited);
    let (code, _, stderr) = run(&["unpack", s(&archive), "-C", s(&dir), "--keep"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read(&manifest).unwrap(), edited);
    let (code, _, stderr) = run(&["unpack", s(&archive), "-C", s(&dir), "--replace"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read(&manifest).unwrap(), original);
    let (code, _, stderr) = run(&["unpack", s(&archive), "-C", s(&dir), "--keep", "--replace"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn the_target_may_be_dot_ollama_or_empty_but_not_any_folder() {
    let out = scratch("targets");
    let archive = fixture().join("peer/gemma2_2b_model.tar.gz");
    let dot = out.join(".ollama");
    std::fs::create_dir_all(&dot).unwrap();
    std::fs::write(dot.join("id_ed25519"), "key").unwrap();
    let (code, _, stderr) = run(&["unpack", s(&archive), "-C", s(&dot)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(dot
        .join("models/manifests/registry.ollama.ai/library/gemma2/2b")
        .is_file());
    let (code, _, stderr) = run(&["unpack", s(&archive), "-C", s(&dot)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("already there, identical: gemma2:2b"),
        "{stderr}"
    );

    let other = out.join("documents");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "x").unwrap();
    let (code, _, stderr) = run(&["unpack", s(&archive), "-C", s(&other)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not a models folder"), "{stderr}");
    assert_eq!(snapshot(&other).len(), 1);
    let (code, _, stderr) = run(&["unpack", s(&out.join("missing.tar")), "-C", s(&other)]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn verify_names_a_damaged_blob_and_refuses_a_cut_archive() {
    let out = scratch("damaged");
    let archive = out.join("p.tar");
    let src = source();
    let (code, _, stderr) = run(&["pack", s(&src), "gemma2:2b", "-o", s(&archive)]);
    assert_eq!(code, 0, "{stderr}");
    let mut bytes = std::fs::read(&archive).unwrap();
    let cut = out.join("cut.tar");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (code, stdout, _) = run(&["verify", s(&cut)]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("REFUSED: ") && stdout.contains("cut short"),
        "{stdout}"
    );
    // The GGUF weights are the largest blob; flip a byte in their middle.
    let n = bytes.len();
    bytes[n - 1024 - 8000] ^= 1;
    std::fs::write(&archive, &bytes).unwrap();
    let (code, stdout, _) = run(&["verify", s(&archive)]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("gemma2:2b: blob sha256:") && stdout.contains("damaged"),
        "{stdout}"
    );
    assert!(stdout.contains("FAILED"), "{stdout}");
}

#[test]
fn a_wrong_size_blob_is_replaced_only_when_the_import_commits() {
    let dir = scratch("repair").join("models");
    small_store(&dir);
    // tiny:v1 shares llama3.2's weights, the largest blob: cut it short.
    let weights = snapshot(&dir)
        .into_iter()
        .max_by_key(|(_, b)| b.len())
        .unwrap();
    std::fs::write(dir.join(&weights.0), &weights.1[..100]).unwrap();
    let zip = fixture().join("peer/ollamazip-none.ollamazip");

    // The same archive with a symbolic link after its blobs: refused.
    let hostile = dir.parent().unwrap().join("hostile.tar");
    let mut builder = tar::Builder::new(Vec::new());
    let mut archive = tar::Archive::new(std::fs::File::open(&zip).unwrap());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let header = entry.header().clone();
        builder.append(&header, &mut entry).unwrap();
    }
    let mut link = tar::Header::new_ustar();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_size(0);
    builder
        .append_link(&mut link, "blobs/evil", "/etc/passwd")
        .unwrap();
    std::fs::write(&hostile, builder.into_inner().unwrap()).unwrap();
    let before = snapshot(&dir);
    let (code, _, stderr) = run(&["unpack", s(&hostile), "-C", s(&dir)]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(
        snapshot(&dir),
        before,
        "a refused archive changed the store"
    );

    let (code, _, stderr) = run(&["unpack", s(&zip), "-C", s(&dir)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("1 of the wrong size replaced"), "{stderr}");
    assert_eq!(std::fs::read(dir.join(&weights.0)).unwrap(), weights.1);
    assert_valid_store(&dir);
    assert_eq!(ids(&dir).len(), 2);
}

/// Ollama's ID of manifest bytes: the first 12 hex of their SHA-256.
fn id_of(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let hex: String = sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    hex[..12].to_string()
}

#[test]
fn a_conflicting_model_imports_under_another_name_with_the_same_bytes_and_id() {
    let dir = scratch("rename_one").join("models");
    small_store(&dir);
    let archive = fixture().join("peer/ollamazip-zstd.ollamazip");
    let rel = "manifests/localhost:5000/team/tiny/v1";
    let original = std::fs::read(source().join(rel)).unwrap();
    let edited = [original.as_slice(), b" "].concat();
    std::fs::write(dir.join(rel), &edited).unwrap();

    let (code, _, stderr) = run(&["unpack", s(&archive), "-C", s(&dir)]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("--as localhost:5000/team/tiny:v1=localhost:5000/team/tiny:v1-imported"),
        "the refusal suggests a free name: {stderr}"
    );
    let before = snapshot(&dir);
    let (code, _, stderr) = run(&["unpack", s(&archive), "-C", s(&dir), "--as", "tiny:mine"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("imported: tiny:mine (the archive's localhost:5000/team/tiny:v1)"),
        "{stderr}"
    );
    let after = snapshot(&dir);
    let new = "manifests/registry.ollama.ai/library/tiny/mine";
    assert_eq!(after.get(new), Some(&original), "byte for byte");
    assert_eq!(after.get(rel), Some(&edited), "the existing one untouched");
    let added: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert_eq!(
        added,
        [new],
        "only the manifest is new: its blobs were there"
    );
    let ids = ids(&dir);
    assert_eq!(ids["tiny:mine"], id_of(&original));
    assert_eq!(ids["localhost:5000/team/tiny:v1"], id_of(&edited));
    assert_valid_store(&dir);
}

#[test]
fn several_models_are_renamed_old_equals_new_and_a_wrong_as_writes_nothing() {
    let out = scratch("rename_many");
    let archive = fixture().join("peer/gnutar-pax-dot-ollama.tar");
    let dir = out.join("models");
    for (args, code, says) in [
        (vec!["--as", "x:y"], 2, "OLD=NEW"),
        (
            vec!["--as", "phi3:mini=x:y"],
            2,
            "has no model \"phi3:mini\"",
        ),
        (
            vec!["--as", "gemma2:2b=llama3.2:1b"],
            2,
            "two models would be imported as",
        ),
        (vec!["--as", "gemma2:2b=bad name"], 2, "invalid value"),
    ] {
        let mut argv = vec!["unpack", s(&archive), "-C", s(&dir)];
        argv.extend(args.iter().copied());
        let (got, _, stderr) = run(&argv);
        assert_eq!(got, code, "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(snapshot(&dir).is_empty(), "{args:?} wrote into the folder");
    }
    let (code, _, stderr) = run(&[
        "unpack",
        s(&archive),
        "-C",
        s(&dir),
        "--as",
        "gemma2:2b=gemma2:mine",
        "--as",
        "LLAMA3.2:1B=team/llama:small",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let got = snapshot(&dir);
    let src = snapshot(&source());
    let lib = "manifests/registry.ollama.ai";
    for (old, new) in [
        ("library/gemma2/2b", "library/gemma2/mine"),
        ("library/llama3.2/1b", "team/llama/small"),
    ] {
        assert_eq!(
            got.get(&format!("{lib}/{new}")),
            src.get(&format!("{lib}/{old}")),
            "{new}"
        );
        assert!(
            !got.contains_key(&format!("{lib}/{old}")),
            "{old} not imported as itself"
        );
    }
    let ids = ids(&dir);
    assert_eq!(ids.len(), 5, "{ids:?}");
    assert_eq!(
        ids["team/llama:small"],
        id_of(&src[&format!("{lib}/library/llama3.2/1b")])
    );
    assert_valid_store(&dir);
}
