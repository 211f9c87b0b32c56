//! The pull machine's driver in a models folder. In: the machine's actions
//! and the network's events. Out: requests sent (`net`), the partial files,
//! part records, commits and the manifest (`files`), verification (the
//! prefix hashers of `prefix`, or a whole-file hash), the progress bar,
//! and the machine's outcome when it finishes.

use super::common::Failure;
use super::files;
use super::net::{Delivered, Event, Net};
use super::prefix::Prefix;
use crate::core::digest::Digest;
use crate::core::format::human_bytes;
use crate::core::registry::{PartRecord, Pull, PullAction, PullError, PullSummary};
use indicatif::ProgressBar;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub struct Driver {
    pub root: PathBuf,
    blobs: PathBuf,
    net: Net,
    prefix: Prefix,
    /// The part records offered to the machine, for blobs it resumes.
    resumable: BTreeMap<Digest, Vec<PartRecord>>,
    bar: ProgressBar,
}

impl Driver {
    pub fn new(root: PathBuf, stall: Duration) -> Result<Self, Failure> {
        let blobs = root.join("blobs");
        let net = Net::new(blobs.clone(), stall).map_err(Failure::Run)?;
        let prefix = Prefix::new(&blobs, net.sender(), net.buffers());
        Ok(Self {
            root,
            blobs,
            net,
            prefix,
            resumable: BTreeMap::new(),
            bar: crate::cli::progress::bar(0),
        })
    }

    /// Carries out one action; `Ok(Some(outcome))` once the machine is done.
    pub fn act(
        &mut self,
        machine: &mut Pull,
        action: PullAction,
    ) -> Result<Option<Result<PullSummary, PullError>>, String> {
        let blobs = &self.blobs;
        match action {
            PullAction::Send {
                id,
                request,
                delay_ms,
            } => self.net.send(id, request, delay_ms),
            PullAction::Cancel { id } => {
                self.net.cancel(id);
                self.prefix.cancel(id);
            }
            PullAction::CheckLocal { blobs: wanted } => {
                let total: u64 = wanted.iter().map(|(_, s)| s).sum();
                self.bar.set_length(total);
                self.bar.println(format!(
                    "{}: {} blobs, {}",
                    machine.reference(),
                    wanted.len(),
                    human_bytes(total)
                ));
                let local = files::local_blobs(blobs, &wanted);
                self.resumable = local.partial.clone();
                machine.provide_local(local);
            }
            PullAction::OpenPartial {
                digest,
                size,
                resume,
            } => {
                files::open_partial(blobs, &digest, size, resume)?;
                let records = match resume {
                    true => self.resumable.remove(&digest).unwrap_or_default(),
                    false => Vec::new(),
                };
                self.prefix.open(&digest, size, &records);
            }
            PullAction::SavePart { digest, record } => {
                files::save_part(blobs, &digest, &record)?;
                self.prefix.record(&digest, &record);
            }
            PullAction::Verify { digest, .. } => {
                if !self.prefix.verify(&digest) {
                    files::verify(blobs, digest, self.net.sender());
                }
            }
            PullAction::Commit { digest } => {
                self.prefix.forget(&digest);
                files::commit(blobs, &digest)?;
            }
            PullAction::Discard { digest } => {
                self.prefix.forget(&digest);
                files::discard(blobs, &digest)?;
            }
            PullAction::WriteManifest { name, bytes } => {
                files::write_manifest(&self.root, &name, &bytes)?;
            }
            PullAction::Finished(result) => {
                self.stop();
                return Ok(Some(result));
            }
        }
        Ok(None)
    }

    /// Stops every request and hasher.
    pub fn stop(&mut self) {
        self.bar.finish_and_clear();
        self.net.cancel_all();
        self.prefix = Prefix::new(&self.blobs, self.net.sender(), self.net.buffers());
    }

    /// Hands the next event (if one comes within `wait`) to the machine.
    pub fn wait(&mut self, machine: &mut Pull, wait: Duration) {
        if let Some(event) = self.net.next(wait) {
            match self.net.deliver(machine, event) {
                Delivered::Target(id, target) => self.prefix.target(id, &target),
                Delivered::Written(id, bytes) => self.prefix.written(id, bytes),
                Delivered::Other(Event::Verified(digest, Ok((actual, bytes)))) => {
                    machine.on_verified(&digest, actual, bytes)
                }
                Delivered::Other(Event::Verified(_, Err(message)) | Event::Local(message)) => {
                    machine.fail_local(message)
                }
                _ => {}
            }
        }
        let p = machine.progress();
        self.bar.set_position(p.done_bytes);
        crate::cli::progress::say(&self.bar, format!("{}/{} blobs", p.blobs_done, p.blobs));
    }
}
