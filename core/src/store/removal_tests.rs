//! Removal plans over stores built here: shared blobs, a missing blob, an
//! unreadable manifest, manifests the driver cannot see, and a manifest
//! written between a preview and the removal.

use super::*;
use crate::digest::Digest;
use crate::source::MemSource;
use crate::store::scan_store;
use crate::testing::manifest;

struct Store {
    src: MemSource,
}

impl Store {
    fn new() -> Self {
        let mut src = MemSource::new();
        src.add_dir("models/manifests");
        src.add_dir("models/blobs");
        Self { src }
    }

    fn blob(&mut self, bytes: &[u8]) -> &mut Self {
        self.src.add_file(
            &format!("models/blobs/{}", Digest::of(bytes).blob_file_name()),
            bytes.to_vec(),
            0,
        );
        self
    }

    fn model(&mut self, path: &str, config: &[u8], layers: &[&[u8]]) -> &mut Self {
        self.src.add_file(
            &format!("models/manifests/{path}"),
            manifest(config, layers),
            0,
        );
        self
    }

    fn report(&self) -> StoreReport {
        pollster::block_on(scan_store(&self.src, "/u/.ollama")).expect("scan")
    }
}

const W1: &[u8] = b"weights one";
const W2: &[u8] = b"weights two, longer";
const SHARED: &[u8] = b"a license both use";
const C1: &[u8] = br#"{"model_family":"a"}"#;
const C2: &[u8] = br#"{"model_family":"b"}"#;

/// a:1 and b:1 share a license; b:2 is a second tag of b with b:1's blobs.
fn two_models() -> Store {
    let mut s = Store::new();
    for b in [W1, W2, SHARED, C1, C2] {
        s.blob(b);
    }
    s.model("registry.ollama.ai/library/a/1", C1, &[W1, SHARED]);
    s.model("registry.ollama.ai/library/b/1", C2, &[W2, SHARED]);
    s
}

fn digests(blobs: &[FreedBlob]) -> BTreeSet<Digest> {
    blobs.iter().map(|b| b.digest.clone()).collect()
}

fn set(items: &[&[u8]]) -> BTreeSet<Digest> {
    items.iter().map(|b| Digest::of(b)).collect()
}

#[test]
fn a_model_frees_its_own_blobs_and_keeps_the_shared_ones_naming_who_uses_them() {
    let report = two_models().report();
    let plan = plan_removal(&report, &["a:1".into()]).unwrap();
    assert_eq!(plan.models.len(), 1);
    assert_eq!(
        plan.models[0].manifest_path,
        "manifests/registry.ollama.ai/library/a/1"
    );
    assert_eq!(digests(&plan.blobs), set(&[W1, C1]));
    assert_eq!(plan.freed_bytes, (W1.len() + C1.len()) as u64);
    assert_eq!(plan.kept.len(), 1);
    assert_eq!(
        (plan.kept[0].digest.clone(), plan.kept[0].users.clone()),
        (Digest::of(SHARED), vec!["b:1".to_string()])
    );
    assert_eq!(
        plan.folders,
        vec!["manifests/registry.ollama.ai/library/a".to_string()],
        "library/ still holds b"
    );
    assert_eq!(plan.withheld, None);
    assert_eq!(
        plan.freed_bytes,
        report.model("a:1").unwrap().frees,
        "what the store report said removing it frees"
    );
}

#[test]
fn removing_every_model_frees_every_blob_once_and_empties_every_folder() {
    let report = two_models().report();
    let plan = plan_removal(&report, &["a:1".into(), "B:1".into()]).unwrap();
    assert_eq!(digests(&plan.blobs), set(&[W1, W2, SHARED, C1, C2]));
    assert!(plan.kept.is_empty());
    assert_eq!(
        plan.folders,
        vec![
            "manifests/registry.ollama.ai/library/a".to_string(),
            "manifests/registry.ollama.ai/library/b".to_string(),
            "manifests/registry.ollama.ai/library".to_string(),
            "manifests/registry.ollama.ai".to_string(),
        ],
        "deepest first, never manifests/ itself"
    );
}

#[test]
fn a_second_tag_keeps_the_blobs_and_names_are_matched_as_typed() {
    let mut s = two_models();
    s.model("registry.ollama.ai/library/b/2", C2, &[W2, SHARED]);
    let report = s.report();
    let plan = plan_removal(&report, &["b:1".into()]).unwrap();
    assert!(plan.blobs.is_empty(), "b:2 uses all of them");
    assert_eq!(plan.freed_bytes, 0);
    assert!(plan.folders.is_empty(), "b/ still holds tag 2");
    let typed = plan_removal(&report, &["registry.ollama.ai/library/B:1".into()]).unwrap();
    assert_eq!(typed.models[0].name, "b:1", "the full name, any case");
    assert!(matches!(
        plan_removal(&report, &["nope".into()]),
        Err(RemovalError::Unknown(_))
    ));
    assert_eq!(plan_removal(&report, &[]), Err(RemovalError::NothingNamed));
}

#[test]
fn a_missing_blob_is_not_planned_for_deletion() {
    let mut s = Store::new();
    s.blob(C1)
        .model("registry.ollama.ai/library/a/1", C1, &[W1]);
    let plan = plan_removal(&s.report(), &["a:1".into()]).unwrap();
    assert_eq!(digests(&plan.blobs), set(&[C1]));
}

#[test]
fn an_unreadable_manifest_or_hidden_manifests_withhold_every_blob() {
    let mut s = two_models();
    s.src.add_file(
        "models/manifests/registry.ollama.ai/library/c/1",
        b"{broken".to_vec(),
        0,
    );
    let plan = plan_removal(&s.report(), &["a:1".into()]).unwrap();
    assert_eq!(plan.models.len(), 1, "the manifest still goes");
    assert!(plan.blobs.is_empty() && plan.freed_bytes == 0);
    let Some(BlobsWithheld::Unreadable(paths)) = &plan.withheld else {
        panic!("withheld: {:?}", plan.withheld)
    };
    assert_eq!(
        paths,
        &["manifests/registry.ollama.ai/library/c/1".to_string()]
    );
    assert!(plan
        .withheld
        .as_ref()
        .unwrap()
        .to_string()
        .contains("could not be read"));

    let mut report = two_models().report();
    report.listing = ManifestListing::MayHideColonNames;
    let plan = plan_removal(&report, &["a:1".into()]).unwrap();
    assert_eq!(plan.withheld, Some(BlobsWithheld::HiddenManifests));
    assert!(plan.blobs.is_empty());
    assert!(plan
        .withheld
        .unwrap()
        .to_string()
        .contains("ollama-pack prune"));
}

#[test]
fn a_manifest_written_after_the_preview_keeps_its_blobs_in_the_plan_made_at_removal() {
    let mut s = two_models();
    let preview = plan_removal(&s.report(), &["a:1".into()]).unwrap();
    assert!(digests(&preview.blobs).contains(&Digest::of(W1)));
    // Meanwhile Ollama pulled a model that uses the same weights.
    s.model("registry.ollama.ai/library/a-copy/1", C2, &[W1]);
    let at_removal = plan_removal(&s.report(), &["a:1".into()]).unwrap();
    assert_eq!(digests(&at_removal.blobs), set(&[C1]), "W1 is used again");
    assert!(at_removal
        .kept
        .iter()
        .any(|k| k.digest == Digest::of(W1) && k.users == ["a-copy:1"]));
}
