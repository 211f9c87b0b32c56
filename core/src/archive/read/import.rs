//! What an import writes, decided without I/O. In: the verified manifests
//! of an archive, the digest of any manifest already at the same place in
//! the target models folder (the driver reads it), and the user's
//! [`Choices`]: what to do about those that differ, and models to import
//! under another name. Out: a [`ManifestPlan`]: manifests to write (byte
//! for byte, last, after every blob they need is final), those already
//! there identical, those kept or replaced, conflicts, and models skipped
//! because they did not verify. Blobs: [`blob_needed`] says whether a
//! verified blob must be written, given what the folder holds.

use super::event::EntryInfo;
use super::layout::FLAT_PLACEHOLDER;
use super::rename::{apply_renames, Rename, RenameError};
use super::report::{AbsentBlob, VerifiedManifest};
use crate::digest::Digest;
use crate::name::ModelName;
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
    /// Models to write that need a blob neither the archive nor the folder
    /// has, with those blobs: nothing may be written.
    pub lacking: Vec<(String, Vec<AbsentBlob>)>,
}

impl ManifestPlan {
    /// [`Existing::Refuse`] met a conflict, or a model lacks a blob:
    /// nothing may be written.
    pub fn refused(&self) -> bool {
        !self.conflicts.is_empty() || !self.lacking.is_empty()
    }

    /// Why nothing is imported when models lack blobs, and how to get them.
    pub fn lacking_words(&self) -> Option<String> {
        if self.lacking.is_empty() {
            return None;
        }
        let each: Vec<String> = self
            .lacking
            .iter()
            .map(|(name, blobs)| {
                let list: Vec<String> = blobs.iter().map(ToString::to_string).collect();
                format!("{name} needs {}", list.join(", "))
            })
            .collect();
        let names: Vec<&str> = self.lacking.iter().map(|(n, _)| n.as_str()).collect();
        Some(format!(
            "nothing was imported: the archive does not carry every blob its models need, and this folder does not have them either: {}. Get them by pulling the model from its registry (ollama pull {}): a pull downloads only what the folder is missing. Or import into a folder that has the model already",
            each.join("; "),
            names.join(" ")
        ))
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

    /// A direct download named: its model is to go under another name
    /// than [`FLAT_PLACEHOLDER`].
    pub fn names_placeholder(&self) -> bool {
        let Ok(placeholder) = ModelName::parse(FLAT_PLACEHOLDER) else {
            return false;
        };
        self.renames
            .iter()
            .any(|r| r.from.as_ref() == Some(&placeholder) && r.to != placeholder)
    }
}

/// Applies the renames to `manifests` (their bytes untouched), then plans
/// the manifest writes. `existing(path)` gives the digest of the file at
/// `manifests/...` in the target folder, if there is one; `has_blob`
/// whether the folder has a blob (for those the archive lacks).
pub fn plan_import(
    manifests: &mut [VerifiedManifest],
    existing: &mut dyn FnMut(&str) -> Option<Digest>,
    has_blob: &dyn Fn(&Digest) -> bool,
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
    let mut plan = plan_manifests(manifests, existing, &policy);
    for &i in &plan.write {
        let m = &manifests[i];
        let lacks: Vec<AbsentBlob> = m
            .absent
            .iter()
            .filter(|a| !has_blob(&a.digest))
            .cloned()
            .collect();
        if !lacks.is_empty() {
            plan.lacking.push((m.name.clone(), lacks));
        }
    }
    if plan.refused() {
        plan.write.clear();
    }
    Ok(plan)
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
/// An entry whose size follows its data is written: once its size is
/// known, a copy the size of the folder's is dropped (no repair).
pub fn blob_needed(entry: &EntryInfo, present: Option<u64>) -> bool {
    !entry.size_known || present != Some(entry.size)
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
            absent: Vec::new(),
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
        plan_import(ms, &mut folder, &|_| true, choices).unwrap()
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
        let mut e = EntryInfo {
            path: "blobs/x".into(),
            kind: super::super::EntryKind::File,
            size: 5,
            size_known: true,
            mtime: 0,
            offset: 0,
        };
        assert!(blob_needed(&e, None) && blob_needed(&e, Some(4)) && !blob_needed(&e, Some(5)));
        e.size_known = false;
        assert!(blob_needed(&e, Some(0)) && blob_needed(&e, Some(5)));
    }

    #[test]
    fn a_blob_the_archive_lacks_must_be_in_the_folder_or_nothing_is_written() {
        let config = AbsentBlob {
            digest: Digest::of(b"config"),
            what: "config".into(),
        };
        let lacking = || {
            let mut ms = archive();
            ms[0].absent = vec![config.clone()];
            ms
        };
        let has = |d: &Digest| *d == config.digest;
        let there = plan_import(
            &mut lacking(),
            &mut folder,
            &has,
            &Choices::all(Existing::Keep),
        )
        .unwrap();
        assert_eq!((there.write, there.lacking), (vec![0], vec![]));
        let p = plan_import(
            &mut lacking(),
            &mut folder,
            &|_| false,
            &Choices::all(Existing::Keep),
        )
        .unwrap();
        assert!(p.refused() && p.write.is_empty());
        assert_eq!(p.lacking, [("h/n/a:t".to_string(), vec![config.clone()])]);
        let words = p.lacking_words().unwrap();
        assert!(
            words.contains(&format!("h/n/a:t needs {} (config)", config.digest)),
            "{words}"
        );
        assert!(words.contains("ollama pull h/n/a:t"), "{words}");
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

    #[test]
    fn a_direct_download_is_named_only_by_a_rename_from_its_placeholder_to_another_name() {
        let to = |t: &str| ModelName::parse(t).unwrap();
        let mut choices = Choices::default();
        assert!(!choices.names_placeholder());
        choices.renames.push(Rename {
            from: None,
            to: to("gemma2:2b"),
        });
        assert!(!choices.names_placeholder(), "a rename of every model");
        choices.renames[0].from = Some(to(FLAT_PLACEHOLDER));
        assert!(choices.names_placeholder());
        choices.renames[0].to = to(FLAT_PLACEHOLDER);
        assert!(!choices.names_placeholder(), "renamed to itself");
    }
}
