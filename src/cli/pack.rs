//! `ollama-pack pack DIR -o FILE [--gzip[=LEVEL]] (MODEL... | --all)`. In:
//! a models folder, the models to pack and where to write. Out: the archive
//! (DESIGN.md section 5), written to a temporary file beside FILE and
//! renamed to FILE only when every blob matched its digest; on any failure
//! or Ctrl-C the temporary file is deleted and no FILE appears. `-o -`
//! streams to stdout (a failure can then only cut the stream short). Exit 0
//! packed; 1 the data stopped it (a damaged, missing or wrong-size blob; with
//! --all: the intact models were packed, the others skipped and listed); 2
//! could not run; 130 interrupted. The core plans and writes; this driver
//! reads 4 MiB at a time and moves the bytes.

use super::FsSource;
use crate::core::archive::{
    choose, read_manifests, ArchiveWriter, Choice, PackError, PackPlan, PackPlanError, PlannedBlob,
    Progress, WriteOptions,
};
use crate::core::format::human_bytes;
use crate::core::source::{join, StoreSource};
use crate::core::store::blob_dir::BlobDir;
use crate::core::store::scan_store;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::time::{Duration, Instant};

/// Bytes read from a blob at a time.
const CHUNK: usize = 4 << 20;

const CUT_SHORT: &str = "The archive on standard output is cut short: discard it.";

const NOTHING_WRITTEN: &str = "No archive was written.";

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

pub struct Options {
    pub dir: PathBuf,
    pub output: PathBuf,
    pub gzip: Option<u32>,
    pub models: Vec<String>,
    pub all: bool,
}

/// Why a pack did not finish, and its exit code.
enum Failure {
    /// The data: a damaged, missing or wrong-size blob (exit 1).
    Data(String),
    /// Anything else: arguments, folders, I/O (exit 2).
    Run(String),
    Interrupted,
}

impl Failure {
    fn with_note(self, note: &str) -> Self {
        match self {
            Self::Data(m) => Self::Data(format!("{m}\n{note}")),
            Self::Run(m) => Self::Run(format!("{m}\n{note}")),
            Self::Interrupted => Self::Interrupted,
        }
    }
}

impl From<PackError> for Failure {
    fn from(e: PackError) -> Self {
        match e {
            PackError::BlobMismatch { .. } | PackError::BlobSize { .. } => {
                Self::Data(e.to_string())
            }
            _ => Self::Run(e.to_string()),
        }
    }
}

pub fn run(opts: &Options) -> ExitCode {
    match execute(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => ExitCode::from(code),
    }
}

/// Packs, says what went wrong on stderr; `Err` holds the exit code.
pub fn execute(opts: &Options) -> Result<(), u8> {
    match pack(opts) {
        Ok(skipped) if skipped > 0 => Err(1),
        Ok(_) => Ok(()),
        Err(failure) => {
            let (message, code) = match failure {
                Failure::Data(m) => (m, 1),
                Failure::Run(m) => (m, 2),
                Failure::Interrupted => ("interrupted; no archive was finished".to_string(), 130),
            };
            eprintln!("ollama-pack: {message}");
            Err(code)
        }
    }
}

/// Why `output` cannot receive an archive of the models folder
/// `models_root` (`-` is standard output), before anything is read.
pub fn check_output(output: &Path, models_root: &Path) -> Result<(), String> {
    match Target::check(output, models_root) {
        Ok(_) => Ok(()),
        Err(Failure::Data(m) | Failure::Run(m)) => Err(m),
        Err(Failure::Interrupted) => Err("interrupted".into()),
    }
}

/// Packs; returns how many models or manifests `--all` skipped.
fn pack(opts: &Options) -> Result<usize, Failure> {
    let dir = &opts.dir;
    if dir.is_file() {
        return Err(Failure::Run(format!(
            "{}: is a file; give a models folder (~/.ollama or ~/.ollama/models)",
            dir.display()
        )));
    }
    let root = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let source = FsSource::new(&root);
    let report = pollster::block_on(scan_store(&source, &root.to_string_lossy()))
        .map_err(|e| Failure::Run(format!("{}: {e}", dir.display())))?;
    let choice = if opts.all {
        Choice::Intact
    } else {
        Choice::Named(opts.models.clone())
    };
    let chosen = choose(&report, &choice).map_err(plan_failure)?;
    let manifests = pollster::block_on(read_manifests(&source, &chosen))
        .map_err(|e| Failure::Run(format!("a manifest could not be read: {e}")))?;
    let listing = pollster::block_on(source.list(&join(&report.models_dir, "blobs")))
        .map(BlobDir::from_listing)
        .map_err(|e| Failure::Run(format!("the blobs folder could not be listed: {e}")))?;
    let plan = PackPlan::new(&report, &chosen, &manifests)
        .map_err(plan_failure)?
        .with_blob_times(&listing);
    let models_root = local(&root, &report.models_dir);
    let target = Target::check(&opts.output, &models_root)?;

    for s in plan.skipped() {
        eprintln!("ollama-pack: skipped {}: {}", s.what, s.reason);
    }
    eprintln!(
        "Packing {} model(s) ({}): {} blobs, {}; archive {}{}",
        plan.model_names().len(),
        plan.model_names().join(", "),
        plan.blobs().len(),
        human_bytes(plan.blob_bytes()),
        human_bytes(plan.archive_size()),
        if opts.gzip.is_some() {
            " before gzip"
        } else {
            ""
        },
    );
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let skipped = plan.skipped().len();
    let started = Instant::now();
    let writer = ArchiveWriter::new(plan, WriteOptions { gzip: opts.gzip })?;
    let progress = target.write(|out| stream(&root, writer, out))?;
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    eprintln!(
        "Packed into {}: {} in {secs:.1} s, {}/s{}",
        target.describe(),
        human_bytes(progress.out_bytes),
        human_bytes((progress.blob_bytes as f64 / secs) as u64),
        if skipped > 0 {
            format!("; {skipped} skipped (see above)")
        } else {
            String::new()
        },
    );
    Ok(skipped)
}

