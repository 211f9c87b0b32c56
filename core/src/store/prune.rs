//! Cleaning up `blobs/`, decided as data before anything is deleted; the
//! same plan for the app and the CLI's `prune`. In: a fresh [`StoreReport`]
//! and `blobs/` listing of the folder, the time now, and whether partial
//! downloads go too. Out: a [`PrunePlan`] — the orphaned blobs that go (no
//! manifest references them), the partial downloads that go, and those
//! kept because they were written within the last hour: Ollama writes
//! blobs first and the manifest last, so a pull under way looks like
//! orphans and partials for a while (Ollama's own prune spares them the
//! same way). Orphans are all kept when some references cannot be known
//! (an unreadable manifest, manifests the driver cannot see). Nothing
//! outside `blobs/` is ever planned.

use super::blob_dir::{BlobDir, BlobFile};
use super::removal::{withheld, BlobsWithheld};
use super::report::StoreReport;
use serde::Serialize;

/// A file younger than this may belong to a pull under way: it is kept.
pub const KEEP_RECENT_MS: i64 = 60 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PruneFile {
    /// Its name in `blobs/`.
    pub name: String,
    pub size: u64,
    pub modified_ms: Option<i64>,
    /// A partial download (else a blob no manifest uses).
    pub partial: bool,
}

