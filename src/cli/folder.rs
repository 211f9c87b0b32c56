//! Where a command reads or writes. In: the folder a user typed. Out: its
//! absolute path, for reading and for printing. `std::path::absolute`, not
//! `canonicalize`: the same on every OS (on Windows `canonicalize` gives
//! `\\?\C:\…`, which users do not type and many tools do not take). And
//! the local path of a store path (`/`-separated, relative).

use std::path::{Path, PathBuf};

/// `dir` made absolute (as typed when that fails).
pub fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// The local path of `rel` (`/`-separated, relative to `root`).
pub fn local(root: &Path, rel: &str) -> PathBuf {
    rel.split('/')
        .filter(|p| !p.is_empty())
        .fold(root.to_path_buf(), |p, part| p.join(part))
}

/// Where Ollama keeps its models when nothing says otherwise: why, and
/// the folder. `$OLLAMA_MODELS`; else `~/.ollama/models`; on Linux, when
/// that is absent, the service install's `/usr/share/ollama/.ollama/models`
/// if it exists. `home` and `env` are the process's (tests give others).
pub fn ollama_default(
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<PathBuf>,
) -> Result<(PathBuf, &'static str), String> {
    if let Some(dir) = env("OLLAMA_MODELS").filter(|d| !d.is_empty()) {
        return Ok((PathBuf::from(dir), "from $OLLAMA_MODELS"));
    }
    let user = home.map(|h| h.join(".ollama").join("models"));
    if let Some(dir) = user.as_ref().filter(|d| d.is_dir()) {
        return Ok((dir.clone(), "~/.ollama/models, where Ollama keeps them"));
    }
    let service = Path::new("/usr/share/ollama/.ollama/models");
    if cfg!(target_os = "linux") && service.is_dir() {
        return Ok((service.to_path_buf(), "the Linux service install's folder"));
    }
    Err(format!(
        "no models folder given, and none where Ollama keeps them ($OLLAMA_MODELS is not set{}): give one with -C DIR",
        user.map_or(String::new(), |d| format!(", {} does not exist", d.display()))
    ))
}

/// The models folder a command works on: `given` (made absolute), else
/// Ollama's, said on stderr so the user knows which.
pub fn models_folder(given: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(dir) = given {
        return Ok(absolute(dir));
    }
    let home =
        std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" }).map(PathBuf::from);
    let (dir, why) = ollama_default(&|k| std::env::var(k).ok(), home)?;
    eprintln!(
        "ollama-pack: using the models folder {} ({why})",
        dir.display()
    );
    Ok(absolute(&dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("ollama-pack-folder-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn ollama_models_wins_then_the_home_folder() {
        let home = scratch("home");
        std::fs::create_dir_all(home.join(".ollama/models")).unwrap();
        let set = |k: &str| (k == "OLLAMA_MODELS").then(|| "/srv/models".to_string());
        assert_eq!(
            ollama_default(&set, Some(home.clone())).unwrap().0,
            PathBuf::from("/srv/models")
        );
        let unset = |_: &str| None;
        let empty = |_: &str| Some(String::new());
        for env in [&unset as &dyn Fn(&str) -> Option<String>, &empty] {
            assert_eq!(
                ollama_default(env, Some(home.clone())).unwrap().0,
                home.join(".ollama/models")
            );
        }
        let _ = std::fs::remove_dir_all(&home);
    }

    #[test]
    fn no_folder_says_what_was_looked_for() {
        let home = scratch("none");
        match ollama_default(&|_| None, Some(home.clone())) {
            Err(e) => assert!(
                e.contains("$OLLAMA_MODELS is not set") && e.contains("-C DIR"),
                "{e}"
            ),
            // A machine with a service install finds that one.
            Ok((dir, why)) => assert!(
                dir == Path::new("/usr/share/ollama/.ollama/models") && why.contains("service")
            ),
        }
        let _ = std::fs::remove_dir_all(&home);
    }
}
