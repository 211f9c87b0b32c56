//! What an import writes, decided without I/O. In: the verified manifests
//! of an archive, the bytes of any manifest already at the same place in
//! the target models folder (the driver reads them), and what to do about
//! those that differ. Out: a [`ManifestPlan`]: manifests to write (byte for
//! byte, last, after every blob they need is final), those already there
//! identical, those kept or replaced, conflicts, and models skipped because
//! they did not verify. Blobs: [`blob_needed`] says whether a verified blob
//! must be written, given what the folder holds.

use super::report::VerifiedManifest;
use crate::core::digest::Digest;
use serde::Serialize;

/// What to do when the folder already has a manifest, with other bytes,
/// where the archive puts one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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

/// Plans the manifest writes. `existing(path)` gives the bytes of the file
/// at `manifests/...` in the target folder, if there is one.
pub fn plan_manifests(
    manifests: &[VerifiedManifest],
    existing: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
    policy: Existing,
) -> ManifestPlan {
    let mut plan = ManifestPlan::default();
    for (i, m) in manifests.iter().enumerate() {
        if !m.ok {
            plan.skipped.push(m.name.clone());
            continue;
        }
        match existing(&m.manifest_path) {
            None => plan.write.push(i),
            Some(bytes) if bytes == m.bytes => plan.unchanged.push(m.name.clone()),
            Some(_) => match policy {
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

    fn vm(name: &str, bytes: &[u8], ok: bool) -> VerifiedManifest {
        VerifiedManifest {
            name: name.into(),
            manifest_path: format!("manifests/h/n/{name}/t"),
            bytes: bytes.to_vec(),
            mtime: 0,
            ok,
            blobs: vec![Digest::of(name.as_bytes())],
        }
    }

    #[test]
    fn plans_per_policy() {
        let ms = [
            vm("a", b"A", true),
            vm("b", b"B", true),
            vm("c", b"C", true),
            vm("d", b"D", false),
        ];
        let mut existing = |p: &str| match p {
            "manifests/h/n/b/t" => Some(b"B".to_vec()),
            "manifests/h/n/c/t" => Some(b"other".to_vec()),
            _ => None,
        };
        let refuse = plan_manifests(&ms, &mut existing, Existing::Refuse);
        assert!(refuse.refused());
        assert!(refuse.write.is_empty());
        assert_eq!(refuse.conflicts, ["c"]);
        assert_eq!(refuse.unchanged, ["b"]);
        assert_eq!(refuse.skipped, ["d"]);
        let keep = plan_manifests(&ms, &mut existing, Existing::Keep);
        assert_eq!(keep.write, [0]);
        assert_eq!(keep.kept, ["c"]);
        let replace = plan_manifests(&ms, &mut existing, Existing::Replace);
        assert_eq!(replace.write, [0, 2]);
        assert_eq!(replace.replaced, ["c"]);
        assert_eq!(needed_blobs(&ms, &replace).len(), 2);
        assert!(blob_needed(5, None) && blob_needed(5, Some(4)) && !blob_needed(5, Some(5)));
    }
}
