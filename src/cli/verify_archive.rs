//! `ollama-pack verify ARCHIVE [--json] [--as NAME]`. In: an archive file
//! (ours, ollamazip, a tar or zip of a models folder; plain, gzip or zstd),
//! or a flat download's folder (named by `--as`). Out: a table
//! of models with a verdict each, the bad blobs and archive problems named
//! (or the [`ArchiveReport`] as JSON); exit 0 intact, 1 problems found (a
//! refused or damaged archive included), 2 could not run (unreadable, or
//! not an archive at all). One streaming
//! pass, 4 MiB at a time, through the core's reader and verifier;
//! [`stream`] is shared with `unpack`.

use super::table;
use crate::core::archive::read::{
    ArchiveReader, ArchiveReport, ArchiveVerifier, Event, ReadError, ReadOptions, VerifiedManifest,
};
use crate::core::format::human_bytes;
use crate::core::name::ModelName;
use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const CHUNK: usize = 4 << 20;

/// What a pass over an archive gave.
pub struct Pass {
    pub report: ArchiveReport,
    pub manifests: Vec<VerifiedManifest>,
    pub input_bytes: u64,
    pub elapsed: Duration,
}

/// Why a pass stopped short of a report.
pub enum Stop {
    /// The file could not be read (exit 2).
    Io(String),
    /// The hook (the unpacker) failed; the message says why.
    Hook(String),
}

/// Streams `path` (an archive file, or a flat download's folder) through
/// the reader and verifier; `hook` sees every event after the verifier did
/// (so it can ask it where the entry lands and whether a blob just
/// verified). `flat_name`: the name a flat download's model gets. A read
/// error ends up in the report.
pub fn stream(
    path: &Path,
    flat_name: Option<&ModelName>,
    hook: &mut dyn FnMut(&Event<'_>, &ArchiveVerifier) -> Result<(), String>,
) -> Result<Pass, Stop> {
    let io_err = |e: io::Error| Stop::Io(format!("{}: {e}", path.display()));
    let mut verifier = ArchiveVerifier::new();
    if let Some(name) = flat_name {
        verifier.name_flat(name.clone());
    }
    let failed: RefCell<Option<String>> = RefCell::new(None);
    let mut on = |ev: Event<'_>| {
        if failed.borrow().is_none() {
            verifier.event(&ev);
            if let Err(e) = hook(&ev, &verifier) {
                *failed.borrow_mut() = Some(e);
            }
        }
    };
    super::interrupt::catch();
    let started = Instant::now();
    let (input_bytes, error) = if path.is_dir() {
        let go_on = &mut |_| {
            if super::interrupt::interrupted() {
                failed
                    .borrow_mut()
                    .get_or_insert_with(|| "interrupted".into());
            }
            failed.borrow().is_none()
        };
        (
            super::flat_folder::feed(path, &mut on, go_on).map_err(io_err)?,
            None,
        )
    } else {
        read_file(path, &mut on, &failed).map_err(io_err)?
    };
    if let Some(e) = failed.into_inner() {
        return Err(Stop::Hook(e));
    }
    let (report, manifests) = verifier.finish(error);
    Ok(Pass {
        report,
        manifests,
        input_bytes,
        elapsed: started.elapsed(),
    })
}

/// Feeds the archive file through the reader: the bytes read, and the
/// reader's error if it stopped on one.
fn read_file(
    path: &Path,
    on: &mut dyn FnMut(Event<'_>),
    failed: &RefCell<Option<String>>,
) -> io::Result<(u64, Option<ReadError>)> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut reader = ArchiveReader::new(ReadOptions {
        input_size: Some(size),
        ..ReadOptions::default()
    });
    let bar = super::progress::bar(size);
    let mut buf = vec![0u8; CHUNK];
    let mut error: Option<ReadError> = None;
    loop {
        let n = super::flat_folder::read_some(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        bar.inc(n as u64);
        if let Err(e) = reader.feed(&buf[..n], on) {
            error = Some(e);
            break;
        }
        if super::interrupt::interrupted() {
            failed
                .borrow_mut()
                .get_or_insert_with(|| "interrupted".into());
        }
        if failed.borrow().is_some() {
            break;
        }
    }
    if error.is_none() && failed.borrow().is_none() {
        error = reader.finish(on).err();
    }
    bar.finish_and_clear();
    Ok((reader.input_bytes(), error))
}

pub fn run(path: &Path, json: bool, flat_name: Option<&ModelName>) -> ExitCode {
    let pass = match stream(path, flat_name, &mut |_, _| Ok(())) {
        Ok(pass) => pass,
        Err(Stop::Io(m) | Stop::Hook(m)) => {
            eprintln!("ollama-pack: {m}");
            return ExitCode::from(2);
        }
    };
    if let Some(e) = pass
        .report
        .error
        .as_ref()
        .filter(|e| e.kind() == "not_an_archive")
    {
        // Nothing to verify, as for a folder that is not a models folder.
        eprintln!("ollama-pack: {}: {e}", path.display());
        return ExitCode::from(2);
    }
    if json {
        match serde_json::to_string_pretty(&pass.report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("ollama-pack: could not write JSON: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", render(path, &pass));
    }
    if pass.report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The report for a person: models, problems, notes, a verdict line.
pub fn render(path: &Path, pass: &Pass) -> String {
    let r = &pass.report;
    let mut out = format!("{}: {}\n", path.display(), r.description);
    if !r.models.is_empty() {
        let rows: Vec<Vec<String>> = r
            .models
            .iter()
            .map(|m| {
                let verdict = if m.ok {
                    "ok".to_string()
                } else {
                    format!("FAILED ({} problem(s))", m.problems.len())
                };
                vec![m.name.clone(), m.id.clone(), human_bytes(m.size), verdict]
            })
            .collect();
        out += &table::render(&["MODEL", "ID", "SIZE", "VERDICT"], &rows);
    }
    let mut problems: Vec<String> = r
        .models
        .iter()
        .flat_map(|m| m.problems.iter().map(move |p| format!("{}: {p}", m.name)))
        .collect();
    problems.extend(r.problems.iter().map(|p| match p.path.as_str() {
        "" => p.message.clone(),
        path => format!("{path}: {}", p.message),
    }));
    if !problems.is_empty() {
        out += "\nProblems:\n";
        for p in &problems {
            out += &format!("  {p}\n");
        }
    }
    if !r.notes.is_empty() {
        out += "\nNotes:\n";
        for n in &r.notes {
            out += &format!("  {}: {}\n", n.path, n.message);
        }
    }
    let secs = pass.elapsed.as_secs_f64().max(1e-9);
    let rate = human_bytes((pass.input_bytes as f64 / secs) as u64);
    let read = format!(
        "Read {} in {secs:.1} s, {rate}/s.",
        human_bytes(pass.input_bytes)
    );
    out += "\n";
    out += &match (&r.error, r.is_intact()) {
        (Some(e), _) => format!("REFUSED: {e}\n{read}\n"),
        (None, true) => format!(
            "intact: {} model(s) ok, {} blobs ({}) verified. {read}\n",
            r.models.len(),
            r.blobs.len(),
            human_bytes(r.totals.blob_bytes)
        ),
        (None, false) => format!(
            "{} PROBLEM(S): {} of {} model(s) ok. {read}\n",
            problems.len().max(1),
            r.totals.models_ok,
            r.models.len()
        ),
    };
    out
}
