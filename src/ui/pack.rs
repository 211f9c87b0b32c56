//! The pack panel. In: the state (models ticked in the table, the current
//! pack run). Out: what the archive will hold and weigh before starting
//! (blobs counted once), the gzip choice, "Download archive", live
//! progress with Cancel, and how the run ended.

use super::state::{AppState, PackAction, PackRun, PackStatus};
use crate::core::archive::choose::blob_problems;
use crate::core::digest::Digest;
use crate::core::format::{fixed, human_bytes};
use crate::core::store::StoreReport;
use crate::drive::pack::{self as pack_task, PackRequest};
use crate::web::save::{has_save_picker, MEMORY_LIMIT};
use std::collections::{BTreeMap, BTreeSet};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub state: UseReducerHandle<AppState>,
}

/// (blob count, bytes) of the selection, each blob once.
fn selection_size(report: &StoreReport, names: &[String]) -> (usize, u64) {
    let blobs: BTreeMap<&Digest, u64> = report
        .models
        .iter()
        .filter(|m| names.contains(&m.name))
        .flat_map(|m| std::iter::once(&m.config_blob).chain(&m.layers))
        .map(|l| (&l.digest, l.size))
        .collect();
    (blobs.len(), blobs.values().sum())
}

fn progress(run: &PackRun) -> Html {
    let percent = if run.archive_size == 0 {
        100.0
    } else {
        run.tar_bytes as f64 / run.archive_size as f64 * 100.0
    };
    let left = run
        .seconds_left()
        .map_or(String::new(), |s| format!(" · {} s left", fixed(s, 0)));
    let current = run.current.as_ref().map(|(digest, size, done)| {
        html! { <p class="muted" id="pack-current">{ format!("Blob {} of {}: {} ({} of {})", run.blobs_done + 1, run.blobs, &digest[..19], human_bytes(*done), human_bytes(*size)) }</p> }
    });
    html! {
        <div id="pack-progress-box">
            <progress id="pack-progress" max="100" value={fixed(percent, 1)}></progress>
            <p class="muted" id="pack-rate">{ format!("{} of {} · {} MB/s{left}", human_bytes(run.tar_bytes), human_bytes(run.archive_size), fixed(run.speed() / 1e6, 0)) }</p>
            { current.unwrap_or_default() }
        </div>
    }
}

fn outcome(run: &PackRun) -> Html {
    match &run.status {
        PackStatus::Running => Html::default(),
        PackStatus::Saved => {
            html! { <p class="info" id="pack-result" data-run={run.id.to_string()}>{ format!("Saved {} ({} bytes, {} models, {} blobs). Every blob was checked against its digest while it was written.", run.file_name, run.out_bytes, run.models.len(), run.blobs) }</p> }
        }
        PackStatus::Cancelled => {
            html! { <p class="warning" id="pack-result" data-run={run.id.to_string()}>{ format!("Cancelled: {} was discarded.", run.file_name) }</p> }
        }
        PackStatus::Failed(e) => {
            html! { <p class="error" id="pack-result" data-run={run.id.to_string()}>{ format!("The pack stopped and {} was discarded: {e}", run.file_name) }</p> }
        }
    }
}

#[function_component(PackPanel)]
pub fn pack_panel(props: &Props) -> Html {
    let state = &props.state;
    let Some(report) = state.store.report.as_ref() else {
        return Html::default();
    };
    let gzip = use_state(|| None::<u32>);
    let names: Vec<String> = state.pack.selection.iter().cloned().collect();
    let problems: Vec<String> = report
        .models
        .iter()
        .filter(|m| names.contains(&m.name))
        .flat_map(blob_problems)
        .map(|p| p.to_string())
        .collect();
    let (blob_count, bytes) = selection_size(report, &names);
    let running = state.pack.is_running();
    let on_gzip = {
        let gzip = gzip.clone();
        Callback::from(move |e: Event| {
            gzip.set(
                e.target_unchecked_into::<HtmlSelectElement>()
                    .value()
                    .parse()
                    .ok(),
            )
        })
    };
    let download = {
        let (state, names, gzip) = (state.clone(), names.clone(), *gzip);
        Callback::from(move |_| {
            pack_task::start(
                &state,
                PackRequest {
                    models: names.clone(),
                    gzip,
                },
            )
        })
    };
    let cancel = Some(Callback::from(|_| pack_task::cancel()));
    let select_all = {
        let dispatch = state.dispatcher();
        let intact: BTreeSet<String> = report
            .models
            .iter()
            .filter(|m| blob_problems(m).is_empty())
            .map(|m| m.name.clone())
            .collect();
        Callback::from(move |_| crate::drive::send(&dispatch, PackAction::Select(intact.clone())))
    };
    html! {
        <section class="pack" id="pack">
            <h2>{ "Pack into an archive" }</h2>
            <p class="muted">{ "Tick models in the table, then download one .tar that carries them to another machine: a plain tar with an index, SHA256SUMS, the manifests byte for byte and each blob once. On the other machine: " }<code>{ "tar -xf ARCHIVE -C ~/.ollama/models manifests blobs" }</code></p>
            <div class="toolbar">
                <button id="pack-select-intact" onclick={select_all} disabled={running}>{ "Select every intact model" }</button>
                <label>{ "Compression " }
                    <select id="pack-gzip" onchange={on_gzip} disabled={running}>
                        <option value="none" selected=true>{ "none (recommended)" }</option>
                        <option value="1">{ "gzip, fast (level 1)" }</option>
                        <option value="6">{ "gzip, default (level 6)" }</option>
                        <option value="9">{ "gzip, smallest (level 9)" }</option>
                    </select>
                </label>
                <button id="pack-download" class="primary" onclick={download} disabled={running || names.is_empty() || !problems.is_empty()}>{ "Download archive" }</button>
                if let Some(cancel) = cancel { if running { <button id="pack-cancel" onclick={cancel}>{ "Cancel" }</button> } }
            </div>
            if gzip.is_some() { <p class="muted">{ "Quantized weights barely compress, and gzip in the browser (~25–100 MB/s) is much slower than the disk: choose it for text-heavy models only." }</p> }
            if names.is_empty() {
                <p class="muted" id="pack-summary">{ "No model selected." }</p>
            } else {
                <p id="pack-summary" data-bytes={bytes.to_string()}>{ format!("{} model(s): {} — {} blob(s), {} of blob data, each blob once.", names.len(), names.join(", "), blob_count, human_bytes(bytes)) }</p>
            }
            if !problems.is_empty() { <div class="error" id="pack-problems"><p>{ "These models cannot be packed until they are pulled again:" }</p><ul>{ for problems.iter().map(|p| html!{ <li>{ p }</li> }) }</ul></div> }
            if !has_save_picker() { <p class="warning">{ format!("This browser cannot stream to a file: archives are built in memory, up to {} MB.", MEMORY_LIMIT / 1_000_000) }</p> }
            if let Some(e) = &state.pack.error { <p class="error" id="pack-error">{ e }</p> }
            if let Some(run) = &state.pack.run {
                if running { { progress(run) } }
                { outcome(run) }
            }
        </section>
    }
}
