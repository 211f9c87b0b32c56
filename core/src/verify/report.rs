//! The verification report. In: a [`VerifyPlan`] and the outcomes the
//! driver collected (by digest; settled ones included). Out: a
//! [`VerifyReport`]: per blob its outcome, per model a verdict, and totals.
//! Blobs with no outcome yet (a run cancelled mid-way) are counted as
//! unchecked, and a model with unchecked blobs is not declared ok.

use super::outcome::Outcome;
use super::plan::VerifyPlan;
use crate::digest::Digest;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub root: String,
    pub blobs: Vec<BlobResult>,
    pub models: Vec<ModelVerdict>,
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlobResult {
    pub digest: Digest,
    /// What the manifest says (for an orphan: its size on disk).
    pub size: u64,
    /// Models using it (empty: an orphan).
    pub models: Vec<String>,
    pub outcome: Outcome,
    /// Not re-read: a quick check found it verified ok earlier, unchanged.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub remembered: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelVerdict {
    pub name: String,
    pub ok: bool,
    /// Digests of its blobs that are not ok.
    pub problems: Vec<Digest>,
    /// Digests of its blobs not checked (run cancelled).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unchecked: Vec<Digest>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Blobs with an outcome.
    pub blobs: usize,
    /// Their sizes, summed.
    pub bytes: u64,
    pub ok: usize,
    pub problems: usize,
    /// Of the ok ones, how many a quick check skipped.
    pub remembered: usize,
    pub unchecked: usize,
}

impl VerifyReport {
    pub fn build(plan: &VerifyPlan, outcomes: &BTreeMap<Digest, Outcome>) -> Self {
        let mut totals = Totals::default();
        let mut blobs = Vec::new();
        for c in &plan.checks {
            let Some(outcome) = outcomes.get(&c.digest) else {
                totals.unchecked += 1;
                continue;
            };
            totals.blobs += 1;
            totals.bytes += c.expected_size;
            if outcome.is_ok() {
                totals.ok += 1;
                totals.remembered += usize::from(c.remembered);
            } else {
                totals.problems += 1;
            }
            blobs.push(BlobResult {
                digest: c.digest.clone(),
                size: c.expected_size,
                models: c.models.clone(),
                outcome: outcome.clone(),
                remembered: c.remembered,
            });
        }
        let models = plan
            .models
            .iter()
            .map(|name| verdict(plan, outcomes, name))
            .collect();
        Self {
            root: plan.root.clone(),
            blobs,
            models,
            totals,
        }
    }

    /// True when any blob is not ok (unchecked ones are not problems).
    pub fn has_problems(&self) -> bool {
        self.totals.problems > 0
    }

    /// True when every planned blob has an outcome.
    pub fn is_complete(&self) -> bool {
        self.totals.unchecked == 0
    }

    pub fn model(&self, name: &str) -> Option<&ModelVerdict> {
        self.models.iter().find(|m| m.name == name)
    }
}

fn verdict(plan: &VerifyPlan, outcomes: &BTreeMap<Digest, Outcome>, name: &str) -> ModelVerdict {
    let mut problems = Vec::new();
    let mut unchecked = Vec::new();
    for c in plan
        .checks
        .iter()
        .filter(|c| c.models.iter().any(|m| m == name))
    {
        match outcomes.get(&c.digest) {
            None => unchecked.push(c.digest.clone()),
            Some(o) if !o.is_ok() => problems.push(c.digest.clone()),
            Some(_) => {}
        }
    }
    ModelVerdict {
        name: name.to_string(),
        ok: problems.is_empty() && unchecked.is_empty(),
        problems,
        unchecked,
    }
}