fn plan_failure(e: PackPlanError) -> Failure {
    match e {
        PackPlanError::Unpackable(_) | PackPlanError::NothingIntact { .. } => {
            Failure::Data(format!("{e}\nNo archive was written."))
        }
        _ => Failure::Run(e.to_string()),
    }
}

/// The local path of a `/`-separated path relative to the picked folder.
fn local(root: &Path, rel: &str) -> PathBuf {
    rel.split('/')
        .filter(|p| !p.is_empty())
        .fold(root.to_path_buf(), |p, part| p.join(part))
}

/// Where the archive goes.
enum Target {
    Stdout,
    File { path: PathBuf, temp: PathBuf },
}

impl Target {
    /// Refuses a terminal as stdout, a folder, a missing folder, and any
    /// place inside the models folder.
    fn check(output: &Path, models_root: &Path) -> Result<Self, Failure> {
        if output == Path::new("-") {
            if io::stdout().is_terminal() {
                return Err(Failure::Run(
                    "will not write an archive to a terminal: redirect stdout or give -o FILE"
                        .into(),
                ));
            }
            return Ok(Self::Stdout);
        }
        let name = output
            .file_name()
            .filter(|_| !output.is_dir())
            .ok_or_else(|| Failure::Run(format!("{}: not a file name", output.display())))?;
        let parent = match output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let parent = fs::canonicalize(parent)
            .map_err(|e| Failure::Run(format!("{}: {e}", parent.display())))?;
        let models_root = fs::canonicalize(models_root).unwrap_or(models_root.to_path_buf());
        if parent.starts_with(&models_root) {
            return Err(Failure::Run(format!(
                "{}: is inside the models folder {}; write the archive somewhere else",
                output.display(),
                models_root.display()
            )));
        }
        let mut temp = name.to_owned();
        temp.push(format!(".{}.partial", std::process::id()));
        Ok(Self::File {
            path: parent.join(name),
            temp: parent.join(temp),
        })
    }

    fn describe(&self) -> String {
        match self {
            Self::Stdout => "standard output".into(),
            Self::File { path, .. } => path.display().to_string(),
        }
    }

    /// Runs `body` over the output; a file is renamed into place only on
    /// success and deleted otherwise.
    fn write<T>(
        &self,
        body: impl FnOnce(&mut (dyn Write + Send)) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        match self {
            Self::Stdout => body(&mut io::stdout()).map_err(|f| f.with_note(CUT_SHORT)),
            Self::File { path, temp } => {
                let created = OpenOptions::new().write(true).create_new(true).open(temp);
                let mut file =
                    created.map_err(|e| Failure::Run(format!("{}: {e}", temp.display())))?;
                // No fsync (as tar does not): a torn file after a power cut
                // fails the reader's checks against SHA256SUMS.
                let done = body(&mut file).and_then(|value| {
                    fs::rename(temp, path)
                        .map_err(|e| Failure::Run(format!("{}: {e}", path.display())))?;
                    Ok(value)
                });
                if done.is_err() {
                    drop(file);
                    let _ = fs::remove_file(temp);
                }
                done.map_err(|f| f.with_note(NOTHING_WRITTEN))
            }
        }
    }
}

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
fn stream(
    root: &Path,
    mut w: ArchiveWriter,
    out: &mut (dyn Write + Send),
) -> Result<Progress, Failure> {
    let bar = progress_bar(w.plan().archive_size());
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
        bar.set_message(format!("blob {}/{count} {short}", i + 1));
        send(Out::Bytes(w.begin_blob(i)?))?;
        loop {
            if INTERRUPTED.load(Ordering::SeqCst) {
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

/// Bytes done, MB/s and time left on a terminal; nothing when stderr is
/// not one (piped, redirected, CI).
fn progress_bar(total: u64) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(
        "{bar:30} {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec}, {eta} left, {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
