//! Adds GGUF header summaries to a report (placeholder until the GGUF
//! parser lands).

use super::FsSource;
use crate::core::store::StoreReport;

pub fn with_gguf(_source: &FsSource, report: StoreReport) -> StoreReport {
    report
}
