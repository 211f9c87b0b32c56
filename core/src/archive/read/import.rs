//! What an import writes, decided without I/O. In: the verified manifests
//! of an archive, the digest of any manifest already at the same place in
//! the target models folder (the driver reads it), and the user's
//! [`Choices`]: what to do about those that differ, and models to import
//! under another name. Out: a [`ManifestPlan`]: manifests to write (byte
//! for byte, last, after every blob they need is final), those already
//! there identical, those kept or replaced, conflicts, and models skipped
//! because they did not verify. Blobs: [`blob_needed`] says whether a
//! verified blob must be written, given what the folder holds.

use super::rename::{apply_renames, Rename, RenameError};
use super::report::VerifiedManifest;
use crate::digest::Digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What to do when the folder already has a manifest, with other bytes,
/// where the archive puts one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Existing {
    /// Import nothing; list the conflicts.
    #[default]
    Refuse,
    /// Write the archive's manifest over the existing one.
    Replace,
    /// Leave the existing manifest; import the other models.
    Keep,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ManifestPlan {
    /// Indexes into the manifests given, to write (new or replacing).
    pub write: Vec<usize>,
    /// Names already present with the same bytes: nothing to do.
    pub unchanged: Vec<String>,
    /// Names present with other bytes, replaced (with [`Existing::Replace`]).
    pub replaced: Vec<String>,
    /// Names present with other bytes, left as they are ([`Existing::Keep`]).
    pub kept: Vec<String>,
    /// Names present with other bytes, with [`Existing::Refuse`].
    pub conflicts: Vec<String>,
    /// Models that did not verify: never written.
    pub skipped: Vec<String>,
}

impl ManifestPlan {
    /// [`Existing::Refuse`] met a conflict: nothing may be written.
    pub fn refused(&self) -> bool {
        !self.conflicts.is_empty()
    }
}

/// What the user chose for an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choices {
    /// For a model the folder has with other content, unless `per_model`
    /// names it.
    pub existing: Existing,
    /// By the name the model is imported under.
    pub per_model: BTreeMap<String, Existing>,
    /// Models imported under another name.
    pub renames: Vec<Rename>,
}

impl Choices {
    pub fn all(existing: Existing) -> Self {
        Self {
            existing,
            ..Self::default()
        }
    }
}

/// Applies the renames to `manifests` (their bytes untouched), then plans
/// the manifest writes. `existing(path)` gives the digest of the file at
/// `manifests/...` in the target folder, if there is one.
pub fn plan_import(
    manifests: &mut [VerifiedManifest],
    existing: &mut dyn FnMut(&str) -> Option<Digest>,
    choices: &Choices,
) -> Result<ManifestPlan, RenameError> {
    apply_renames(manifests, &choices.renames)?;
    let policy = |name: &str| {
        choices
            .per_model
            .get(name)
            .copied()
            .unwrap_or(choices.existing)
    };
    Ok(plan_manifests(manifests, existing, &policy))
}

fn plan_manifests(
    manifests: &[VerifiedManifest],
    existing: &mut dyn FnMut(&str) -> Option<Digest>,
    policy: &dyn Fn(&str) -> Existing,
) -> ManifestPlan {
    let mut plan = ManifestPlan::default();
    for (i, m) in manifests.iter().enumerate() {
        if !m.ok {
            plan.skipped.push(m.name.clone());
            continue;
        }
        match existing(&m.manifest_path) {
            None => plan.write.push(i),
            Some(digest) if digest == Digest::of(&m.bytes) => plan.unchanged.push(m.name.clone()),
            Some(_) => match policy(&m.name) {
                Existing::Refuse => plan.conflicts.push(m.name.clone()),
                Existing::Keep => plan.kept.push(m.name.clone()),
                Existing::Replace => {
                    plan.replaced.push(m.name.clone());
                    plan.write.push(i);
                }
            },
        }
    }
    if plan.refused() {
        plan.write.clear();
    }
    plan
}

/// Whether a blob must be written: not when the folder already has a file
/// of that digest and size (Ollama trusts it too; `verify` checks it).
pub fn blob_needed(size: u64, present: Option<u64>) -> bool {
    present != Some(size)
}

