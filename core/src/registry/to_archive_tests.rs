//! The pull → stage → pack → unstage steps against a staging folder in
//! memory, with a second model already staged that shares a blob.

use super::*;
use crate::digest::Digest;
use crate::name::ModelName;
use crate::source::MemSource;
use crate::testing::manifest;

const SHARED: &[u8] = b"a license both use";

#[derive(Default)]
struct Fake {
    folder: MemSource,
    fail_pull: bool,
    fail_pack: bool,
    packed: Vec<Vec<String>>,
    unstaged: Vec<RemovalPlan>,
    discarded: usize,
}

impl Fake {
    fn put(&mut self, path: &str, config: &[u8], weights: &[u8]) {
        for b in [config, weights, SHARED] {
            self.folder.add_file(
                &format!("models/blobs/{}", Digest::of(b).blob_file_name()),
                b.to_vec(),
                0,
            );
        }
        self.folder.add_file(
            &format!("models/manifests/{path}"),
            manifest(config, &[weights, SHARED]),
            0,
        );
    }
}

impl Staging for Fake {
    type Source = MemSource;
    type PullFailure = String;

    fn source(&self) -> &MemSource {
        &self.folder
    }

    async fn pull(&mut self) -> Result<PullSummary, String> {
        if self.fail_pull {
            return Err("the registry went away".into());
        }
        self.put("127.0.0.1/team/new/v1", b"{\"new\":1}", b"new weights");
        Ok(PullSummary {
            name: ModelName::parse("127.0.0.1/team/new:v1").unwrap(),
            manifest_digest: Digest::of(b"m"),
            blobs: 3,
            already_present: 0,
            total_bytes: 0,
            downloaded_bytes: 0,
        })
    }

    async fn pack(&mut self, plan: PackPlan) -> Result<(), PackEnd> {
        self.packed
            .push(plan.model_names().iter().map(|s| s.to_string()).collect());
        if self.fail_pack {
            return Err(PackEnd::Failed("disk full".into()));
        }
        Ok(())
    }

    async fn unstage(&mut self, plan: &RemovalPlan) {
        self.unstaged.push(plan.clone());
    }

    async fn discard_target(&mut self) {
        self.discarded += 1;
    }
}

fn staged() -> Fake {
    let mut f = Fake::default();
    f.folder.add_dir("models/manifests");
    f.folder.add_dir("models/blobs");
    f.put(
        "registry.ollama.ai/library/old/1",
        b"{\"old\":1}",
        b"old weights",
    );
    f
}

#[test]
fn the_pulled_model_alone_is_packed_then_unstaged_keeping_what_another_staged_model_uses() {
    let mut f = staged();
    let summary = pollster::block_on(pull_to_archive(&mut f)).unwrap();
    assert_eq!(summary.name.display_shortest(), "127.0.0.1/team/new:v1");
    assert_eq!(f.packed, vec![vec!["127.0.0.1/team/new:v1".to_string()]]);
    let removal = &f.unstaged[0];
    assert_eq!(
        removal.models[0].manifest_path,
        "manifests/127.0.0.1/team/new/v1"
    );
    let freed: Vec<&Digest> = removal.blobs.iter().map(|b| &b.digest).collect();
    assert_eq!(freed.len(), 2, "its config and weights");
    assert!(removal
        .kept
        .iter()
        .any(|k| k.digest == Digest::of(SHARED) && k.users == ["old:1"]));
    assert_eq!(f.discarded, 0);
}

#[test]
fn a_failed_pull_discards_the_target_and_packs_nothing() {
    let mut f = staged();
    f.fail_pull = true;
    let e = pollster::block_on(pull_to_archive(&mut f)).unwrap_err();
    assert_eq!(
        e,
        ToArchiveError::Pull("the registry went away".to_string())
    );
    assert_eq!((f.discarded, f.packed.len(), f.unstaged.len()), (1, 0, 0));
}

#[test]
fn a_failed_archive_keeps_the_download_and_says_so() {
    let mut f = staged();
    f.fail_pack = true;
    let e = pollster::block_on(pull_to_archive(&mut f)).unwrap_err();
    assert!(f.unstaged.is_empty(), "the download stays for the next try");
    let words = e.to_string();
    assert!(
        words.contains("writing the archive failed: disk full")
            && words.contains("the download is kept"),
        "{words}"
    );
}
