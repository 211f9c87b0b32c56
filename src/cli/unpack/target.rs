//! Where `unpack` writes. In: the `-C DIR` the user gave. Out: the models
//! folder (DIR itself, its `models/`, or an empty DIR made into one), with
//! `manifests/` and `blobs/` created if missing; [`Target::undo`] removes
//! the folders this run created when nothing was imported.

use std::fs;
use std::path::{Path, PathBuf};

/// The models folder to import into, and the folders this run created.
pub struct Target {
    pub models: PathBuf,
    created: Vec<PathBuf>,
}

impl Target {
    pub fn resolve(dir: &Path) -> Result<Self, String> {
        let is_dir = |p: &Path| p.is_dir();
        let store = |p: &Path| is_dir(&p.join("manifests")) || is_dir(&p.join("blobs"));
        let models = if store(dir) {
            dir.to_path_buf()
        } else if store(&dir.join("models"))
            || (dir.file_name().is_some_and(|n| n == ".ollama") && is_dir(dir))
        {
            dir.join("models")
        } else if !dir.exists()
            || fs::read_dir(dir)
                .map_err(|e| format!("{}: {e}", dir.display()))?
                .next()
                .is_none()
        {
            dir.to_path_buf()
        } else {
            return Err(format!(
                "{}: not a models folder (no manifests/ or blobs/ in it or in its models/), and \
                 not empty. Give ~/.ollama, ~/.ollama/models, or an empty folder.",
                dir.display()
            ));
        };
        let mut created = Vec::new();
        for d in [
            models.clone(),
            models.join("manifests"),
            models.join("blobs"),
        ] {
            if !d.exists() {
                fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
                created.push(d);
            }
        }
        let models = fs::canonicalize(&models).unwrap_or(models);
        Ok(Self { models, created })
    }

    /// Removes the folders this run created, if they are still empty.
    pub fn undo(&self) {
        for d in self.created.iter().rev() {
            let _ = fs::remove_dir(d);
        }
    }
}
