//! Adds the GGUF header summary of each model's weights to a report. In: the
//! report and its source. Out: the report with `gguf` filled where the
//! weights blob is present; a header that cannot be read becomes a finding.

use super::FsSource;
use crate::core::digest::Digest;
use crate::core::gguf::GgufSummary;
use crate::core::manifest::LayerKind;
use crate::core::store::reads::{blob_path, read_gguf_head};
use crate::core::store::report::BlobStatus;
use crate::core::store::{Finding, StoreReport};
use std::collections::BTreeMap;

pub fn with_gguf(source: &FsSource, mut report: StoreReport) -> StoreReport {
    let mut read: BTreeMap<Digest, Option<GgufSummary>> = BTreeMap::new();
    for model in &mut report.models {
        let Some(weights) = model.layers.iter().find(|l| {
            LayerKind::of(&l.media_type) == LayerKind::Model && l.status == BlobStatus::Present
        }) else {
            continue;
        };
        let digest = weights.digest.clone();
        if !read.contains_key(&digest) {
            let summary =
                match pollster::block_on(read_gguf_head(source, &report.models_dir, &digest)) {
                    Ok(info) => Some(info.summary()),
                    Err(e) => {
                        let path = blob_path("", &digest);
                        report.errors.push(Finding::new(
                            &path,
                            format!("GGUF header of {}: {e}", model.name),
                        ));
                        None
                    }
                };
            read.insert(digest.clone(), summary);
        }
        model.gguf = read[&digest].clone();
    }
    report
}
