//! The end of a verification pass. In: what the [`ArchiveVerifier`] saw.
//! Out: the [`ArchiveReport`]: each manifest's blobs required present, of
//! the size it says and matching their names; the index and `SHA256SUMS`
//! (when present) consistent with the content; ollamazip's model named by
//! its metadata; and the [`VerifiedManifest`]s for an import.

use super::decompress::Compression;
use super::error::ReadError;
use super::event::{EntryInfo, EntryKind};
use super::layout::{Layout, ZIP_MANIFEST};
use super::report::{
    AbsentBlob, ArchiveBlob, ArchiveModel, ArchiveReport, ArchiveTotals, ModelBlob,
    VerifiedManifest,
};
use super::verifier::{ArchiveVerifier, ManifestSeen};
use crate::digest::Digest;
use crate::manifest::Manifest;
use crate::name::ModelName;
use crate::store::Finding;
use crate::verify::Outcome;
use std::collections::{BTreeMap, BTreeSet};

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ok => "ok".into(),
        Outcome::Missing => "not in the archive".into(),
        Outcome::WrongSize { expected, actual } => {
            format!("{actual} bytes in the archive, the manifest says {expected}")
        }
        Outcome::Mismatch { actual, .. } => format!("damaged: its bytes hash to {actual}"),
        Outcome::Unreadable { reason } => reason.clone(),
    }
}

impl ArchiveVerifier {
    /// Judges everything seen. `error`: why the read stopped early, if it did.
    pub fn finish(mut self, error: Option<ReadError>) -> (ArchiveReport, Vec<VerifiedManifest>) {
        if error.is_none() && !self.ended {
            self.problems
                .push(Finding::new("", "the archive has no end marker"));
        }
        if let Some(offset) = self.trailing {
            self.problems.push(Finding::new(
                "",
                format!(
                    "data follows the end of the archive (at byte {offset}): a damaged file, or \
                     archives glued together whose rest no tar reads"
                ),
            ));
        }
        if *self.layout() == Layout::Ollamazip {
            self.ollamazip_model();
        }
        let mut model_problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if *self.layout() == Layout::OllamaPack {
            self.check_index(&mut model_problems);
        }
        self.check_sums(&mut model_problems);

        let mut users: BTreeMap<Digest, Vec<String>> = BTreeMap::new();
        let mut models = Vec::new();
        let mut verified = Vec::new();
        for m in &self.manifests {
            let mut model = self.judge(m);
            model
                .problems
                .extend(model_problems.remove(&m.entry).unwrap_or_default());
            model.ok = model.ok && model.problems.is_empty();
            for b in &model.blobs {
                users
                    .entry(b.digest.clone())
                    .or_default()
                    .push(model.name.clone());
            }
            verified.push(VerifiedManifest {
                name: model.name.clone(),
                manifest_path: model.manifest_path.clone(),
                bytes: m.bytes.clone(),
                mtime: m.mtime,
                ok: model.ok && error.is_none(),
                blobs: model.blobs.iter().map(|b| b.digest.clone()).collect(),
                absent: model.absent.clone(),
                renamed_from: None,
            });
            for a in &model.absent {
                self.notes.push(Finding::new(
                    &m.entry,
                    format!("{} needs blob {a}, which is not in the archive: the folder it is imported into must have it", model.name),
                ));
            }
            models.push(model);
        }
        let blobs: Vec<ArchiveBlob> = self
            .blobs
            .iter()
            .map(|(digest, seen)| ArchiveBlob {
                digest: digest.clone(),
                size: seen.size,
                entry: seen.entry.clone(),
                models: users.get(digest).cloned().unwrap_or_default(),
                outcome: seen.outcome.clone(),
            })
            .collect();
        for b in blobs.iter().filter(|b| b.models.is_empty()) {
            self.notes
                .push(Finding::new(&b.entry, "used by no manifest in the archive"));
        }
        if models.is_empty() && error.is_none() {
            self.problems
                .push(Finding::new("", "the archive holds no model"));
        }
        let totals = ArchiveTotals {
            entries: self.entries,
            models: models.len(),
            models_ok: models.iter().filter(|m| m.ok).count(),
            blobs: blobs.len(),
            blob_bytes: blobs.iter().map(|b| b.size).sum(),
            problems: self.problems.len() + models.iter().map(|m| m.problems.len()).sum::<usize>(),
        };
        let report = ArchiveReport {
            description: self
                .layout()
                .describe(self.compression == Some(Compression::Zip)),
            layout: self.layout().clone(),
            models,
            blobs,
            problems: self.problems,
            notes: self.notes,
            error,
            totals,
        };
        (report, verified)
    }