impl PruneFile {
    fn of(name: String, file: &BlobFile, partial: bool) -> Self {
        Self {
            name,
            size: file.size,
            modified_ms: file.modified_ms,
            partial,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrunePlan {
    /// Orphaned blobs to delete.
    pub orphans: Vec<PruneFile>,
    /// Partial downloads to delete (with `partials` only).
    pub partials: Vec<PruneFile>,
    /// Kept: written within the last hour (or of no known age).
    pub recent: Vec<PruneFile>,
    /// Set when no orphan may go; partials still may.
    pub withheld: Option<BlobsWithheld>,
}

impl PrunePlan {
    pub fn freed_bytes(&self) -> u64 {
        self.orphans
            .iter()
            .chain(&self.partials)
            .map(|f| f.size)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.orphans.is_empty() && self.partials.is_empty()
    }

    /// The plan for partial downloads alone (what holds orphans back does
    /// not concern them).
    pub fn partials_only(mut self) -> Self {
        self.orphans.clear();
        self.recent.retain(|f| f.partial);
        self.withheld = None;
        self
    }
}

/// Plans the clean-up of `listing` (the folder's `blobs/`, listed with
/// `report`) at `now_ms`.
pub fn plan_prune(
    report: &StoreReport,
    listing: &BlobDir,
    now_ms: i64,
    partials: bool,
) -> PrunePlan {
    let referenced: std::collections::BTreeSet<_> = report
        .models
        .iter()
        .flat_map(|m| std::iter::once(&m.config_blob).chain(&m.layers))
        .map(|l| &l.digest)
        .collect();
    let old = |modified: Option<i64>| modified.is_some_and(|t| now_ms - t >= KEEP_RECENT_MS);
    let mut plan = PrunePlan {
        orphans: Vec::new(),
        partials: Vec::new(),
        recent: Vec::new(),
        withheld: withheld(report),
    };
    for (digest, file) in &listing.blobs {
        if referenced.contains(digest) || plan.withheld.is_some() {
            continue;
        }
        let f = PruneFile::of(digest.blob_file_name(), file, false);
        let into = if old(f.modified_ms) {
            &mut plan.orphans
        } else {
            &mut plan.recent
        };
        into.push(f);
    }
    if partials {
        for (name, file) in &listing.partial {
            let f = PruneFile::of(name.clone(), file, true);
            let into = if old(f.modified_ms) {
                &mut plan.partials
            } else {
                &mut plan.recent
            };
            into.push(f);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Digest;
    use crate::source::{MemSource, StoreSource};
    use crate::store::report::ManifestListing;
    use crate::store::scan_store;

    const HOUR: i64 = KEEP_RECENT_MS;
    const NOW: i64 = 1_800_000_000_000;

    fn store() -> MemSource {
        let config = br#"{"model_family":"a"}"#;
        let d = Digest::of(config);
        let manifest = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{d}","size":{}}},"layers":[]}}"#,
            config.len()
        );
        let mut s = MemSource::new();
        s.add_file(
            "models/manifests/registry.ollama.ai/library/a/1",
            manifest.into_bytes(),
            NOW - 5 * HOUR,
        );
        s.add_file(
            &format!("models/blobs/{}", d.blob_file_name()),
            config.to_vec(),
            NOW - 5 * HOUR,
        );
        for (what, age) in [(&b"old orphan"[..], 2 * HOUR), (b"new orphan", HOUR / 2)] {
            s.add_file(
                &format!("models/blobs/{}", Digest::of(what).blob_file_name()),
                what.to_vec(),
                NOW - age,
            );
        }
        let x = Digest::of(b"x").blob_file_name();
        s.add_file(
            &format!("models/blobs/{x}-partial"),
            vec![0; 9],
            NOW - 3 * HOUR,
        );
        s.add_file(
            &format!("models/blobs/{x}-partial-0"),
            b"{}".to_vec(),
            NOW - 10,
        );
        s.add_file("models/blobs/not-a-blob.txt", b"?".to_vec(), NOW - 9 * HOUR);
        s
    }

    fn plan(s: &MemSource, partials: bool, hide: bool) -> PrunePlan {
        let mut report = pollster::block_on(scan_store(s, "x")).unwrap();
        if hide {
            report.listing = ManifestListing::MayHideColonNames;
        }
        let listing = BlobDir::from_listing(pollster::block_on(s.list("models/blobs")).unwrap());
        plan_prune(&report, &listing, NOW, partials)
    }

    fn names(files: &[PruneFile]) -> Vec<String> {
        files.iter().map(|f| f.name.clone()).collect()
    }

    #[test]
    fn orphans_older_than_an_hour_go_newer_ones_stay() {
        let p = plan(&store(), false, false);
        assert_eq!(
            names(&p.orphans),
            vec![Digest::of(b"old orphan").blob_file_name()]
        );
        assert_eq!(
            names(&p.recent),
            vec![Digest::of(b"new orphan").blob_file_name()]
        );
        assert!(p.partials.is_empty(), "partials only when asked");
        assert_eq!(p.freed_bytes(), 10);
    }

    #[test]
    fn partials_by_the_same_rule_and_nothing_but_blob_files() {
        let p = plan(&store(), true, false);
        let x = Digest::of(b"x").blob_file_name();
        assert_eq!(names(&p.partials), vec![format!("{x}-partial")]);
        assert!(
            names(&p.recent).contains(&format!("{x}-partial-0")),
            "a part record written just now"
        );
        let all: Vec<String> = names(&p.orphans)
            .into_iter()
            .chain(names(&p.partials))
            .collect();
        assert!(
            !all.iter().any(|n| n.contains("not-a-blob")),
            "strays are not ours to delete"
        );
    }

    #[test]
    fn hidden_manifests_keep_every_orphan_but_not_the_partials() {
        let p = plan(&store(), true, true);
        assert!(p.orphans.is_empty());
        assert_eq!(p.withheld, Some(BlobsWithheld::HiddenManifests));
        assert_eq!(p.partials.len(), 1);
    }

    #[test]
    fn partials_alone_leave_out_the_orphans_and_what_holds_them_back() {
        let full = plan(&store(), true, false);
        assert!(!full.orphans.is_empty());
        assert!(
            full.recent.iter().any(|f| !f.partial),
            "the store has a young orphan"
        );
        let p = plan(&store(), true, false).partials_only();
        assert!(p.orphans.is_empty() && p.withheld.is_none());
        assert_eq!(p.partials, full.partials);
        assert!(!p.recent.is_empty() && p.recent.iter().all(|f| f.partial));
        let hidden = plan(&store(), true, true).partials_only();
        assert_eq!(hidden.withheld, None);
        assert_eq!(hidden.partials.len(), 1);
    }

    #[test]
    fn a_file_of_unknown_age_is_kept() {
        let report = pollster::block_on(scan_store(&store(), "x")).unwrap();
        let mut listing =
            BlobDir::from_listing(pollster::block_on(store().list("models/blobs")).unwrap());
        for f in listing.blobs.values_mut() {
            f.modified_ms = None;
        }
        assert!(plan_prune(&report, &listing, NOW, false).orphans.is_empty());
    }
}
