//! Scans a models folder. In: a [`StoreSource`] over the picked folder and a
//! label for it. Out: a [`StoreReport`], reading only manifests, the blob
//! listing and config blobs (never weights), or a [`ScanError`] when the
//! folder is not a models folder or cannot be read at all.

use super::blob_dir::BlobDir;
use super::layout::{self, find_models_root, LayoutError};
use super::report::{self, LoadedModel, StoreReport};
use super::walk::{walk_manifests, ManifestFile};
use super::Finding;
use crate::digest::Digest;
use crate::manifest::{Manifest, ModelConfig, MAX_CONFIG_BYTES};
use crate::source::{join, SourceError, StoreSource};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Layout(#[from] LayoutError),
    #[error("The blobs folder could not be listed: {0}")]
    Blobs(SourceError),
}

pub async fn scan_store<S: StoreSource>(source: &S, label: &str) -> Result<StoreReport, ScanError> {
    let root = find_models_root(source).await?;
    let walk = walk_manifests(source, &root).await;
    let blob_path = layout::under(&root, layout::BLOBS);
    let dir = BlobDir::from_listing(source.list(&blob_path).await.map_err(ScanError::Blobs)?);
    let mut findings = walk.findings;
    findings.extend(
        dir.unexpected
            .iter()
            .map(|(name, why)| Finding::new(&format!("blobs/{name}"), *why)),
    );
    let mut models = parse_manifests(walk.manifests, &mut findings);
    let configs = read_configs(source, &root, &models, &dir, &mut findings).await;
    for m in &mut models {
        m.config = configs.get(&m.manifest.config.digest).cloned();
    }
    let label = if root.is_empty() {
        label.to_string()
    } else {
        join(label, &root)
    };
    Ok(report::build(label, root, &models, &dir, findings))
}

fn parse_manifests(files: Vec<ManifestFile>, findings: &mut Vec<Finding>) -> Vec<LoadedModel> {
    files
        .into_iter()
        .filter_map(|file| match Manifest::parse(&file.bytes) {
            Ok(manifest) => Some(LoadedModel {
                file,
                manifest,
                config: None,
            }),
            Err(e) => {
                findings.push(Finding::new(
                    &file.rel_path,
                    format!("manifest could not be parsed: {e}"),
                ));
                None
            }
        })
        .collect()
}

/// Reads every model's config blob (each once, all at once).
async fn read_configs<S: StoreSource>(
    source: &S,
    root: &str,
    models: &[LoadedModel],
    dir: &BlobDir,
    findings: &mut Vec<Finding>,
) -> BTreeMap<Digest, ModelConfig> {
    let mut wanted: Vec<(&Digest, &LoadedModel, usize)> = Vec::new();
    for m in models {
        let digest = &m.manifest.config.digest;
        let Some(file) = dir.blobs.get(digest) else {
            continue;
        };
        if wanted.iter().any(|(d, _, _)| *d == digest) || file.size > MAX_CONFIG_BYTES {
            continue;
        }
        wanted.push((digest, m, file.size as usize));
    }
    let rel = |d: &Digest| format!("blobs/{}", d.blob_file_name());
    let reads: Vec<(String, usize)> = wanted
        .iter()
        .map(|(d, _, size)| (join(root, &rel(d)), *size))
        .collect();
    let results = source.read_many(&reads).await;
    let mut configs = BTreeMap::new();
    for ((digest, m, _), result) in wanted.into_iter().zip(results) {
        let parsed = match result {
            Ok(bytes) => ModelConfig::parse(&bytes).map_err(|e| e.to_string()),
            Err(e) => Err(format!("could not be read: {}", e.message)),
        };
        match parsed {
            Ok(config) => {
                configs.insert(digest.clone(), config);
            }
            Err(why) => findings.push(Finding::new(
                &rel(digest),
                format!("config blob of {}: {why}", m.file.name),
            )),
        }
    }
    configs
}
