//! Renames: parsed from what a person types, applied to an archive's
//! manifests (bytes untouched, wrong renames refused with nothing changed),
//! free names suggested, typed names checked.

use super::*;
use crate::digest::Digest;

fn n(text: &str) -> ModelName {
    ModelName::parse(text).unwrap()
}

fn vm(rel: &str) -> VerifiedManifest {
    let bytes = format!("manifest of {rel}").into_bytes();
    VerifiedManifest {
        name: ModelName::from_manifest_path(rel)
            .unwrap()
            .display_shortest(),
        manifest_path: format!("manifests/{rel}"),
        blobs: vec![Digest::of(&bytes)],
        bytes,
        mtime: 0,
        ok: true,
        absent: Vec::new(),
        renamed_from: None,
    }
}

fn archive() -> Vec<VerifiedManifest> {
    vec![
        vm("registry.ollama.ai/library/gemma2/2b"),
        vm("localhost:5000/team/tiny/v1"),
    ]
}

#[test]
fn parses_new_and_old_equals_new() {
    let bare = Rename::parse("mine:v2").unwrap();
    assert_eq!((bare.from, bare.to), (None, n("mine:v2")));
    let pair = Rename::parse("gemma2:2b = team/gemma2:mine").unwrap();
    assert_eq!(pair.from, Some(n("gemma2:2b")));
    assert_eq!(
        pair.to.manifest_rel_path(),
        "registry.ollama.ai/team/gemma2/mine"
    );
    for bad in ["", "=x", "x=", "a=b=c", "bad name", "x:-tag"] {
        assert!(
            matches!(Rename::parse(bad), Err(RenameError::Name(_))),
            "{bad}"
        );
    }
}

#[test]
fn a_bare_new_name_renames_the_only_model() {
    let mut one = vec![vm("registry.ollama.ai/library/gemma2/2b")];
    apply_renames(&mut one, &[Rename::parse("gemma2:mine").unwrap()]).unwrap();
    assert_eq!(one[0].name, "gemma2:mine");
    assert_eq!(
        one[0].manifest_path,
        "manifests/registry.ollama.ai/library/gemma2/mine"
    );
    assert_eq!(one[0].renamed_from.as_deref(), Some("gemma2:2b"));
    assert_eq!(
        one[0].bytes,
        b"manifest of registry.ollama.ai/library/gemma2/2b"
    );

    let mut two = archive();
    let err = apply_renames(&mut two, &[Rename::parse("x").unwrap()]).unwrap_err();
    assert!(
        matches!(err, RenameError::WhichModel { count: 2, .. }),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains("gemma2:2b, localhost:5000/team/tiny:v1"));
    assert_eq!(two, archive());
}

#[test]
fn old_equals_new_picks_the_model_ignoring_case() {
    let mut ms = archive();
    let r = Rename::parse("LOCALHOST:5000/team/Tiny:v1=tiny:copy").unwrap();
    apply_renames(&mut ms, &[r]).unwrap();
    assert_eq!(ms[0], archive()[0]);
    assert_eq!(ms[1].name, "tiny:copy");
    assert_eq!(
        ms[1].manifest_path,
        "manifests/registry.ollama.ai/library/tiny/copy"
    );
    assert_eq!(
        ms[1].renamed_from.as_deref(),
        Some("localhost:5000/team/tiny:v1")
    );
}

#[test]
fn wrong_renames_are_refused_and_change_nothing() {
    let cases = [
        (vec!["llama3:8b=x"], "not_in_archive"),
        (vec!["gemma2:2b=a", "gemma2:2b=b"], "twice"),
        (vec!["gemma2:2b=localhost:5000/team/tiny:v1"], "collision"),
        (
            vec!["gemma2:2b=x", "localhost:5000/team/tiny:v1=X"],
            "collision",
        ),
    ];
    for (texts, want) in cases {
        let renames: Vec<Rename> = texts.iter().map(|t| Rename::parse(t).unwrap()).collect();
        let mut ms = archive();
        let err = apply_renames(&mut ms, &renames).unwrap_err();
        let kind = match err {
            RenameError::NotInArchive { .. } => "not_in_archive",
            RenameError::Twice { .. } => "twice",
            RenameError::Collision { .. } => "collision",
            _ => "other",
        };
        assert_eq!(kind, want, "{texts:?}: {err}");
        assert_eq!(ms, archive(), "{texts:?}");
    }
    // Swapping two names is fine: each lands where the other was.
    let mut ms = archive();
    let swap = [
        "gemma2:2b=localhost:5000/team/tiny:v1",
        "localhost:5000/team/tiny:v1=gemma2:2b",
    ];
    let renames: Vec<Rename> = swap.iter().map(|t| Rename::parse(t).unwrap()).collect();
    apply_renames(&mut ms, &renames).unwrap();
    assert_eq!(ms[0].name, "localhost:5000/team/tiny:v1");
    assert_eq!(ms[1].name, "gemma2:2b");
}

#[test]
fn suggestions_are_free_valid_and_fit() {
    let free = |_: &ModelName| false;
    assert_eq!(
        suggest_name(&n("gemma2:2b"), &free).display_shortest(),
        "gemma2:2b-imported"
    );
    let taken = [n("gemma2:2b-imported"), n("gemma2:2b-imported-2")];
    let busy = |m: &ModelName| taken.contains(m);
    assert_eq!(
        suggest_name(&n("gemma2:2b"), &busy).display_shortest(),
        "gemma2:2b-imported-3"
    );
    let long = n(&format!("m:{}", "t".repeat(80)));
    let s = suggest_name(&long, &free);
    assert_eq!(s.tag.len(), 80);
    assert!(s.tag.ends_with("-imported"));
    assert!(ModelName::from_manifest_path(&s.manifest_rel_path()).is_ok());
}

#[test]
fn a_typed_name_must_be_valid_and_free() {
    let taken = [n("gemma2:2b")];
    let busy = |m: &ModelName| taken.contains(m);
    assert_eq!(check_new_name(" mine:v1 ", &busy).unwrap(), n("mine:v1"));
    assert!(matches!(
        check_new_name("GEMMA2:2B", &busy),
        Err(RenameError::Taken { .. })
    ));
    let bad = check_new_name("mine:-v1", &busy).unwrap_err();
    assert!(bad.to_string().contains("tag"), "{bad}");
}
