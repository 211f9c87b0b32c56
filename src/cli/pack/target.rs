//! Where a pack's archive goes. In: `-o FILE` or `-o -`, and the models
//! folder. Out: a checked [`Target`] that runs the pack body over a
//! temporary file beside FILE, renamed into place only on success and
//! deleted otherwise (or over stdout, where a failure cuts the stream).

use super::Failure;
use std::fs::{self, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

const CUT_SHORT: &str = "The archive on standard output is cut short: discard it.";

const NOTHING_WRITTEN: &str = "No archive was written.";

/// Where the archive goes.
pub(super) enum Target {
    Stdout,
    File { path: PathBuf, temp: PathBuf },
}

impl Target {
    /// Refuses a terminal as stdout, a folder, a missing folder, and any
    /// place inside the models folder.
    pub(super) fn check(output: &Path, models_root: &Path) -> Result<Self, Failure> {
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

    pub(super) fn describe(&self) -> String {
        match self {
            Self::Stdout => "standard output".into(),
            Self::File { path, .. } => path.display().to_string(),
        }
    }

    /// Runs `body` over the output; a file is renamed into place only on
    /// success and deleted otherwise.
    pub(super) fn write<T>(
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
