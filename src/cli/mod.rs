//! The native command line. In: arguments. Out: what each command prints
//! and its exit code (0 done, 1 problems found, 2 could not run).

mod fs_source;
mod gguf;
mod inspect;
mod table;
mod verify;

pub use fs_source::FsSource;

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
    /// every mismatch, missing or wrong-size blob, with a verdict per model.
    /// Exit 0 all good, 1 problems found, 2 could not run.
    Verify {
        /// The models folder or its parent .ollama folder.
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
    }
}