/// The blobs the planned writes need: every one must be final before the
/// first manifest is written.
pub fn needed_blobs<'a>(manifests: &'a [VerifiedManifest], plan: &ManifestPlan) -> Vec<&'a Digest> {
    let mut out: Vec<&Digest> = plan
        .write
        .iter()
        .flat_map(|&i| manifests[i].blobs.iter())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::ModelName;

    /// A verified manifest of model `m` at `h/n/m:t`.
    fn vm(m: &str, bytes: &[u8], ok: bool) -> VerifiedManifest {
        VerifiedManifest {
            name: format!("h/n/{m}:t"),
            manifest_path: format!("manifests/h/n/{m}/t"),
            bytes: bytes.to_vec(),
            mtime: 0,
            ok,
            blobs: vec![Digest::of(m.as_bytes())],
            renamed_from: None,
        }
    }

    fn folder(p: &str) -> Option<Digest> {
        match p {
            "manifests/h/n/b/t" => Some(Digest::of(b"B")),
            "manifests/h/n/c/t" | "manifests/h/n/taken/t" => Some(Digest::of(b"other")),
            _ => None,
        }
    }

    fn plan(ms: &mut [VerifiedManifest], choices: &Choices) -> ManifestPlan {
        plan_import(ms, &mut folder, choices).unwrap()
    }

    fn archive() -> Vec<VerifiedManifest> {
        vec![
            vm("a", b"A", true),
            vm("b", b"B", true),
            vm("c", b"C", true),
            vm("d", b"D", false),
        ]
    }

    #[test]
    fn plans_per_policy() {
        let refuse = plan(&mut archive(), &Choices::default());
        assert!(refuse.refused());
        assert!(refuse.write.is_empty());
        assert_eq!(refuse.conflicts, ["h/n/c:t"]);
        assert_eq!(refuse.unchanged, ["h/n/b:t"]);
        assert_eq!(refuse.skipped, ["h/n/d:t"]);
        let keep = plan(&mut archive(), &Choices::all(Existing::Keep));
        assert_eq!(keep.write, [0]);
        assert_eq!(keep.kept, ["h/n/c:t"]);
        let ms = &mut archive();
        let replace = plan(ms, &Choices::all(Existing::Replace));
        assert_eq!(replace.write, [0, 2]);
        assert_eq!(replace.replaced, ["h/n/c:t"]);
        assert_eq!(needed_blobs(ms, &replace).len(), 2);
        assert!(blob_needed(5, None) && blob_needed(5, Some(4)) && !blob_needed(5, Some(5)));
    }

    #[test]
    fn a_choice_per_model_overrides_the_default() {
        let mut choices = Choices::default();
        choices
            .per_model
            .insert("h/n/c:t".into(), Existing::Replace);
        let p = plan(&mut archive(), &choices);
        assert_eq!(
            (p.write, p.replaced),
            (vec![0, 2], vec!["h/n/c:t".to_string()])
        );
    }

    #[test]
    fn a_renamed_model_lands_under_its_new_name_with_the_same_bytes() {
        let to = |t: &str| ModelName::parse(t).unwrap();
        let mut choices = Choices::default();
        choices.renames.push(Rename {
            from: Some(to("h/n/c:t")),
            to: to("h/n/c:t-imported"),
        });
        let ms = &mut archive();
        let p = plan(ms, &choices);
        assert!(!p.refused(), "{p:?}");
        assert_eq!(p.write, [0, 2]);
        assert_eq!(ms[2].manifest_path, "manifests/h/n/c/t-imported");
        assert_eq!(ms[2].name, "h/n/c:t-imported");
        assert_eq!(ms[2].renamed_from.as_deref(), Some("h/n/c:t"));
        assert_eq!(ms[2].bytes, b"C");
        // Renamed onto a name the folder has with other content: a conflict
        // like any other, under the new name.
        choices.renames[0].to = to("h/n/taken:t");
        let p = plan(&mut archive(), &choices);
        assert_eq!(p.conflicts, ["h/n/taken:t"]);
    }
}
