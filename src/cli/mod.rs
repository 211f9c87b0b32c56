//! The native command line. In: arguments. Out: what each command prints
//! and its exit code (0 done, 1 problems found, 2 could not run).

mod fs_source;
mod gguf;
mod inspect;
mod table;

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
    }
}
