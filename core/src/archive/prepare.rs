//! Planning a pack over a source, the same for the app and the CLI. In: a
//! [`StoreSource`] over the folder, its [`StoreReport`] and the models
//! chosen. Out: the [`PackPlan`]: models chosen, their manifests read
//! verbatim and checked against the scan, blobs' modification times from a
//! fresh `blobs/` listing; or why not.

use super::choose::{choose, read_manifests, Choice, PackPlanError};
use super::plan::PackPlan;
use crate::source::{join, SourceError, StoreSource};
use crate::store::blob_dir::BlobDir;
use crate::store::StoreReport;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreparePackError {
    #[error(transparent)]
    Plan(#[from] PackPlanError),
    #[error("a manifest could not be read: {0}")]
    Manifest(SourceError),
    #[error("the blobs folder could not be listed: {0}")]
    Blobs(SourceError),
}

pub async fn prepare_pack<S: StoreSource>(
    source: &S,
    report: &StoreReport,
    choice: &Choice,
) -> Result<PackPlan, PreparePackError> {
    let chosen = choose(report, choice)?;
    let manifests = read_manifests(source, &chosen)
        .await
        .map_err(PreparePackError::Manifest)?;
    let listing = source
        .list(&join(&report.models_dir, "blobs"))
        .await
        .map_err(PreparePackError::Blobs)?;
    Ok(
        PackPlan::new(report, &chosen, &manifests)?
            .with_blob_times(&BlobDir::from_listing(listing)),
    )
}
