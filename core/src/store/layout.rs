//! Where the models are. In: the listing of the folder the user picked (and
//! of its `models/` child). Out: the relative path of the models folder
//! (`""` or `"models"`), or a [`LayoutError`] saying what was expected and
//! what was found.

use crate::source::{join, Entry, EntryKind, SourceError, StoreSource};

pub const MANIFESTS: &str = "manifests";
pub const BLOBS: &str = "blobs";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error(
        "This is not an Ollama models folder: expected a folder holding `manifests` and `blobs` \
         (that is ~/.ollama/models), or its parent ~/.ollama. {found}"
    )]
    NotAModelsFolder { found: String },
    #[error("The folder could not be read: {0}. Check that the browser (or you) may read it.")]
    Unreadable(#[from] SourceError),
}

fn has_dir(entries: &[Entry], name: &str) -> bool {
    entries
        .iter()
        .any(|e| e.kind == EntryKind::Dir && e.name == name)
}

fn describe_found(entries: &[Entry]) -> String {
    let (has_m, has_b) = (has_dir(entries, MANIFESTS), has_dir(entries, BLOBS));
    if has_m != has_b {
        let missing = if has_m { BLOBS } else { MANIFESTS };
        return format!(
            "It has `{}` but no `{missing}` folder.",
            if has_m { MANIFESTS } else { BLOBS }
        );
    }
    if entries.is_empty() {
        return "The folder is empty.".into();
    }
    let mut names: Vec<String> = entries
        .iter()
        .map(|e| match e.kind {
            EntryKind::Dir => format!("{}/", e.name),
            _ => e.name.clone(),
        })
        .collect();
    names.sort();
    let more = names.len().saturating_sub(8);
    names.truncate(8);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("It holds: {}{tail}.", names.join(", "))
}

/// Finds the models folder: the picked folder itself, or its `models/` child.
pub async fn find_models_root<S: StoreSource>(source: &S) -> Result<String, LayoutError> {
    let top = source.list("").await?;
    if has_dir(&top, MANIFESTS) && has_dir(&top, BLOBS) {
        return Ok(String::new());
    }
    if has_dir(&top, "models") {
        let inner = source.list("models").await?;
        if has_dir(&inner, MANIFESTS) && has_dir(&inner, BLOBS) {
            return Ok("models".into());
        }
        return Err(LayoutError::NotAModelsFolder {
            found: format!("Its `models` folder: {}", describe_found(&inner)),
        });
    }
    Err(LayoutError::NotAModelsFolder {
        found: describe_found(&top),
    })
}

/// `manifests` or `blobs` under the models root.
pub fn under(root: &str, name: &str) -> String {
    join(root, name)
}

/// Whether a path holds a name with ':', which Chromium hides and refuses
/// in a folder on disk (Ollama's `manifests/host:port/…`).
pub fn has_colon_name(path: &str) -> bool {
    path.split('/').any(|part| part.contains(':'))
}

/// `<host>/<namespace>/<model>/<tag>` of a file listed under a chosen
/// folder (`chosen/…`, as `webkitRelativePath` gives it): what follows its
/// `manifests/` folder, or everything below the chosen folder when that is
/// the `manifests` folder itself; `None` when it is no manifest's place.
pub fn manifest_below(listed: &str) -> Option<&str> {
    let (top, rest) = listed.split_once('/')?;
    let below = if top == MANIFESTS && rest.split('/').count() == 4 {
        rest
    } else {
        let prefix = "manifests/";
        let at = rest
            .match_indices(prefix)
            .map(|(i, _)| i)
            .find(|&i| i == 0 || rest[..i].ends_with('/'))?;
        &rest[at + prefix.len()..]
    };
    (below.split('/').count() == 4 && below.split('/').all(|p| !p.is_empty())).then_some(below)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemSource;

    fn root_of(m: &MemSource) -> Result<String, LayoutError> {
        pollster::block_on(find_models_root(m))
    }

    #[test]
    fn a_manifest_is_found_below_any_chosen_folder() {
        let m = "localhost:5000/team/embed/v1";
        assert_eq!(manifest_below(&format!("manifests/{m}")), Some(m));
        assert_eq!(manifest_below(&format!("models/manifests/{m}")), Some(m));
        assert_eq!(
            manifest_below(&format!(".ollama/models/manifests/{m}")),
            Some(m)
        );
        assert_eq!(manifest_below(".ollama/models/blobs/sha256-aa"), None);
        assert_eq!(manifest_below("models/manifests/too/short"), None);
        assert_eq!(manifest_below("models/mymanifests/a/b/c/d"), None);
        assert_eq!(manifest_below("x/a/manifests/h/n/m/t/extra"), None);
    }

    #[test]
    fn names_with_a_colon_are_found_in_any_part() {
        assert!(has_colon_name("models/manifests/localhost:5000/a/b/c"));
        assert!(!has_colon_name("models/manifests/registry.ollama.ai/a/b/c"));
    }

    #[test]
    fn accepts_models_folder_and_its_parent() {
        let mut m = MemSource::new();
        m.add_dir("manifests");
        m.add_dir("blobs");
        assert_eq!(root_of(&m).unwrap(), "");
        let mut p = MemSource::new();
        p.add_dir("models/manifests");
        p.add_dir("models/blobs");
        p.add_file("id_ed25519", b"k".to_vec(), 0);
        assert_eq!(root_of(&p).unwrap(), "models");
    }

    #[test]
    fn wrong_folders_say_what_was_found() {
        let mut m = MemSource::new();
        m.add_file("Documents/a.txt", b"x".to_vec(), 0);
        m.add_file("notes.md", b"x".to_vec(), 0);
        let msg = root_of(&m).unwrap_err().to_string();
        assert!(msg.contains("not an Ollama models folder"), "{msg}");
        assert!(msg.contains("Documents/, notes.md"), "{msg}");

        let mut half = MemSource::new();
        half.add_dir("manifests");
        let msg = root_of(&half).unwrap_err().to_string();
        assert!(msg.contains("no `blobs` folder"), "{msg}");

        let msg = root_of(&MemSource::new()).unwrap_err().to_string();
        assert!(msg.contains("empty"), "{msg}");

        let mut bad_models = MemSource::new();
        bad_models.add_dir("models/blobs");
        let msg = root_of(&bad_models).unwrap_err().to_string();
        assert!(
            msg.contains("`models` folder") && msg.contains("no `manifests`"),
            "{msg}"
        );
    }
}
