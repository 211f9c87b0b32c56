//! A model from a registry straight into an archive, the same steps for the
//! app and the CLI: pull it into a staging models folder (so parallel
//! parts, verification and resume are the pull's own), plan the pack of
//! that model from the staged folder, pack it into the archive (every blob
//! checked again as it is written), then remove the staged model (what
//! another staged model uses stays). In: a driver implementing [`Staging`]:
//! its staging folder as a [`StoreSource`], and the I/O of each step. Out:
//! the pull's summary, or a [`ToArchiveError`] that says what happened and
//! what was kept (the download stays when the archive fails, so pulling
//! again only packs).

use super::pull::PullSummary;
use crate::archive::{prepare_pack, Choice, PackPlan};
use crate::source::StoreSource;
use crate::store::removal::{plan_removal, RemovalPlan};
use crate::store::scan_store;
use std::future::Future;

/// How the archive step ended when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackEnd {
    Cancelled,
    Failed(String),
}

/// The driver's side of a pull into an archive.
pub trait Staging {
    type Source: StoreSource;
    /// Why the pull failed (the driver's own type: the browser's says
    /// whether CORS blocked it).
    type PullFailure;

    /// The staging models folder.
    fn source(&self) -> &Self::Source;
    /// Pulls the model into the staging folder.
    fn pull(&mut self) -> impl Future<Output = Result<PullSummary, Self::PullFailure>>;
    /// Streams the planned archive into its target; on failure or Cancel
    /// the target is discarded.
    fn pack(&mut self, plan: PackPlan) -> impl Future<Output = Result<(), PackEnd>>;
    /// Deletes what `plan` says from the staging folder: manifests, then
    /// blobs, then the folders left empty.
    fn unstage(&mut self, plan: &RemovalPlan) -> impl Future<Output = ()>;
    /// The archive will not be written: discard its target.
    fn discard_target(&mut self) -> impl Future<Output = ()>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToArchiveError<P> {
    /// The pull failed; no archive was written.
    Pull(P),
    /// Downloaded and verified, but the staged model could not be read back.
    ReadBack(String),
    Pack(PackEnd),
}

impl<P> ToArchiveError<P> {
    /// What to tell of a failure after the pull (the pull's own failure is
    /// the driver's to tell): `None` for [`ToArchiveError::Pull`].
    pub fn after_pull(&self) -> Option<String> {
        Some(match self {
            Self::Pull(_) => return None,
            Self::ReadBack(e) => format!("the model was downloaded and verified, but reading it back failed: {e}"),
            Self::Pack(PackEnd::Failed(e)) => format!("the model was downloaded and verified, but writing the archive failed: {e}. The archive was discarded; the download is kept, so the same pull again only writes the archive"),
            Self::Pack(PackEnd::Cancelled) => "cancelled; the archive was discarded. The download is kept, so the same pull again only writes the archive".into(),
        })
    }
}

impl<P: std::fmt::Display> std::fmt::Display for ToArchiveError<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self, self.after_pull()) {
            (Self::Pull(e), _) => write!(f, "{e}"),
            (_, Some(words)) => f.write_str(&words),
            (_, None) => Ok(()),
        }
    }
}

/// Pulls, stages, packs, unstages.
pub async fn pull_to_archive<S: Staging>(
    staging: &mut S,
) -> Result<PullSummary, ToArchiveError<S::PullFailure>> {
    let summary = match staging.pull().await {
        Ok(summary) => summary,
        Err(e) => {
            staging.discard_target().await;
            return Err(ToArchiveError::Pull(e));
        }
    };
    let name = summary.name.display_shortest();
    let planned = async {
        let report = scan_store(staging.source(), "staging")
            .await
            .map_err(|e| e.to_string())?;
        let plan = prepare_pack(
            staging.source(),
            &report,
            &Choice::Named(vec![name.clone()]),
        )
        .await
        .map_err(|e| e.to_string())?;
        Ok::<_, String>((report, plan))
    };
    let (report, plan) = match planned.await {
        Ok(planned) => planned,
        Err(e) => {
            staging.discard_target().await;
            return Err(ToArchiveError::ReadBack(e));
        }
    };
    staging.pack(plan).await.map_err(ToArchiveError::Pack)?;
    if let Ok(removal) = plan_removal(&report, &[name]) {
        staging.unstage(&removal).await;
    }
    Ok(summary)
}

#[cfg(test)]
#[path = "to_archive_tests.rs"]
mod tests;
