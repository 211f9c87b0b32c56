//! Other tools' layouts: a tar of `~/.ollama`, of `models/`, of its
//! contents with `./` prefixes, a Model Manager export, an ollamazip
//! archive; entries that land nowhere; duplicates that disagree.

use super::testkit::*;
use super::*;
use crate::digest::Digest;

fn tree(prefix: &str, want: &str) {
    let archive = tree_tar(prefix);
    for (what, bytes) in [("plain", archive.clone()), ("gzip", gzip(&archive))] {
        let (report, manifests) = verify_bytes(&bytes, 777);
        assert!(report.is_intact(), "{prefix} {what}: {report:#?}");
        assert_eq!(report.description, want);
        assert_eq!(report.models.len(), 3);
        for (rel, m, _) in models() {
            let v = manifests
                .iter()
                .find(|v| v.manifest_path == format!("manifests/{rel}"))
                .unwrap();
            assert_eq!(v.bytes, m);
        }
    }
}

#[test]
fn plain_trees_under_any_prefix() {
    tree("", "a tar of a models folder's contents");
    tree("./", "a tar of a models folder's contents");
    tree("models/", "a tar of a models folder (models/)");
    tree(
        ".ollama/models/",
        "a tar of an .ollama folder (.ollama/models/)",
    );
    tree(
        "./home/u/.ollama/models/",
        "a tar of an .ollama folder (home/u/.ollama/models/)",
    );
    tree(
        "gemma2_model/",
        "an Ollama Model Manager export (gemma2_model/)",
    );
}

#[test]
fn other_files_of_a_dot_ollama_are_ignored_with_a_reason() {
    let mut entries = vec![
        entry(".ollama/", b"", b'5'),
        entry(".ollama/id_ed25519", b"secret", b'0'),
    ];
    let body = tree_tar(".ollama/models/");
    entries.push(body[..body.len() - 1024].to_vec());
    entries.push(entry(".ollama/models/blobs/sha256-abc-partial", b"x", b'0'));
    entries.push(entry(".ollama/history", b"h", b'0'));
    entries.push(entry(".ollama/models/manifests/h/n/m", b"{}", b'0'));
    let (report, _) = verify_bytes(&tar_of(&entries), 4096);
    assert!(report.is_intact(), "{report:#?}");
    let notes: Vec<String> = report
        .notes
        .iter()
        .map(|n| format!("{}: {}", n.path, n.message))
        .collect();
    assert_eq!(notes.len(), 4, "{notes:#?}");
    assert!(
        notes[0].starts_with(".ollama/id_ed25519: ignored: outside manifests/"),
        "{notes:?}"
    );
    assert!(
        notes[1].contains("sha256-abc-partial: ignored: not a blob name"),
        "{notes:?}"
    );
    assert!(
        notes[3].contains("not a manifest: a manifest path has exactly four parts"),
        "{notes:?}"
    );
}

fn ollamazip(metadata: Option<&str>, extra: Vec<Vec<u8>>) -> Vec<u8> {
    let (rel, manifest, blobs) = models().remove(1);
    let _ = rel;
    let mut entries = Vec::new();
    if let Some(m) = metadata {
        entries.push(entry("metadata.json", m.as_bytes(), b'0'));
    }
    entries.push(entry("manifest.json", &manifest, b'0'));
    for b in &blobs {
        entries.push(entry(
            &format!("blobs/{}", Digest::of(b).blob_file_name()),
            b,
            b'0',
        ));
    }
    entries.extend(extra);
    tar_of(&entries)
}

const META: &str = r#"{"archive_version": 1, "model": "beta", "tag": "latest",
    "registry": "localhost:5000", "namespace": "team", "full_ref": "localhost:5000/team/beta:latest"}"#;

