//! The native command line. In: arguments. Out: what each command prints
//! and its exit code (0 done, 1 problems found, 2 could not run). Commands
//! that work on a models folder find it as Ollama does when none is given
//! ([`folder::models_folder`]).

mod cp;
mod flat_folder;
mod folder;
mod fs_source;
mod gguf;
mod inspect;
mod interrupt;
mod pack;
mod progress;
mod prune;
mod pull;
mod push;
mod removal;
mod rm;
mod table;
mod unpack;
mod verify;
mod verify_archive;

pub use crate::core::name::ModelName;
use fs_source::FsSource;

use crate::core::archive::read::{Choices, Existing, Rename};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ollama-pack",
    version,
    about = "Move, check and share Ollama models",
    after_help = "Every command that reads or writes a models folder takes it as -C DIR (or as its first \
argument where shown); without one it uses Ollama's: $OLLAMA_MODELS, else ~/.ollama/models \
(on Linux, else /usr/share/ollama/.ollama/models), and says which. `ollama-pack COMMAND --help` \
tells more."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The models folder, where a command takes it as an option.
#[derive(clap::Args, Debug)]
struct FolderArg {
    /// The models folder (~/.ollama/models) or its parent ~/.ollama. Default:
    /// Ollama's ($OLLAMA_MODELS, else ~/.ollama/models).
    #[arg(
        short = 'C',
        long = "dir",
        visible_alias = "directory",
        value_name = "DIR"
    )]
    dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// List the models of a models folder, with their layers, sharing and problems
    ///
    /// Every model as `ollama list` shows it (name, ID, size, modified) and more:
    /// family, parameters, quantization, what removing it frees, its layers and
    /// who shares them; orphaned, partial, missing and wrong-size blobs, and
    /// unreadable manifests. Exit 0 read, 2 not a models folder.
    Inspect {
        /// The models folder (or ~/.ollama); default: Ollama's.
        #[arg(value_name = "DIR")]
        path: Option<PathBuf>,
        #[command(flatten)]
        folder: FolderArg,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Re-hash the blobs of a models folder, or check an archive
    ///
    /// A folder: every blob (of all models, or the ones named) against its name
    /// and manifest, with every mismatch, missing or wrong-size blob and a verdict
    /// per model. An archive file (.tar, .tar.gz, .tar.zst, .ollamazip, .zip;
    /// ours or another tool's) or a direct download (a folder or tar of
    /// `manifest` and its blobs, named with --as): one pass checks every blob
    /// against its name and its manifests, the index and SHA256SUMS, zip CRCs
    /// and directory, truncation, data after the end and unsafe entries; a
    /// blob the archive lacks (ollama-tool-cli's config) is noted, not damage.
    /// Exit 0 all good, 1 problems found, 2 could not run.
    Verify {
        /// [DIR | ARCHIVE] then the models to verify (as `ollama list` names them,
        /// or as typed: gemma2 means gemma2:latest); all models when none. The
        /// first is a folder or archive when it is one on disk.
        #[arg(value_name = "DIR|ARCHIVE|MODEL")]
        args: Vec<String>,
        #[command(flatten)]
        folder: FolderArg,
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
        /// The name of the model of a direct download (a folder or tar of
        /// `manifest` and its blobs), which carries none.
        #[arg(long = "as", value_name = "NAME", value_parser = parse_name)]
        name: Option<ModelName>,
    },
    /// Pack models into one archive any tar unpacks into a models folder
    ///
    /// `tar -xf FILE -C ~/.ollama/models` imports it: ollama-pack.json and
    /// SHA256SUMS first, the manifests verbatim, then each blob once, every blob
    /// checked against its digest as it is written. A failed or interrupted pack
    /// leaves no file. Exit 0 packed; 1 a damaged, missing or wrong-size blob
    /// stopped it (with --all: the intact models were packed and the others listed
    /// as skipped); 2 could not run.
    Pack {
        /// [DIR] then the models to pack (as `ollama list` names them, or as typed).
        /// The first is the folder when it is one on disk.
        #[arg(value_name = "DIR|MODEL", required_unless_present = "all")]
        args: Vec<String>,
        #[command(flatten)]
        folder: FolderArg,
        /// Pack every model whose blobs are all present; the others are skipped and listed.
        #[arg(long)]
        all: bool,
        /// The archive to write (e.g. models.ollama.tar); `-` streams it to standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        gzip: GzipArg,
    },
    /// Pull a model from a registry into a models folder or an archive
    ///
    /// Docker Registry v2, as Ollama's. Stored as Ollama stores it (blobs already
    /// there skipped, the others fetched in parallel ranged parts and verified, the
    /// manifest last), or straight into an archive (-o) as `pack` writes it. An
    /// interrupted pull continues where it stopped. Password: $OLLAMA_PACK_PASSWORD.
    /// Exit 0 pulled; 1 transfer or verification failed; 2 could not run (bad
    /// reference, not a models folder, no such model, login needed); 130
    /// interrupted.
    Pull(pull::Args),
    /// Push a model of a models folder to a registry
    ///
    /// Blobs the registry has are skipped, the others uploaded in chunks, then the
    /// manifest bytes unchanged (same model ID). Password: $OLLAMA_PACK_PASSWORD.
    /// Exit 0 pushed; 1 transfer failed; 2 could not run (bad reference, not a
    /// models folder, unknown or incomplete model, login needed); 130 interrupted.
    Push(push::Args),
    /// Import the models of an archive into a models folder
    ///
    /// Ours, ollamazip, a tar or zip of ~/.ollama or of a models folder (plain,
    /// gzip or zstd), an ollama-tool-cli backup zip, or a direct download (a
    /// folder or tar of `manifest` and its blobs: name it with --as NAME). A
    /// blob the archive lacks must be in the folder already, else nothing is
    /// imported and the message says what to pull. Verified as it streams: blobs already there are skipped, new ones
    /// are written under a temporary name and made final only once their digest
    /// matches, manifests are written last, byte for byte (so with the same ID),
    /// under the archive's names or those --as gives. A hostile or damaged
    /// archive is refused and the folder left as it was. Exit 0 imported; 1
    /// refused, conflicting, or some models skipped; 2 could not run.
    Unpack {
        /// The archive file.
        archive: PathBuf,
        /// The models folder, its parent .ollama, or an empty folder that becomes a
        /// models folder. Default: Ollama's.
        #[arg(
            short = 'C',
            long = "dir",
            visible_alias = "directory",
            value_name = "DIR"
        )]
        dir: Option<PathBuf>,
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
    /// Remove models, and the blobs no other model uses
    ///
    /// Planned from the folder as it is now: the manifests go first, then the blobs
    /// no remaining manifest references, then empty folders; blobs another model
    /// uses stay (and are named). Stopped part-way, no manifest points at a removed
    /// blob. Exit 0 removed; 1 stopped part-way; 2 could not run; 130 interrupted.
    Rm {
        /// The models, as `ollama list` names them or as typed (gemma2 means gemma2:latest).
        #[arg(required = true)]
        models: Vec<String>,
        #[command(flatten)]
        folder: FolderArg,
        /// Show what would go and what would stay; remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the plan and the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Copy a model under another name (same manifest, same ID), as `ollama cp`
    ///
    /// Names follow Ollama's rules and are compared case-insensitively; a model
    /// that already has the new name is replaced only with --replace. Exit 0
    /// copied, 2 could not.
    Cp {
        /// The model to copy.
        source: String,
        /// Its new name ([host/][namespace/]model[:tag]).
        target: String,
        #[command(flatten)]
        folder: FolderArg,
        /// Replace a model that already has the new name.
        #[arg(long)]
        replace: bool,
    },
    /// Remove blobs no manifest uses (and, with --partials, unfinished downloads)
    ///
    /// As Ollama's own prune does when it starts: files written within the last
    /// hour stay (a pull under way looks like that: blobs come first, the manifest
    /// last). Nothing outside blobs/ is touched. Exit 0 done, 1 a file could not
    /// be removed, 2 could not run.
    Prune {
        #[command(flatten)]
        folder: FolderArg,
        /// Also remove partial downloads (-partial, -partial-N, .tmp files).
        #[arg(long)]
        partials: bool,
        /// Show what would go; remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the plan as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The first positional when it is a path (something on disk, or written
/// as a path: `/…`, `./…`, `~…`, `C:\…`; no model name starts so), and the
/// rest; `-C DIR` makes every positional a model.
fn split_target(args: Vec<String>, folder: &FolderArg) -> (Option<PathBuf>, Vec<String>) {
    if folder.dir.is_some() {
        return (folder.dir.clone(), args);
    }
    let is_path = |s: &str| {
        s.starts_with(['/', '.', '~']) || s.contains('\\') || std::path::Path::new(s).exists()
    };
    match args.split_first() {
        Some((first, rest)) if is_path(first) => (Some(PathBuf::from(first)), rest.to_vec()),
        _ => (None, args),
    }
}

/// The models folder, or exit 2 saying why there is none.
fn resolve(dir: Option<PathBuf>) -> Result<PathBuf, ExitCode> {
    folder::models_folder(dir.as_deref()).map_err(|e| {
        eprintln!("ollama-pack: {e}");
        ExitCode::from(2)
    })
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
    match execute(cli.command) {
        Ok(code) | Err(code) => code,
    }
}

fn execute(command: Command) -> Result<ExitCode, ExitCode> {
    Ok(match command {
        Command::Inspect { path, folder, json } => {
            inspect::run(&resolve(path.or(folder.dir))?, json)
        }
        Command::Verify {
            args,
            folder,
            json,
            orphans,
            quick_state,
            name,
        } => {
            let (dir, models) = split_target(args, &folder);
            let dir = match dir {
                Some(d) if d.is_file() || flat_folder::is_flat(&d) => d,
                other => resolve(other)?,
            };
            verify::run(&verify::Options {
                dir,
                models,
                json,
                orphans,
                quick_state,
                name,
            })
        }
        Command::Pack {
            args,
            folder,
            all,
            output,
            gzip,
        } => {
            let (dir, models) = split_target(args, &folder);
            pack::run(&pack::Options {
                dir: resolve(dir)?,
                output,
                gzip: gzip.gzip,
                models,
                all,
            })
        }
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
            dir: resolve(dir)?,
            choices: Choices {
                renames: rename,
                ..Choices::all(match (replace, keep) {
                    (true, _) => Existing::Replace,
                    (_, true) => Existing::Keep,
                    _ => Existing::Refuse,
                })
            },
        }),
        Command::Rm {
            models,
            folder,
            dry_run,
            json,
        } => rm::run(&resolve(folder.dir)?, &models, dry_run, json),
        Command::Cp {
            source,
            target,
            folder,
            replace,
        } => cp::run(&resolve(folder.dir)?, &source, &target, replace),
        Command::Prune {
            folder,
            partials,
            dry_run,
            json,
        } => prune::run(&resolve(folder.dir)?, partials, dry_run, json),
    })
}

/// A model name as clap parses an argument (`--as NAME`).
pub(crate) fn parse_name(text: &str) -> Result<ModelName, String> {
    ModelName::parse(text).map_err(|e| e.to_string())
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
