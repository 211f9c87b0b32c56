//! Before an import: the archive's models that the open folder already has
//! with other content, and the names a person types to import them under.
//! In: the verified manifests of an archive and the folder's models (as the
//! store scan reports them). Out: a [`Conflict`] per such model (both IDs
//! and a free name to suggest); for a folder that refuses ':' in names
//! (Chromium, on disk), each model whose registry host has a port, with a
//! free name without that host ([`colon_names`]); and each typed name
//! checked: valid, not a model of the folder or the archive, not given
//! twice.

use super::import::{plan_import, Choices};
use super::rename::{check_new_name, name_of, suggest_name, RenameError};
use super::report::VerifiedManifest;
use crate::digest::Digest;
use crate::name::ModelName;
use crate::store::ModelReport;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The model's name, in the archive and in the folder.
    pub name: String,
    pub folder_id: String,
    pub archive_id: String,
    /// A free name to import the archive's model under.
    pub suggestion: String,
}

fn folder_name(m: &ModelReport) -> Option<ModelName> {
    ModelName::from_manifest_path(m.manifest_path.strip_prefix("manifests/")?).ok()
}

/// A model of the folder or of the archive has this name.
pub fn is_taken(name: &ModelName, manifests: &[VerifiedManifest], folder: &[ModelReport]) -> bool {
    folder.iter().any(|m| folder_name(m).as_ref() == Some(name))
        || manifests.iter().any(|m| name_of(m).as_ref() == Some(name))
}

/// The archive's verified models the folder has with other bytes.
pub fn find_conflicts(manifests: &[VerifiedManifest], folder: &[ModelReport]) -> Vec<Conflict> {
    let mut probe = manifests.to_vec();
    let mut existing = |path: &str| {
        folder
            .iter()
            .find(|m| m.manifest_path == path)
            .map(|m| m.manifest_digest.clone())
    };
    let Ok(plan) = plan_import(&mut probe, &mut existing, &|_| true, &Choices::default()) else {
        return Vec::new();
    };
    let taken = |n: &ModelName| is_taken(n, manifests, folder);
    manifests
        .iter()
        .filter(|m| plan.conflicts.contains(&m.name))
        .filter_map(|m| {
            let name = name_of(m)?;
            let folder_id = folder.iter().find(|f| f.manifest_path == m.manifest_path)?;
            Some(Conflict {
                name: m.name.clone(),
                folder_id: folder_id.id.clone(),
                archive_id: Digest::of(&m.bytes).short_id().to_string(),
                suggestion: suggest_name(&name, &taken).display_shortest(),
            })
        })
        .collect()
}

/// An archive's model whose name holds a host with a port, which a folder
/// refusing ':' cannot store under that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColonName {
    pub name: String,
    pub archive_id: String,
    /// The name without the host (`gemma2:2b`), or a free variant of it.
    pub suggestion: String,
}

/// The archive's verified models whose manifest path holds ':' (a
/// registry host with a port), each with a free name without that host;
/// not those the folder already has with the same bytes.
pub fn colon_names(manifests: &[VerifiedManifest], folder: &[ModelReport]) -> Vec<ColonName> {
    let taken = |n: &ModelName| is_taken(n, manifests, folder);
    let there = |m: &VerifiedManifest| {
        folder.iter().any(|f| {
            f.manifest_path == m.manifest_path && f.manifest_digest == Digest::of(&m.bytes)
        })
    };
    manifests
        .iter()
        .filter(|m| m.ok && !there(m))
        .filter_map(|m| {
            let without = name_of(m)?.without_port_host()?;
            let free = if taken(&without) {
                suggest_name(&without, &taken)
            } else {
                without
            };
            Some(ColonName {
                name: m.name.clone(),
                archive_id: Digest::of(&m.bytes).short_id().to_string(),
                suggestion: free.display_shortest(),
            })
        })
        .collect()
}

/// Each typed name checked, in order; a name typed twice fails the second
/// time.
pub fn check_typed_names(
    typed: &[&str],
    manifests: &[VerifiedManifest],
    folder: &[ModelReport],
) -> Vec<Result<ModelName, RenameError>> {
    let mut out: Vec<Result<ModelName, RenameError>> = Vec::new();
    for text in typed {
        let before: Vec<&ModelName> = out.iter().filter_map(|r| r.as_ref().ok()).collect();
        let taken = |n: &ModelName| is_taken(n, manifests, folder) || before.contains(&n);
        let checked = check_new_name(text, &taken);
        out.push(checked);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{models, packed, store_files};
    use super::*;
    use crate::source::MemSource;
    use crate::store::scan_store;

    /// The test store, `alpha:8b`'s manifest edited, as the scan reports it.
    fn folder() -> Vec<ModelReport> {
        let mut src = MemSource::new();
        for (path, mut bytes) in store_files() {
            if path == "manifests/registry.ollama.ai/library/alpha/8b" {
                bytes.push(b' ');
            }
            src.add_file(&format!("models/{path}"), bytes, 1_700_000_000_000);
        }
        pollster::block_on(scan_store(&src, "/s")).unwrap().models
    }

    #[test]
    fn only_models_with_other_bytes_conflict_with_both_ids_and_a_free_name() {
        let (_, manifests) = super::super::verify_bytes(&packed(None), 1 << 20);
        let folder = folder();
        let alpha = &models()[0].1;
        let edited = [alpha.as_slice(), b" "].concat();
        assert_eq!(
            find_conflicts(&manifests, &folder),
            [Conflict {
                name: "alpha:8b".into(),
                folder_id: Digest::of(&edited).short_id().into(),
                archive_id: Digest::of(alpha).short_id().into(),
                suggestion: "alpha:8b-imported".into(),
            }]
        );
        let checked = check_typed_names(
            &[
                "alpha:mine",
                "ALPHA:MINE",
                "localhost:5000/team/beta:latest",
                "bad name",
                " alpha:v2 ",
            ],
            &manifests,
            &folder,
        );
        let kinds: Vec<&str> = checked
            .iter()
            .map(|r| match r {
                Ok(_) => "ok",
                Err(RenameError::Taken { .. }) => "taken",
                Err(RenameError::Name(_)) => "invalid",
                Err(_) => "other",
            })
            .collect();
        assert_eq!(kinds, ["ok", "taken", "taken", "invalid", "ok"]);
    }

    #[test]
    fn a_model_whose_host_has_a_port_gets_the_name_without_it_or_a_free_one() {
        let (_, manifests) = super::super::verify_bytes(&packed(None), 1 << 20);
        let beta = &models()[1].1;
        let expect = |suggestion: &str| {
            vec![ColonName {
                name: "localhost:5000/team/beta:latest".into(),
                archive_id: Digest::of(beta).short_id().into(),
                suggestion: suggestion.into(),
            }]
        };
        assert_eq!(colon_names(&manifests, &[]), expect("team/beta:latest"));
        // The folder already has team/beta:latest: a free variant.
        let (rel, bytes, blobs) = &models()[1];
        let folder_with = |path: &str| {
            let mut src = MemSource::new();
            src.add_file(&format!("models/manifests/{path}"), bytes.clone(), 1);
            for b in blobs {
                let name = Digest::of(b).blob_file_name();
                src.add_file(&format!("models/blobs/{name}"), b.clone(), 1);
            }
            pollster::block_on(scan_store(&src, "/s")).unwrap().models
        };
        let folder = folder_with(&rel.replace("localhost:5000", "registry.ollama.ai"));
        assert_eq!(
            colon_names(&manifests, &folder),
            expect("team/beta:latest-imported")
        );
    }
}