#[test]
fn ollamazip_lands_where_its_metadata_says() {
    let (report, manifests) = verify_bytes(&zstd(&ollamazip(Some(META), vec![])), 1000);
    assert!(report.is_intact(), "{report:#?}");
    assert_eq!(report.layout, Layout::Ollamazip);
    assert_eq!(report.models[0].name, "localhost:5000/team/beta:latest");
    assert_eq!(
        manifests[0].manifest_path,
        "manifests/localhost:5000/team/beta/latest"
    );
    assert_eq!(manifests[0].bytes, models()[1].1);

    let (report, _) = verify_bytes(&ollamazip(None, vec![]), 1000);
    assert!(!report.is_intact() && report.models.is_empty());
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message.contains("no name")),
        "{report:#?}"
    );
    let bad = META.replace("\"team\"", "\"te am\"");
    let (report, _) = verify_bytes(&ollamazip(Some(&bad), vec![]), 1000);
    assert!(
        report.problems.iter().any(|p| p.path == "metadata.json"),
        "{report:#?}"
    );
}

#[test]
fn strict_formats_treat_stray_entries_as_problems() {
    let (report, _) = verify_bytes(
        &ollamazip(Some(META), vec![entry("run.sh", b"rm -rf /", b'0')]),
        1000,
    );
    assert!(!report.is_intact());
    assert!(
        report.problems.iter().any(|p| p.path == "run.sh"),
        "{report:#?}"
    );
}

#[test]
fn duplicates_that_disagree_fail_and_those_that_agree_do_not() {
    let (rel, m, _) = models().remove(0);
    let body = tree_tar("");
    let mut same = body[..body.len() - 1024].to_vec();
    same.extend(entry(&format!("manifests/{rel}"), &m, b'0'));
    let (report, _) = verify_bytes(&tar_of(&[same]), 4096);
    assert!(report.is_intact(), "{report:#?}");

    let mut other = body[..body.len() - 1024].to_vec();
    other.extend(entry(
        &format!("manifests/{rel}"),
        b"{\"schemaVersion\":2}",
        b'0',
    ));
    let (report, manifests) = verify_bytes(&tar_of(&[other]), 4096);
    assert!(!report.is_intact());
    let model = report
        .models
        .iter()
        .find(|r| r.entry == format!("manifests/{rel}"))
        .unwrap();
    assert!(
        !model.ok && model.problems.iter().any(|p| p.contains("twice")),
        "{model:#?}"
    );
    assert!(
        !manifests
            .iter()
            .find(|v| v.manifest_path.ends_with("alpha/8b"))
            .unwrap()
            .ok
    );

    let blob = &models()[0].2[0];
    let mut twice = body[..body.len() - 1024].to_vec();
    twice.extend(entry(
        &format!("blobs/{}", Digest::of(blob).blob_file_name()),
        b"other",
        b'0',
    ));
    let (report, _) = verify_bytes(&tar_of(&[twice]), 4096);
    assert!(!report.is_intact());
    let b = report
        .blobs
        .iter()
        .find(|b| b.digest == Digest::of(blob))
        .unwrap();
    assert_eq!(b.outcome.label(), "mismatch");
}

#[test]
fn a_blob_the_archive_lacks_is_named_as_absent_not_as_damage() {
    let (rel, m, blobs) = models().remove(1);
    let missing = Digest::of(&blobs[1]);
    let mut entries = vec![entry(&format!("manifests/{rel}"), &m, b'0')];
    for b in [&blobs[0], &blobs[2]] {
        entries.push(entry(
            &format!("blobs/{}", Digest::of(b).blob_file_name()),
            b,
            b'0',
        ));
    }
    let (report, manifests) = verify_bytes(&tar_of(&entries), 4096);
    let model = &report.models[0];
    assert!(model.ok && model.problems.is_empty(), "{model:?}");
    assert_eq!(
        model.absent.iter().map(|a| &a.digest).collect::<Vec<_>>(),
        [&missing]
    );
    assert!(report.is_intact());
    let note = report
        .notes
        .iter()
        .find(|n| n.message.contains(&missing.to_string()))
        .unwrap();
    assert!(note.message.contains("not in the archive") && note.message.contains("must have it"));
    assert!(manifests[0].ok);
    assert_eq!(manifests[0].absent, model.absent);
}
