//! Phase one of `unpack`: blobs, as they stream past. In: the reader's
//! events and the verifier's verdict on each blob. Out: each blob the
//! folder lacks written under a temporary name in `blobs/` and renamed to
//! `sha256-<hex>` only once its digest matched; verified copies of blobs
//! present with the wrong size held back until the import commits; and,
//! on abort, every file this run made removed.

use crate::core::archive::read::{blob_needed, ArchiveVerifier, Event, Placement};
use crate::core::digest::Digest;
use crate::core::store::blob_dir::TEMP_SUFFIX;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// Phase one: blobs, as they stream past.
pub struct BlobWriter {
    dir: PathBuf,
    /// What `blobs/` held before: digest → size.
    present: BTreeMap<Digest, u64>,
    open: Option<(Digest, PathBuf, BufWriter<File>)>,
    /// Final files this run made (new ones).
    pub created: Vec<Digest>,
    /// Verified copies of blobs present with the wrong size: temp names.
    repaired: Vec<(Digest, PathBuf)>,
    pub repairs_done: usize,
    pub skipped: usize,
}

impl BlobWriter {
    pub fn new(dir: PathBuf) -> io::Result<Self> {
        let mut present = BTreeMap::new();
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let digest = name.to_str().and_then(Digest::from_blob_file_name);
            if let (Some(d), Ok(md)) = (digest, entry.metadata()) {
                if md.is_file() {
                    present.insert(d, md.len());
                }
            }
        }
        Ok(Self {
            dir,
            present,
            open: None,
            created: Vec::new(),
            repaired: Vec::new(),
            repairs_done: 0,
            skipped: 0,
        })
    }

    pub fn event(&mut self, ev: &Event<'_>, v: &ArchiveVerifier) -> Result<(), String> {
        match ev {
            Event::Entry(info) => {
                let Some(Placement::Blob { digest }) = v.placement() else {
                    return Ok(());
                };
                let done =
                    self.created.contains(digest) || self.repaired.iter().any(|(d, _)| d == digest);
                if done || !blob_needed(info, self.present.get(digest).copied()) {
                    self.skipped += usize::from(!done);
                    return Ok(());
                }
                let temp = self
                    .dir
                    .join(format!("{}{TEMP_SUFFIX}", digest.blob_file_name()));
                let file = File::create(&temp).map_err(|e| format!("{}: {e}", temp.display()))?;
                self.open = Some((
                    digest.clone(),
                    temp,
                    BufWriter::with_capacity(1 << 20, file),
                ));
            }
            Event::Data(data) => {
                if let Some((_, temp, w)) = &mut self.open {
                    w.write_all(data)
                        .map_err(|e| format!("{}: {e}", temp.display()))?;
                }
            }
            Event::EntryEnd => {
                if let Some((digest, temp, w)) = self.open.take() {
                    let verified = matches!(v.last_blob(), Some((d, true)) if *d == digest);
                    let finished = w
                        .into_inner()
                        .map_err(|e| e.into_error())
                        .and_then(|f| f.sync_all());
                    if let Err(e) = finished {
                        let _ = fs::remove_file(&temp);
                        return Err(format!("{}: {e}", temp.display()));
                    }
                    if !verified {
                        // Not what its name says: never under a final name.
                        let _ = fs::remove_file(&temp);
                        return Ok(());
                    }
                    if self.present.contains_key(&digest) {
                        // A file of the wrong size is there: replaced only
                        // when the import commits (phase two).
                        self.repaired.push((digest, temp));
                        return Ok(());
                    }
                    let dest = self.dir.join(digest.blob_file_name());
                    fs::rename(&temp, &dest).map_err(|e| format!("{}: {e}", dest.display()))?;
                    self.created.push(digest);
                }
            }
            Event::Opened(_) | Event::EntryDamaged(_) | Event::End | Event::Trailing { .. } => {}
        }
        Ok(())
    }

    /// Removes the temporary files and every blob this run created.
    pub fn abort(&mut self) {
        if let Some((_, temp, _)) = self.open.take() {
            let _ = fs::remove_file(temp);
        }
        for (_, temp) in self.repaired.drain(..) {
            let _ = fs::remove_file(temp);
        }
        for d in self.created.drain(..) {
            let _ = fs::remove_file(self.dir.join(d.blob_file_name()));
        }
    }

    /// Puts the verified copies over the wrong-size files they replace,
    /// those an imported model uses; the others are dropped.
    pub fn commit_repairs(&mut self, keep: &BTreeSet<&Digest>) -> Result<(), String> {
        for (digest, temp) in std::mem::take(&mut self.repaired) {
            if !keep.contains(&digest) {
                let _ = fs::remove_file(&temp);
                continue;
            }
            let dest = self.dir.join(digest.blob_file_name());
            fs::rename(&temp, &dest).map_err(|e| format!("{}: {e}", dest.display()))?;
            self.repairs_done += 1;
        }
        Ok(())
    }

    /// Removes the blobs this run created that no imported model uses.
    pub fn remove_unused(&mut self, keep: &BTreeSet<&Digest>) {
        let dir = self.dir.clone();
        self.created.retain(|d| {
            let used = keep.contains(d);
            if !used {
                let _ = fs::remove_file(dir.join(d.blob_file_name()));
            }
            used
        });
    }
}
