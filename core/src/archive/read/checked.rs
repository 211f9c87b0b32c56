//! A checked archive as a page shows it and plans an import with. In: the
//! verifier's [`ArchiveReport`] and [`VerifiedManifest`]s. Out: a
//! [`CheckedArchive`]: the kind, the verdict, each model's ID, size and
//! problems, the archive's problems and notes, and the manifests byte for
//! byte; serialisable both ways, so the module that reads the archive can
//! hand it to the one that renders it.

use super::report::{AbsentBlob, ArchiveReport, ArchiveTotals, VerifiedManifest};
use crate::store::Finding;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedArchive {
    /// For people: "an ollama-pack archive", "a tar of an .ollama folder", …
    pub description: String,
    /// Read to its end, every model ok, nothing wrong with the archive.
    pub intact: bool,
    pub totals: ArchiveTotals,
    /// Why the archive could not be read to its end.
    pub error: Option<String>,
    pub models: Vec<CheckedModel>,
    pub problems: Vec<Finding>,
    pub notes: Vec<Finding>,
    /// The manifests the check verified, to plan an import with.
    pub manifests: Vec<VerifiedManifest>,
    /// A direct download: its one model is shown as
    /// [`FLAT_PLACEHOLDER`](super::FLAT_PLACEHOLDER) and needs a name
    /// (a rename from that placeholder) to be imported.
    #[serde(default)]
    pub needs_name: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedModel {
    pub name: String,
    /// The ID `ollama list` prints.
    pub id: String,
    pub size: u64,
    pub ok: bool,
    /// Sentences, each naming what is wrong.
    pub problems: Vec<String>,
    /// Blobs its manifest needs that the archive does not carry: the
    /// folder it is imported into must have them.
    #[serde(default)]
    pub absent: Vec<AbsentBlob>,
}

impl CheckedArchive {
    pub fn new(report: &ArchiveReport, manifests: Vec<VerifiedManifest>) -> Self {
        Self {
            description: report.description.clone(),
            intact: report.is_intact(),
            totals: report.totals.clone(),
            error: report.error.as_ref().map(ToString::to_string),
            models: report
                .models
                .iter()
                .map(|m| CheckedModel {
                    name: m.name.clone(),
                    id: m.id.clone(),
                    size: m.size,
                    ok: m.ok,
                    problems: m.problems.clone(),
                    absent: m.absent.clone(),
                })
                .collect(),
            problems: report.problems.clone(),
            notes: report.notes.clone(),
            manifests,
            needs_name: report.layout.needs_name(),
        }
    }

    /// Read to its end with nothing wrong with the archive as a whole
    /// (some models may still have failed): an import may go ahead.
    pub fn importable(&self) -> bool {
        self.error.is_none() && self.problems.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::read::testkit;

    #[test]
    fn survives_json_both_ways() {
        let archive = testkit::packed(None);
        let (report, manifests) = crate::archive::read::verify_bytes(&archive, 4096);
        let checked = CheckedArchive::new(&report, manifests.clone());
        assert!(checked.intact && checked.importable());
        assert_eq!(checked.models.len(), report.models.len());
        let json = serde_json::to_string(&checked).unwrap();
        let back: CheckedArchive = serde_json::from_str(&json).unwrap();
        assert_eq!(back, checked);
        assert_eq!(back.manifests, manifests);
    }
}
