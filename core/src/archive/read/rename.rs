//! Importing a model under another name. In: what the user asked for
//! (`NEW` for an archive of one model, `OLD=NEW`, or a name typed in the
//! browser) and the archive's verified manifests. Out: those manifests
//! pointed at the new name's place (`manifests/<host>/<ns>/<model>/<tag>`),
//! their bytes untouched so the model keeps its ID; a free name to suggest
//! ([`suggest_name`]); a typed name checked against the taken ones
//! ([`check_new_name`]).

use super::report::VerifiedManifest;
use crate::name::{ModelName, NameError};

/// Import the archive's model `from` (the only one, when `None`) as `to`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rename {
    pub from: Option<ModelName>,
    pub to: ModelName,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenameError {
    #[error("{0}")]
    Name(#[from] NameError),
    #[error(
        "a new name alone fits an archive of one model; this one holds {count}: {names}. \
         Say which model gets which name: OLD=NEW"
    )]
    WhichModel { count: usize, names: String },
    #[error("the archive has no model \"{name}\"; it holds: {names}")]
    NotInArchive { name: String, names: String },
    #[error("\"{name}\" is given two new names")]
    Twice { name: String },
    #[error("two models would be imported as \"{name}\"; give each its own name")]
    Collision { name: String },
    #[error(
        "\"{name}\" is taken: the folder or the archive has a model of that name. Choose another."
    )]
    Taken { name: String },
}

impl Rename {
    /// `NEW` or `OLD=NEW` (a model name never holds `=`).
    pub fn parse(text: &str) -> Result<Self, RenameError> {
        Ok(match text.split_once('=') {
            Some((from, to)) => Self {
                from: Some(ModelName::parse(from.trim())?),
                to: ModelName::parse(to.trim())?,
            },
            None => Self {
                from: None,
                to: ModelName::parse(text.trim())?,
            },
        })
    }
}

/// The name a manifest lands under (its place in `manifests/`).
pub fn name_of(m: &VerifiedManifest) -> Option<ModelName> {
    let rel = m.manifest_path.strip_prefix("manifests/")?;
    ModelName::from_manifest_path(rel).ok()
}

/// Points each renamed manifest at its new place; `renamed_from` keeps the
/// archive's name. Nothing changes when any rename is wrong.
pub fn apply_renames(
    manifests: &mut [VerifiedManifest],
    renames: &[Rename],
) -> Result<(), RenameError> {
    let names: Vec<Option<ModelName>> = manifests.iter().map(name_of).collect();
    let listing = || {
        let list: Vec<&str> = manifests.iter().map(|m| m.name.as_str()).collect();
        list.join(", ")
    };
    let mut targets: Vec<Option<&ModelName>> = vec![None; manifests.len()];
    for r in renames {
        let i = match &r.from {
            None if manifests.len() == 1 => 0,
            None => {
                return Err(RenameError::WhichModel {
                    count: manifests.len(),
                    names: listing(),
                })
            }
            Some(from) => names
                .iter()
                .position(|n| n.as_ref() == Some(from))
                .ok_or_else(|| RenameError::NotInArchive {
                    name: from.display_shortest(),
                    names: listing(),
                })?,
        };
        if targets[i].replace(&r.to).is_some() {
            return Err(RenameError::Twice {
                name: manifests[i].name.clone(),
            });
        }
    }
    let landing: Vec<Option<&ModelName>> = targets
        .iter()
        .zip(&names)
        .map(|(t, n)| t.or(n.as_ref()))
        .collect();
    for (i, to) in targets.iter().enumerate() {
        let Some(to) = to else { continue };
        if landing
            .iter()
            .enumerate()
            .any(|(j, n)| j != i && *n == Some(*to))
        {
            return Err(RenameError::Collision {
                name: to.display_shortest(),
            });
        }
    }
    for (m, to) in manifests.iter_mut().zip(targets) {
        // A rename to the name it has already changes nothing.
        if let Some(to) = to.filter(|to| name_of(m).as_ref() != Some(*to)) {
            m.renamed_from = Some(std::mem::take(&mut m.name));
            m.name = to.display_shortest();
            m.manifest_path = format!("manifests/{}", to.manifest_rel_path());
        }
    }
    Ok(())
}

/// A free name for `name`: its tag with `-imported` (then `-imported-2`,
/// …) added, cut to fit the 80 characters a tag may have.
pub fn suggest_name(name: &ModelName, taken: &dyn Fn(&ModelName) -> bool) -> ModelName {
    let mut candidate = name.clone();
    for n in 1..100 {
        let suffix = match n {
            1 => "-imported".to_string(),
            _ => format!("-imported-{n}"),
        };
        let kept: String = name.tag.chars().take(80 - suffix.len()).collect();
        candidate.tag = kept + &suffix;
        if !taken(&candidate) {
            break;
        }
    }
    candidate
}

/// A name the user typed for a model: valid, and not `taken`.
pub fn check_new_name(
    text: &str,
    taken: &dyn Fn(&ModelName) -> bool,
) -> Result<ModelName, RenameError> {
    let name = ModelName::parse(text.trim())?;
    if taken(&name) {
        return Err(RenameError::Taken {
            name: name.display_shortest(),
        });
    }
    Ok(name)
}

#[cfg(test)]
mod tests;
