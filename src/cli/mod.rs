//! The native command line. In: arguments. Out: what each command prints
//! and its exit code (0 done, 1 problems found, 2 could not run).

mod folder;
mod fs_source;
mod gguf;
mod inspect;
mod interrupt;
mod pack;
mod progress;
mod pull;
mod push;
mod removal;
mod table;
mod unpack;
mod verify;
mod verify_archive;

pub use fs_source::FsSource;

use crate::core::archive::read::{Choices, Existing, Rename};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ollama-pack",
    version,
    about = "Move, check and share Ollama models"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the models of a models folder (~/.ollama, ~/.ollama/models or $OLLAMA_MODELS)
    /// with their layers, sharing and problems.
    Inspect {
        /// The models folder or its parent .ollama folder.
        dir: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Re-hash the blobs of a models folder (all models, or the ones named) and report
    /// every mismatch, missing or wrong-size blob, with a verdict per model. Given an
    /// archive file (.tar, .tar.gz, .tar.zst, .ollamazip; ours or another tool's),
    /// verify it in one pass: every blob against its name and its manifests, index and
    /// SHA256SUMS, truncation, data after the end, unsafe entries.
    /// Exit 0 all good, 1 problems found, 2 could not run.
    Verify {
        /// The models folder or its parent .ollama folder, or an archive file.
        dir: PathBuf,
        /// Models to verify, as `ollama list` names them or as typed
        /// (gemma2:2b; gemma2 means gemma2:latest). All models when none.
        models: Vec<String>,
        /// Print the report as JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also verify blobs that no manifest uses (against their file name).
        #[arg(long)]
        orphans: bool,
        /// Quick check: remember in FILE the blobs verified ok, and skip those
        /// whose size and modification time have not changed since.
        #[arg(long, value_name = "FILE")]
        quick_state: Option<PathBuf>,
    },
    /// Pack models into one archive that any tar unpacks into a models folder
    /// (tar -xf FILE -C ~/.ollama/models): ollama-pack.json and SHA256SUMS first, the
    /// manifests verbatim, then each blob once, every blob checked against its digest as
    /// it is written. A failed or interrupted pack leaves no file.
    /// Exit 0 packed; 1 a damaged, missing or wrong-size blob stopped it (with --all: the
    /// intact models were packed and the others listed as skipped); 2 could not run.
    Pack {
        /// The models folder or its parent .ollama folder (only read, never written).
        dir: PathBuf,
        /// Models to pack, as `ollama list` names them or as typed
        /// (gemma2:2b; gemma2 means gemma2:latest).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        models: Vec<String>,
        /// Pack every model whose blobs are all present; the others are skipped and listed.
        #[arg(long)]
        all: bool,
        /// The archive to write (e.g. models.ollama.tar); `-` streams it to standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        gzip: GzipArg,
    },
    /// Pull a model from a registry (Docker Registry v2, as Ollama's) into a models
    /// folder (-C), stored as Ollama stores it: blobs already present are skipped, the
    /// others fetched in parallel ranged parts and verified, the manifest written last;
    /// or straight into an archive (-o), as `pack` writes it. An interrupted pull
    /// continues where it stopped. Password: $OLLAMA_PACK_PASSWORD.
    /// Exit 0 pulled; 1 transfer or verification failed; 2 could not run (bad
    /// reference, not a models folder, no such model, login needed); 130 interrupted.
    Pull(pull::Args),
    /// Push a model of a models folder to a registry: blobs it has are skipped, the
    /// others uploaded in chunks, then the manifest bytes unchanged (same model ID).
    /// Password: $OLLAMA_PACK_PASSWORD. Exit 0 pushed; 1 transfer failed; 2 could not
    /// run (bad reference, not a models folder, unknown or incomplete model, login
    /// needed); 130 interrupted.
    Push(push::Args),
    /// Import the models of an archive (ours, ollamazip, a tar of ~/.ollama or of a
    /// models folder; plain, gzip or zstd) into a models folder, verified as they stream:
    /// blobs already there are skipped, new ones are written under a temporary name and
    /// made final only once their digest matches, manifests are written last, byte for
    /// byte (so with the same ID), under the archive's names or those --as gives. A
    /// hostile or damaged archive is refused and the folder left as it was.
    /// Exit 0 imported; 1 refused, conflicting, or some models skipped; 2 could not run.
    Unpack {
        /// The archive file.
        archive: PathBuf,
        /// The models folder (~/.ollama/models), its parent .ollama, or an empty folder
        /// that becomes a models folder.
        #[arg(short = 'C', long = "directory", value_name = "DIR")]
        dir: PathBuf,
        /// Overwrite a model that is already there with other content.
        #[arg(long, conflicts_with = "keep")]
        replace: bool,
        /// Keep a model that is already there with other content; import the rest.
        #[arg(long)]
        keep: bool,
        /// Import a model under another name: `--as NEW` when the archive holds one
        /// model, `--as OLD=NEW` (repeatable) to pick which (OLD as `verify` lists it).
        #[arg(long = "as", value_name = "[OLD=]NEW", value_parser = parse_rename)]
        rename: Vec<Rename>,
    },
}

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Inspect { dir, json } => inspect::run(&dir, json),
        Command::Verify {
            dir,
            models,
            json,
            orphans,
            quick_state,
        } => verify::run(&verify::Options {
            dir,
            models,
            json,
            orphans,
            quick_state,
        }),
        Command::Pack {
            dir,
            models,
            all,
            output,
            gzip,
        } => pack::run(&pack::Options {
            dir,
            output,
            gzip: gzip.gzip,
            models,
            all,
        }),
        Command::Pull(args) => pull::run(&args),
        Command::Push(args) => push::run(&args),
        Command::Unpack {
            archive,
            dir,
            replace,
            keep,
            rename,
        } => unpack::run(&unpack::Options {
            archive,
            dir,
            choices: Choices {
                renames: rename,
                ..Choices::all(match (replace, keep) {
                    (true, _) => Existing::Replace,
                    (_, true) => Existing::Keep,
                    _ => Existing::Refuse,
                })
            },
        }),
    }
}

fn parse_rename(text: &str) -> Result<Rename, String> {
    Rename::parse(text).map_err(|e| e.to_string())
}

/// `--gzip[=LEVEL]`, as `pack` and `pull -o` take it.
#[derive(clap::Args, Debug)]
pub struct GzipArg {
    /// Compress the archive with gzip, at LEVEL 0-9 (default 6). Quantized
    /// weights barely compress and gzip is much slower than the disk.
    #[arg(
        long,
        value_name = "LEVEL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "6",
        value_parser = clap::value_parser!(u32).range(0..=9)
    )]
    pub gzip: Option<u32>,
}