    /// A model from one manifest: its blobs against what the archive held.
    fn judge(&self, m: &ManifestSeen) -> ArchiveModel {
        let mut model = ArchiveModel {
            name: m.name.display_shortest(),
            manifest_path: format!("manifests/{}", m.name.manifest_rel_path()),
            entry: m.entry.clone(),
            manifest_digest: m.digest.clone(),
            id: m.digest.short_id().to_string(),
            size: 0,
            ok: false,
            blobs: Vec::new(),
            problems: m.problems.clone(),
            absent: Vec::new(),
        };
        let manifest = match Manifest::parse(&m.bytes) {
            Ok(manifest) => manifest,
            Err(e) => {
                model.problems.push(format!("{}: {e}", m.entry));
                return model;
            }
        };
        model.size = manifest.total_size();
        // Our own format always carries every blob; other tools' may not.
        let complete = self.layout().is_strict();
        for layer in manifest.blobs() {
            let outcome = match self.blobs.get(&layer.digest) {
                None if !complete => {
                    model.absent.push(AbsentBlob {
                        digest: layer.digest.clone(),
                        what: layer.kind().describe(),
                    });
                    Outcome::Missing
                }
                None => Outcome::Missing,
                Some(seen) if seen.size != layer.size => Outcome::WrongSize {
                    expected: layer.size,
                    actual: seen.size,
                },
                Some(seen) => seen.outcome.clone(),
            };
            let absent = model
                .absent
                .last()
                .is_some_and(|a| a.digest == layer.digest);
            if !outcome.is_ok() && !absent {
                model.problems.push(format!(
                    "blob {} ({}): {}",
                    layer.digest,
                    layer.media_type,
                    describe(&outcome)
                ));
            }
            model.blobs.push(ModelBlob {
                digest: layer.digest.clone(),
                size: layer.size,
                media_type: layer.media_type.clone(),
                outcome,
            });
        }
        model.ok = model.problems.is_empty();
        model
    }

