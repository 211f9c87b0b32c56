//! The store summary. In: the report. Out: totals (on disk, shared,
//! orphaned, partial), every finding (missing, wrong size, unreadable), and
//! a chart of disk use per model, unique vs shared.

use crate::core::format::{fixed, human_bytes};
use crate::core::store::StoreReport;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties)]
pub struct Props {
    pub report: Rc<StoreReport>,
    pub open_ms: Option<f64>,
}

impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.report, &o.report) && self.open_ms == o.open_ms
    }
}

fn figure(id: &str, label: &str, value: String, title: String) -> Html {
    html! { <div class="figure" id={id.to_string()} {title}><div class="value">{ value }</div><div class="label">{ label }</div></div> }
}

/// The blobs no listed model uses: orphaned when every manifest was seen.
fn unused_line(r: &StoreReport) -> String {
    let b = &r.blobs;
    let (count, bytes) = (b.orphaned.len(), human_bytes(b.orphaned_bytes));
    if r.orphans_are_certain() {
        format!("{count} orphaned blob(s), {bytes}: no manifest uses them")
    } else {
        format!("{count} blob(s), {bytes}, that no listed model uses: a model the browser hides here (a registry with a port) may use them, so they are not called orphaned")
    }
}

fn findings(r: &StoreReport) -> Html {
    let b = &r.blobs;
    let certain = r.orphans_are_certain();
    let missing = b.missing.iter().map(|m| html! { <li class="missing"><code>{ m.digest.to_string() }</code>{ format!(" is missing (needed by {})", m.model) }</li> });
    let mismatch = b.size_mismatch.iter().map(|m| html! {
        <li class="size-mismatch"><code>{ m.digest.to_string() }</code>{ format!(" has {} bytes on disk; its manifest says {}", m.actual, m.expected) }</li>
    });
    let errors = r.errors.iter().map(|e| html! { <li class="unreadable"><code>{ &e.path }</code>{ format!(": {}", e.message) }</li> });
    let problems: Vec<Html> = missing.chain(mismatch).collect();
    let notes: Vec<Html> = errors.collect();
    html! {
        <>
            if !problems.is_empty() {
                <div class="error" id="problems"><strong>{ "Problems: a model that needs these blobs will not run." }</strong><ul>{ for problems }</ul>
                <p>{ "Pull the model again (ollama pull NAME) to fetch what is missing." }</p></div>
            }
            if !b.orphaned.is_empty() {
                <details class="warning" id={ if certain { "orphaned" } else { "unclaimed" } }><summary>{ unused_line(r) }</summary>
                <ul>{ for b.orphaned.iter().map(|o| html!{ <li data-digest={o.digest.to_string()}><code>{ o.digest.to_string() }</code>{ format!(" {}", human_bytes(o.size)) }</li> }) }</ul></details>
            }
            if !b.partial.is_empty() {
                <details class="warning" id="partial"><summary>{ format!("{} partial download file(s), {}", b.partial.len(), human_bytes(b.partial_bytes)) }</summary>
                <ul>{ for b.partial.iter().map(|p| html!{ <li><code>{ p }</code></li> }) }</ul></details>
            }
            if !notes.is_empty() {
                <details class="warning" id="notes" open=true><summary>{ format!("{} file(s) could not be used", notes.len()) }</summary><ul>{ for notes }</ul></details>
            }
        </>
    }
}

fn chart(r: &StoreReport) -> Html {
    let max = r
        .models
        .iter()
        .map(|m| m.frees + m.shared_bytes)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut models: Vec<_> = r.models.iter().collect();
    models.sort_by_key(|m| std::cmp::Reverse(m.frees + m.shared_bytes));
    let bar = |m: &&crate::core::store::ModelReport| {
        let unique = m.frees as f64 / max * 100.0;
        let shared = m.shared_bytes as f64 / max * 100.0;
        let title = format!(
            "{}: {} only this model, {} shared with others",
            m.name,
            human_bytes(m.frees),
            human_bytes(m.shared_bytes)
        );
        html! {
            <div class="chart-row" {title}>
                <span class="chart-label">{ &m.name }</span>
                <span class="bar chart-bars">
                    <span class="bar-unique" style={format!("width:{}%", fixed(unique, 2))}></span>
                    <span class="bar-shared" style={format!("width:{}%", fixed(shared, 2))}></span>
                </span>
                <span class="chart-value">{ human_bytes(m.frees + m.shared_bytes) }</span>
            </div>
        }
    };
    html! {
        <figure class="chart" id="disk-chart">
            <figcaption>{ "Disk use per model: " }<span class="key-unique">{ "only this model (freed by removing it)" }</span>{ " · " }<span class="key-shared">{ "shared with other models" }</span></figcaption>
            { for models.iter().map(bar) }
        </figure>
    }
}

#[function_component(Summary)]
pub fn summary(props: &Props) -> Html {
    let r = &props.report;
    let b = &r.blobs;
    html! {
        <section class="summary" id="summary">
            <h2>{ "Store " }<code class="root">{ &r.root }</code></h2>
            <div class="figures">
                { figure("fig-models", "models", r.models.len().to_string(), String::new()) }
                { figure("fig-disk", "in blobs/", human_bytes(b.disk_bytes), format!("{} bytes", b.disk_bytes)) }
                { figure("fig-blobs", "blobs", b.count.to_string(), format!("{} bytes in complete blobs", b.bytes)) }
                { figure("fig-shared", "shared between models", human_bytes(b.shared_bytes), format!("{} bytes", b.shared_bytes)) }
                { figure("fig-orphaned", if r.orphans_are_certain() { "orphaned" } else { "used by no listed model" }, human_bytes(b.orphaned_bytes), format!("{} blob(s)", b.orphaned.len())) }
                { figure("fig-partial", "partial downloads", human_bytes(b.partial_bytes), format!("{} file(s)", b.partial.len())) }
            </div>
            { findings(r) }
            if !r.models.is_empty() { { chart(r) } }
            if let Some(ms) = props.open_ms { <p class="muted" id="open-time">{ format!("Read in {} ms.", fixed(ms, 0)) }</p> }
        </section>
    }
}
