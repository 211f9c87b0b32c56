//! Zips made by real tools (tests/fixtures/archives/make_backups.py writes
//! them into tests/fixtures/generated/archives/): Python zipfile (stored,
//! deflated, ZIP64 records, written to a pipe with data descriptors),
//! Info-ZIP `zip -r`, bsdtar `--format zip`, ollama-tool-cli 1.3.5's backup.
//! Fed in random chunk sizes, each must give the files of the store it was
//! made of, byte for byte, and verify as that store's models.

use super::testkit::{events, files};
use super::verify_bytes;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/generated/archives");
    assert!(
        dir.join("backup/expected.json").is_file(),
        "zip fixtures are missing from {}: run scripts/test (or .venv/bin/python \
         tests/fixtures/archives/make_archives.py DIR, then make_backups.py DIR)",
        dir.display()
    );
    dir
}

/// Every file under `dir`, by its path relative to `dir`.
fn tree(dir: &Path, rel: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir.join(rel)).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let path = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        if entry.file_type().unwrap().is_dir() {
            tree(dir, &path, out);
        } else {
            out.insert(path, std::fs::read(entry.path()).unwrap());
        }
    }
}

/// Paths from `manifests/` or `blobs/` on.
fn from_models(path: &str) -> Option<String> {
    let at = ["manifests/", "blobs/"]
        .iter()
        .filter_map(|p| path.find(p))
        .min()?;
    Some(path[at..].to_string())
}

fn zips(under: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(fixtures().join(under))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .collect();
    out.sort();
    out
}

#[test]
fn every_peer_zip_reads_as_the_store_it_was_made_of_in_any_chunking() {
    let mut source = BTreeMap::new();
    tree(&fixtures().join("source/.ollama/models"), "", &mut source);
    let peers = zips("peer");
    assert!(peers.len() >= 4, "{peers:?}");
    for zip in peers {
        let bytes = std::fs::read(&zip).unwrap();
        for (seed, max) in [(1, 1), (2, 7), (3, 4096), (4, 1 << 20), (5, 65_537)] {
            let evs = events(&bytes, seed, max).unwrap_or_else(|e| panic!("{zip:?}: {e}"));
            let got: BTreeMap<String, Vec<u8>> = files(&evs)
                .into_iter()
                .filter_map(|(p, d)| Some((from_models(&p)?, d)))
                .collect();
            assert_eq!(
                got.keys().collect::<Vec<_>>(),
                source.keys().collect::<Vec<_>>(),
                "{zip:?}"
            );
            assert!(got == source, "{zip:?} (seed {seed}): the bytes differ");
        }
        let (report, _) = verify_bytes(&bytes, 1 << 16);
        assert!(report.is_intact(), "{zip:?}: {report:?}");
        assert!(
            report.description.starts_with("a zip of"),
            "{}",
            report.description
        );
    }
}

#[test]
fn ollama_tool_cli_backups_hold_the_manifest_and_layers_but_never_the_config() {
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("backup/expected.json")).unwrap())
            .unwrap();
    let backups = zips("backup/tool-cli");
    assert_eq!(backups.len(), 2);
    for zip in backups {
        let key = format!("tool-cli/{}", zip.file_name().unwrap().to_str().unwrap());
        let want = &expected[&key];
        let bytes = std::fs::read(&zip).unwrap();
        let evs = events(&bytes, 9, 3000).unwrap();
        let paths: Vec<String> = files(&evs).into_iter().map(|(p, _)| p).collect();
        let absent = want["absent"][0].as_str().unwrap().replace(':', "-");
        assert!(!paths.iter().any(|p| p.ends_with(&absent)), "{paths:?}");
        let (report, _) = verify_bytes(&bytes, 4096);
        let names: Vec<&str> = report.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(serde_json::json!(names), want["models"], "{key}");
    }
}
