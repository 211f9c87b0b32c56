//! The pack's data path. In: the core's [`ArchiveWriter`] (which plans,
//! frames and hashes), the models folder and an output. Out: the archive
//! bytes written, blob after blob, with reading, hashing and writing on
//! three threads so they overlap; the [`Progress`] at the end, or the
//! [`Failure`] that stopped it (a bad blob: as soon as its last byte is
//! hashed).

use super::{local, Failure};
use crate::core::archive::{ArchiveWriter, PlannedBlob, Progress};
use indicatif::ProgressBar;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

/// Bytes read from a blob at a time.
const CHUNK: usize = 4 << 20;

/// Buffers of [`CHUNK`] bytes in flight between the three threads.
const BUFFERS: usize = 4;

/// Blob data on its way from the reader thread.
enum Chunk {
    Data(Vec<u8>, usize),
    End,
    Failed(Failure),
}

/// Archive bytes on their way to the writer thread.
enum Out {
    /// A read buffer whose first bytes go out unchanged (no gzip).
    Passed(Vec<u8>, usize),
    Bytes(Vec<u8>),
}

/// Streams the archive into `out` on three threads, so reading, hashing
/// (the core's writer, here) and writing overlap: a reader fills 4 MiB
/// buffers, this thread feeds them to the writer, a writer thread writes
/// them out and hands them back.
pub(super) fn stream(
    root: &Path,
    mut w: ArchiveWriter,
    out: &mut (dyn Write + Send),
) -> Result<Progress, Failure> {
    let bar = crate::cli::progress::bar(w.plan().archive_size());
    let blobs = w.plan().blobs().to_vec();
    let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..BUFFERS {
        let _ = free_tx.send(vec![0u8; CHUNK]);
    }
    let (data_tx, data_rx) = mpsc::sync_channel::<Chunk>(BUFFERS);
    let (out_tx, out_rx) = mpsc::sync_channel::<Out>(BUFFERS);
    let recycle = free_tx.clone();
    let (fed, written) = std::thread::scope(|scope| {
        scope.spawn(|| read_blobs(root, &blobs, free_rx, data_tx));
        let writer = scope.spawn(move || write_out(out, out_rx, recycle));
        let fed = feed(&mut w, data_rx, out_tx, free_tx, &bar);
        (fed, writer.join())
    });
    bar.finish_and_clear();
    let write_err = |e: io::Error| Failure::Run(format!("could not write the archive: {e}"));
    match written {
        Ok(Err(e)) => return Err(write_err(e)),
        Err(_) => return Err(Failure::Run("the writer thread failed".into())),
        Ok(Ok(())) => {}
    }
    fed?;
    Ok(w.progress())
}

/// Reads every blob in plan order into free buffers; stops when the
/// receiving side is gone.
fn read_blobs(
    root: &Path,
    blobs: &[PlannedBlob],
    free: Receiver<Vec<u8>>,
    data: SyncSender<Chunk>,
) {
    let mut spare: Option<Vec<u8>> = None;
    for blob in blobs {
        let path = local(root, &blob.source_path);
        let failed = |e: io::Error| {
            Chunk::Failed(Failure::Run(format!(
                "blob {} of {} could not be read: {}: {e}",
                blob.digest,
                blob.models.join(", "),
                path.display()
            )))
        };
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) => return drop(data.send(failed(e))),
        };
        loop {
            let Some(mut buf) = spare.take().or_else(|| free.recv().ok()) else {
                return;
            };
            let next = match file.read(&mut buf) {
                Ok(0) => {
                    spare = Some(buf);
                    Chunk::End
                }
                Ok(n) => Chunk::Data(buf, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    spare = Some(buf);
                    continue;
                }
                Err(e) => failed(e),
            };
            let end = !matches!(next, Chunk::Data(..));
            if data.send(next).is_err() {
                return;
            }
            if end {
                break;
            }
        }
    }
}

/// Writes what comes until the channel closes; read buffers go back.
fn write_out(
    out: &mut (dyn Write + Send),
    from: Receiver<Out>,
    recycle: Sender<Vec<u8>>,
) -> io::Result<()> {
    for item in from {
        match item {
            Out::Passed(buf, n) => {
                out.write_all(&buf[..n])?;
                let _ = recycle.send(buf);
            }
            Out::Bytes(bytes) => out.write_all(&bytes)?,
        }
    }
    out.flush()
}

/// Drives the core's writer: head, each blob's chunks, end.
fn feed(
    w: &mut ArchiveWriter,
    data: Receiver<Chunk>,
    out: SyncSender<Out>,
    free: Sender<Vec<u8>>,
    bar: &ProgressBar,
) -> Result<(), Failure> {
    // A closed channel means the writer thread stopped: its error wins.
    let stopped = || Failure::Run("the archive could not be written".into());
    let send = |item: Out| out.send(item).map_err(|_| stopped());
    send(Out::Bytes(w.head()?))?;
    let count = w.plan().blobs().len();
    while let Some(i) = w.next_blob() {
        let short = w.plan().blobs()[i].digest.short_id().to_string();
        crate::cli::progress::say(bar, format!("blob {}/{count} {short}", i + 1));
        send(Out::Bytes(w.begin_blob(i)?))?;
        loop {
            if crate::cli::interrupt::interrupted() {
                return Err(Failure::Interrupted);
            }
            match data.recv() {
                Ok(Chunk::Data(buf, n)) => {
                    let passed = w.passes_data_through();
                    let bytes = w.blob_data(&buf[..n])?;
                    if passed {
                        send(Out::Passed(buf, n))?;
                    } else {
                        let bytes = bytes.to_vec();
                        let _ = free.send(buf);
                        send(Out::Bytes(bytes))?;
                    }
                }
                Ok(Chunk::End) => break,
                Ok(Chunk::Failed(f)) => return Err(f),
                Err(_) => return Err(Failure::Run("the blob reader stopped".into())),
            }
            bar.set_position(w.progress().tar_bytes);
        }
        send(Out::Bytes(w.end_blob()?))?;
    }
    send(Out::Bytes(w.finish()?))
}