    /// ollamazip: `manifest.json` lands where `metadata.json` names it.
    fn ollamazip_model(&mut self) {
        let Some((bytes, mtime)) = self.zip_manifest.take() else {
            self.problems.push(Finding::new(
                ZIP_MANIFEST,
                "missing: the archive holds no model",
            ));
            return;
        };
        let field = |meta: &serde_json::Value, key: &str| {
            meta.get(key)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let name = match &self.metadata {
            None => Err("metadata.json is missing, so the model has no name".to_string()),
            Some(Err(e)) => Err(format!("metadata.json is not valid JSON: {e}")),
            Some(Ok(meta)) => {
                let rel = ["registry", "namespace", "model", "tag"]
                    .map(|k| field(meta, k))
                    .join("/");
                ModelName::from_manifest_path(&rel).map_err(|e| format!("metadata.json: {e}"))
            }
        };
        match name {
            Ok(name) => {
                let entry = EntryInfo {
                    path: ZIP_MANIFEST.into(),
                    kind: EntryKind::File,
                    size: bytes.len() as u64,
                    size_known: true,
                    mtime,
                    offset: 0,
                };
                let digest = Digest::of(&bytes);
                self.add_manifest(name, entry, bytes, digest);
            }
            Err(e) => self.problems.push(Finding::new("metadata.json", e)),
        }
    }

    /// ollama-pack.json against the manifests and blobs seen.
    fn check_index(&mut self, model_problems: &mut BTreeMap<String, Vec<String>>) {
        let index = match self.index.take() {
            Some(Ok(index)) => index,
            Some(Err(e)) => return self.problems.push(Finding::new("ollama-pack.json", e)),
            None => {
                return self
                    .problems
                    .push(Finding::new("ollama-pack.json", "missing"))
            }
        };
        let by_entry: BTreeMap<&str, &ManifestSeen> = self
            .manifests
            .iter()
            .map(|m| (m.entry.as_str(), m))
            .collect();
        let mut problems = Vec::new();
        for im in &index.models {
            match by_entry.get(im.manifest_path.as_str()) {
                None => problems.push(format!(
                    "lists {} but the archive lacks {}",
                    im.name, im.manifest_path
                )),
                Some(m) if m.digest != im.manifest_digest => model_problems
                    .entry(m.entry.clone())
                    .or_default()
                    .push(format!(
                        "the manifest is not the one ollama-pack.json lists ({})",
                        im.manifest_digest
                    )),
                Some(_) => {}
            }
        }
        let listed: BTreeSet<&str> = index
            .models
            .iter()
            .map(|m| m.manifest_path.as_str())
            .collect();
        for m in self
            .manifests
            .iter()
            .filter(|m| !listed.contains(m.entry.as_str()))
        {
            problems.push(format!("does not list {}", m.entry));
        }
        for ib in &index.blobs {
            match self.blobs.get(&ib.digest) {
                None => problems.push(format!("lists blob {} but the archive lacks it", ib.digest)),
                Some(b) if b.size != ib.size => problems.push(format!(
                    "says blob {} has {} bytes, the archive {}",
                    ib.digest, ib.size, b.size
                )),
                Some(_) => {}
            }
        }
        let listed: BTreeSet<&Digest> = index.blobs.iter().map(|b| &b.digest).collect();
        for d in self.blobs.keys().filter(|d| !listed.contains(d)) {
            problems.push(format!("does not list blob {d}"));
        }
        let t = &index.totals;
        let bytes = index
            .blobs
            .iter()
            .fold(0u64, |sum, b| sum.saturating_add(b.size));
        if t.models != index.models.len() || t.blobs != index.blobs.len() || t.bytes != bytes {
            problems.push("its totals do not add up".into());
        }
        for p in problems {
            self.problems.push(Finding::new("ollama-pack.json", p));
        }
    }

    /// SHA256SUMS against the digests of the entries seen.
    fn check_sums(&mut self, model_problems: &mut BTreeMap<String, Vec<String>>) {
        let sums = match self.sums.take() {
            None => return,
            Some(Ok(sums)) => sums,
            Some(Err(e)) => return self.problems.push(Finding::new("SHA256SUMS", e)),
        };
        let mut listed = BTreeSet::new();
        for (digest, path) in &sums {
            let path = path.trim_start_matches("./");
            listed.insert(path.to_string());
            let damaged_blob = self
                .blobs
                .values()
                .any(|b| b.entry == path && !b.outcome.is_ok());
            let problem = match self.paths.get(path) {
                None => format!("lists {path}, which the archive lacks"),
                Some(d) if d != digest && !damaged_blob => format!("{path} does not match it"),
                Some(_) => continue,
            };
            match self.manifests.iter().find(|m| m.entry == path) {
                Some(m) => model_problems
                    .entry(m.entry.clone())
                    .or_default()
                    .push(format!("SHA256SUMS: {problem}")),
                None => self.problems.push(Finding::new("SHA256SUMS", problem)),
            }
        }
        let unlisted: Vec<String> = self
            .manifests
            .iter()
            .map(|m| m.entry.clone())
            .chain(self.blobs.values().map(|b| b.entry.clone()))
            .filter(|e| !listed.contains(e))
            .collect();
        for e in unlisted {
            self.problems
                .push(Finding::new("SHA256SUMS", format!("does not list {e}")));
        }
    }
}
