//! The pull machine's file side: which blobs are already here (and which
//! downloads can resume), verification verdicts, commits, and the manifest
//! written once every blob is in place.

use super::*;

impl Pull {
    /// The answer to `CheckLocal`: plans every blob that is not complete.
    pub fn provide_local(&mut self, local: LocalBlobs) {
        if self.phase != Phase::AwaitLocal {
            return;
        }
        let Some((_, manifest)) = &self.manifest else {
            return;
        };
        let mut seen = std::collections::BTreeSet::new();
        let wanted: Vec<(Digest, u64)> = manifest
            .blobs()
            .filter(|l| seen.insert(l.digest.clone()))
            .map(|l| (l.digest.clone(), l.size))
            .collect();
        let mut partial = local.partial;
        for (digest, size) in wanted {
            let present = local.complete.get(&digest) == Some(&size);
            let records = partial.remove(&digest).and_then(|r| resume_parts(r, size));
            let mut job = BlobJob {
                digest: digest.clone(),
                size,
                state: BlobState::Present,
                parts: Vec::new(),
                runs: Vec::new(),
                whole: false,
                whole_run: Run::default(),
                mismatches: 0,
            };
            if !present {
                job.state = BlobState::Downloading;
                let resume = records.is_some();
                job.parts = records.unwrap_or_else(|| self.opts.plan_parts(size));
                job.runs = vec![Run::default(); job.parts.len()];
                self.open(&job, resume);
            }
            self.blobs.push(job);
        }
        self.phase = Phase::Blobs;
        for b in 0..self.blobs.len() {
            self.check_blob_done(b);
        }
        self.maybe_finish();
        self.fill();
    }

    /// The driver hashed the partial file of `digest`: `bytes` long,
    /// digest `actual`.
    pub fn on_verified(&mut self, digest: &Digest, actual: Digest, bytes: u64) {
        let Some(b) = self
            .blobs
            .iter()
            .position(|j| &j.digest == digest && j.state == BlobState::Verifying)
        else {
            return;
        };
        if &actual == digest && bytes == self.blobs[b].size {
            self.blobs[b].state = BlobState::Committed;
            self.push(PullAction::Commit {
                digest: digest.clone(),
            });
            self.maybe_finish();
            return;
        }
        self.push(PullAction::Discard {
            digest: digest.clone(),
        });
        let job = &mut self.blobs[b];
        job.mismatches += 1;
        if job.mismatches >= 2 {
            let err = PullError::DigestMismatch {
                digest: digest.clone(),
                actual,
            };
            return self.fail(err);
        }
        job.parts = self.opts.plan_parts(job.size);
        job.runs = vec![Run::default(); job.parts.len()];
        job.whole_run = Run::default();
        job.state = BlobState::Downloading;
        let job = &self.blobs[b];
        let (digest, size, parts) = (job.digest.clone(), job.size, job.parts.clone());
        self.push(PullAction::OpenPartial {
            digest: digest.clone(),
            size,
            resume: false,
        });
        for record in parts {
            self.push(PullAction::SavePart {
                digest: digest.clone(),
                record,
            });
        }
        self.check_blob_done(b);
        self.fill();
    }

    pub(super) fn open(&mut self, job: &BlobJob, resume: bool) {
        self.push(PullAction::OpenPartial {
            digest: job.digest.clone(),
            size: job.size,
            resume,
        });
        if !resume {
            for record in &job.parts {
                self.push(PullAction::SavePart {
                    digest: job.digest.clone(),
                    record: *record,
                });
            }
        }
    }

    pub(super) fn maybe_finish(&mut self) {
        let done = self
            .blobs
            .iter()
            .all(|j| matches!(j.state, BlobState::Present | BlobState::Committed));
        if self.phase != Phase::Blobs || !done {
            return;
        }
        let Some((bytes, _)) = self.manifest.clone() else {
            return;
        };
        let name = self.stored_name();
        let summary = PullSummary {
            name: name.clone(),
            manifest_digest: Digest::of(&bytes),
            blobs: self.blobs.len(),
            already_present: self
                .blobs
                .iter()
                .filter(|j| j.state == BlobState::Present)
                .count(),
            total_bytes: self.blobs.iter().map(|j| j.size).sum(),
            downloaded_bytes: self.downloaded,
        };
        self.push(PullAction::WriteManifest { name, bytes });
        self.phase = Phase::Done;
        self.push(PullAction::Finished(Ok(summary)));
    }

    pub(super) fn check_blob_done(&mut self, b: usize) {
        let job = &self.blobs[b];
        let idle = job.runs.iter().all(|r| r.flight.is_none()) && job.whole_run.flight.is_none();
        if job.state == BlobState::Downloading && idle && job.parts.iter().all(|p| p.is_complete())
        {
            let (digest, size) = (job.digest.clone(), job.size);
            self.blobs[b].state = BlobState::Verifying;
            self.push(PullAction::Verify { digest, size });
        }
    }
}
