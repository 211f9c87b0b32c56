//! The archive writer, push-based and sans-IO. In: a [`PackPlan`], then
//! each blob's bytes in chunks of any size, in plan order. Out: the bytes
//! to append to the archive file after every call, a [`Progress`], and a
//! [`PackError`] the moment a blob is not what its name says (the driver
//! then discards the file: no output ever looks finished when it is not).
//!
//! ```text
//! file.write(w.head()?)                        index, SHA256SUMS, manifests
//! for (i, blob) in plan.blobs():
//!     file.write(w.begin_blob(i)?)             its header
//!     for chunk in read(blob.source_path):
//!         file.write(w.blob_data(chunk)?)      hashed as it passes (no copy)
//!     file.write(w.end_blob()?)                padding, once the digest matches
//! file.write(w.finish()?)                      end blocks (and gzip trailer)
//! ```

use super::format::{INDEX_ENTRY, SUMS_ENTRY};
use super::header;
use super::plan::{PackPlan, PlannedBlob};
use super::sink::Sink;
use crate::digest::{Digest, DigestVerifier, Verdict};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// gzip the archive at this level (0-9); `None`: a plain tar.
    pub gzip: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    #[error(
        "blob {digest} of {} is damaged: its bytes hash to {actual}, not to its name. {}",
        models.join(", "),
        repair(digest, models)
    )]
    BlobMismatch {
        models: Vec<String>,
        digest: Digest,
        actual: Digest,
    },
    #[error(
        "blob {digest} of {} {}, its manifest says {expected}. {}",
        models.join(", "),
        if actual > expected {
            format!("has more than {expected} bytes")
        } else {
            format!("has {actual} bytes")
        },
        repair(digest, models)
    )]
    BlobSize {
        models: Vec<String>,
        digest: Digest,
        expected: u64,
        /// Bytes seen; when more than expected, a lower bound.
        actual: u64,
    },
    #[error("gzip level {0} is not between 0 and 9")]
    GzipLevel(u32),
    #[error("archive writer used out of order: {0}")]
    OutOfOrder(String),
    #[error("the pack already failed; start again")]
    Aborted,
    #[error("gzip failed: {0}")]
    Gzip(String),
}

/// What to do about a damaged blob: Ollama keeps a blob file that is
/// already there, so it must go before a pull can fetch a good copy.
fn repair(digest: &Digest, models: &[String]) -> String {
    let model = match models {
        [one] => one.as_str(),
        _ => "NAME",
    };
    format!(
        "Delete blobs/{} from the models folder, pull the model again (ollama pull {model}), \
         then pack again.",
        digest.blob_file_name()
    )
}

/// How far the writer is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Blob bytes hashed and written (of [`PackPlan::blob_bytes`]).
    pub blob_bytes: u64,
    /// Uncompressed archive bytes produced (of [`PackPlan::archive_size`]).
    pub tar_bytes: u64,
    /// Bytes handed to the driver: compressed ones with gzip.
    pub out_bytes: u64,
    /// Blobs finished and verified.
    pub blobs_done: usize,
    /// Bytes of the blob being written so far.
    pub current_blob_bytes: u64,
}

enum Stage {
    Head,
    Blobs {
        next: usize,
    },
    InBlob {
        index: usize,
        hasher: DigestVerifier,
    },
    Done,
    Failed,
}

pub struct ArchiveWriter {
    plan: PackPlan,
    sink: Sink,
    stage: Stage,
    progress: Progress,
}

impl ArchiveWriter {
    pub fn new(plan: PackPlan, options: WriteOptions) -> Result<Self, PackError> {
        if let Some(level) = options.gzip.filter(|&l| l > 9) {
            return Err(PackError::GzipLevel(level));
        }
        Ok(Self {
            plan,
            sink: Sink::new(options.gzip),
            stage: Stage::Head,
            progress: Progress::default(),
        })
    }

    pub fn plan(&self) -> &PackPlan {
        &self.plan
    }

    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// The blob [`Self::begin_blob`] expects next; `None` before
    /// [`Self::head`], while a blob is open, and once all are in (then
    /// [`Self::finish`]).
    pub fn next_blob(&self) -> Option<usize> {
        match self.stage {
            Stage::Blobs { next } => (next < self.plan.blobs().len()).then_some(next),
            _ => None,
        }
    }

    fn out_of_order(&self, call: &str) -> PackError {
        let state = match self.stage {
            Stage::Head => "head() comes first".to_string(),
            Stage::Blobs { next } if next < self.plan.blobs().len() => {
                format!("begin_blob({next}) comes next")
            }
            Stage::Blobs { .. } => "finish() comes next".to_string(),
            Stage::InBlob { index, .. } => format!("blob {index} is open: blob_data or end_blob"),
            Stage::Done => "the archive is finished".to_string(),
            Stage::Failed => return PackError::Aborted,
        };
        PackError::OutOfOrder(format!("{call} called but {state}"))
    }

    /// Hands tar bytes to the sink and counts both sides.
    fn emit(&mut self, tar: Vec<u8>) -> Result<Vec<u8>, PackError> {
        self.progress.tar_bytes += tar.len() as u64;
        let out = self.sink.push(tar);
        self.counted(out)
    }

