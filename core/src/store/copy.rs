//! Copying a model under another name, as `ollama cp` does: the same
//! manifest bytes at the new name's path, so the same ID and the same
//! blobs; the same plan for the app and the CLI's `cp` (and for a rename,
//! which is a copy, then the removal of the old name). In: the folder's
//! [`StoreReport`], the model to copy and the new name as typed, and
//! whether an existing model of that name may be replaced. Out: a
//! [`CopyPlan`], or why not. Names follow Ollama's rules and are compared
//! case-insensitively, as Ollama does: `Gemma2:2B` is taken when
//! `gemma2:2b` exists.

use super::report::StoreReport;
use crate::name::{ModelName, NameError};
use crate::verify::plan::{choose, PlanError};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopyPlan {
    /// The model copied (display name) and its manifest's path.
    pub from: String,
    pub from_path: String,
    /// The new name (display name) and where its manifest goes.
    pub to: String,
    pub to_path: String,
    /// A manifest of the same name (in any case) that the copy replaces:
    /// it is removed first when its path differs from `to_path`.
    pub replaces: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Unknown(#[from] PlanError),
    #[error("copy one model at a time: \"{0}\" names {1}")]
    Ambiguous(String, usize),
    #[error("not a valid model name: {0}")]
    BadName(#[from] NameError),
    #[error("{from} already has that name")]
    SameName { from: String },
    #[error(
        "{name} exists already ({path}); choose another name, or replace it explicitly (--replace)"
    )]
    Taken { name: String, path: String },
}

/// Plans copying `from` (as `ollama list` shows it, or as typed) to `to`.
pub fn plan_copy(
    report: &StoreReport,
    from: &str,
    to: &str,
    replace: bool,
) -> Result<CopyPlan, CopyError> {
    let source = choose(&report.models, &[from.to_string()])?;
    let [source] = source.as_slice() else {
        return Err(CopyError::Ambiguous(from.to_string(), source.len()));
    };
    let target = ModelName::parse(to.trim())?;
    let to_path = format!("manifests/{}", target.manifest_rel_path());
    let taken = manifest_paths(report).into_iter().find(|p| {
        ModelName::from_manifest_path(p.trim_start_matches("manifests/"))
            .is_ok_and(|n| n.fold_key() == target.fold_key())
    });
    if taken.as_deref() == Some(source.manifest_path.as_str()) {
        return Err(CopyError::SameName {
            from: source.name.clone(),
        });
    }
    if let (Some(path), false) = (&taken, replace) {
        return Err(CopyError::Taken {
            name: target.display_shortest(),
            path: path.clone(),
        });
    }
    Ok(CopyPlan {
        from: source.name.clone(),
        from_path: source.manifest_path.clone(),
        to: target.display_shortest(),
        to_path,
        replaces: taken,
    })
}

/// Every manifest's path, readable or not (an unreadable one still holds
/// its name).
fn manifest_paths(report: &StoreReport) -> Vec<String> {
    let readable = report.models.iter().map(|m| m.manifest_path.clone());
    let unreadable = report
        .errors
        .iter()
        .filter(|e| e.path.starts_with("manifests/"))
        .map(|e| e.path.clone());
    readable.chain(unreadable).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::source::MemSource;
    use crate::store::scan_store;

    fn store() -> StoreReport {
        let config = br#"{"model_family":"a"}"#;
        let manifest = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{}","size":{}}},"layers":[]}}"#,
            Digest::of(config),
            config.len()
        );
        let mut s = MemSource::new();
        s.add_file(
            &format!("models/blobs/{}", Digest::of(config).blob_file_name()),
            config.to_vec(),
            0,
        );
        for path in [
            "registry.ollama.ai/library/gemma2/2b",
            "registry.ollama.ai/team/Big/v1",
        ] {
            s.add_file(
                &format!("models/manifests/{path}"),
                manifest.clone().into_bytes(),
                0,
            );
        }
        s.add_file(
            "models/manifests/registry.ollama.ai/library/broken/1",
            b"{".to_vec(),
            0,
        );
        pollster::block_on(scan_store(&s, "x")).unwrap()
    }

    #[test]
    fn a_copy_goes_to_the_new_names_path() {
        let plan = plan_copy(&store(), "gemma2:2b", "mine/gemma:work", false).unwrap();
        assert_eq!(
            plan.from_path,
            "manifests/registry.ollama.ai/library/gemma2/2b"
        );
        assert_eq!(
            (plan.to.as_str(), plan.to_path.as_str()),
            (
                "mine/gemma:work",
                "manifests/registry.ollama.ai/mine/gemma/work"
            )
        );
        assert_eq!(plan.replaces, None);
        let with_host = plan_copy(
            &store(),
            "gemma2:2b",
            "http://192.168.1.5:8080/library/gemma2:2b",
            false,
        )
        .unwrap();
        assert_eq!(
            with_host.to_path,
            "manifests/192.168.1.5:8080/library/gemma2/2b"
        );
    }

    #[test]
    fn names_are_taken_in_any_case_and_replaced_only_when_asked() {
        let e = plan_copy(&store(), "gemma2:2b", "TEAM/big:V1", false).unwrap_err();
        assert!(
            matches!(&e, CopyError::Taken { path, .. } if path == "manifests/registry.ollama.ai/team/Big/v1"),
            "{e}"
        );
        let plan = plan_copy(&store(), "gemma2:2b", "TEAM/big:V1", true).unwrap();
        assert_eq!(
            plan.replaces.as_deref(),
            Some("manifests/registry.ollama.ai/team/Big/v1")
        );
        assert!(
            matches!(
                plan_copy(&store(), "gemma2:2b", "broken:1", false),
                Err(CopyError::Taken { .. })
            ),
            "an unreadable manifest holds its name"
        );
        assert!(matches!(
            plan_copy(&store(), "gemma2:2b", "Gemma2:2B", true),
            Err(CopyError::SameName { .. })
        ));
    }

    #[test]
    fn bad_names_and_unknown_models_say_why() {
        assert!(matches!(
            plan_copy(&store(), "gemma2:2b", "bad name", false),
            Err(CopyError::BadName(_))
        ));
        assert!(matches!(
            plan_copy(&store(), "nope", "x", false),
            Err(CopyError::Unknown(_))
        ));
    }
}