    fn counted(&mut self, out: std::io::Result<Vec<u8>>) -> Result<Vec<u8>, PackError> {
        match out {
            Ok(out) => {
                self.progress.out_bytes += out.len() as u64;
                Ok(out)
            }
            Err(e) => Err(self.fail(PackError::Gzip(e.to_string()))),
        }
    }

    fn fail(&mut self, e: PackError) -> PackError {
        self.stage = Stage::Failed;
        e
    }

    /// The index, `SHA256SUMS` and every manifest, with their headers.
    pub fn head(&mut self) -> Result<Vec<u8>, PackError> {
        if !matches!(self.stage, Stage::Head) {
            return Err(self.out_of_order("head()"));
        }
        let mtime = self.plan.head_mtime();
        let mut tar = header::file_entry(INDEX_ENTRY, self.plan.index_bytes(), mtime);
        tar.extend(header::file_entry(
            SUMS_ENTRY,
            self.plan.sums().as_bytes(),
            mtime,
        ));
        for m in self.plan.manifests() {
            tar.extend(header::file_entry(&m.entry, &m.bytes, m.mtime));
        }
        self.stage = Stage::Blobs { next: 0 };
        self.emit(tar)
    }

    /// Opens blob `index` (the one [`Self::next_blob`] names): its header.
    pub fn begin_blob(&mut self, index: usize) -> Result<Vec<u8>, PackError> {
        if !matches!(self.stage, Stage::Blobs { next } if next == index)
            || index >= self.plan.blobs().len()
        {
            return Err(self.out_of_order(&format!("begin_blob({index})")));
        }
        let blob = &self.plan.blobs()[index];
        let tar = header::file_header(&blob.entry, blob.size, blob.mtime);
        self.stage = Stage::InBlob {
            index,
            hasher: DigestVerifier::new(),
        };
        self.progress.current_blob_bytes = 0;
        self.emit(tar)
    }

    fn open_blob(&self) -> Option<&PlannedBlob> {
        match self.stage {
            Stage::InBlob { index, .. } => self.plan.blobs().get(index),
            _ => None,
        }
    }

    /// True without gzip: [`Self::blob_data`] then returns its input
    /// unchanged (the same slice), so a driver may write the chunk it fed.
    pub fn passes_data_through(&self) -> bool {
        matches!(self.sink, Sink::Plain)
    }

    /// The next bytes of the open blob, hashed; more than its size is an
    /// error. Returns what to append to the archive: `chunk` itself
    /// without gzip (no copy), else compressed bytes valid until the next
    /// call.
    pub fn blob_data<'a>(&'a mut self, chunk: &'a [u8]) -> Result<&'a [u8], PackError> {
        let Some(blob) = self.open_blob() else {
            return Err(self.out_of_order("blob_data()"));
        };
        let seen = self.progress.current_blob_bytes + chunk.len() as u64;
        if seen > blob.size {
            let e = PackError::BlobSize {
                models: blob.models.clone(),
                digest: blob.digest.clone(),
                expected: blob.size,
                actual: seen,
            };
            return Err(self.fail(e));
        }
        if let Stage::InBlob { hasher, .. } = &mut self.stage {
            hasher.update(chunk);
        }
        self.progress.current_blob_bytes = seen;
        self.progress.blob_bytes += chunk.len() as u64;
        self.progress.tar_bytes += chunk.len() as u64;
        match self.sink.push_slice(chunk) {
            Ok(out) => {
                self.progress.out_bytes += out.len() as u64;
                Ok(out)
            }
            Err(e) => {
                self.stage = Stage::Failed;
                Err(PackError::Gzip(e.to_string()))
            }
        }
    }

    /// Closes the open blob: checks its size and digest, then pads it.
    pub fn end_blob(&mut self) -> Result<Vec<u8>, PackError> {
        let Some(blob) = self.open_blob().cloned() else {
            return Err(self.out_of_order("end_blob()"));
        };
        let Stage::InBlob { index, hasher } = std::mem::replace(&mut self.stage, Stage::Failed)
        else {
            return Err(PackError::Aborted);
        };
        let error = match hasher.check(&blob.digest, blob.size) {
            Verdict::Ok => None,
            Verdict::WrongSize { actual } => Some(PackError::BlobSize {
                models: blob.models,
                digest: blob.digest,
                expected: blob.size,
                actual,
            }),
            Verdict::Mismatch { actual } => Some(PackError::BlobMismatch {
                models: blob.models,
                digest: blob.digest,
                actual,
            }),
        };
        if let Some(e) = error {
            return Err(e);
        }
        self.stage = Stage::Blobs { next: index + 1 };
        self.progress.blobs_done += 1;
        self.emit(vec![0; header::padding(blob.size)])
    }

    /// Ends the archive once every blob is in: the two zero blocks, then
    /// the rest of the gzip stream.
    pub fn finish(&mut self) -> Result<Vec<u8>, PackError> {
        let all_in = matches!(self.stage, Stage::Blobs { next } if next == self.plan.blobs().len());
        if !all_in {
            return Err(self.out_of_order("finish()"));
        }
        let mut out = self.emit(header::END_OF_ARCHIVE.to_vec())?;
        let tail = self.sink.finish();
        out.extend(self.counted(tail)?);
        self.stage = Stage::Done;
        Ok(out)
    }
}
