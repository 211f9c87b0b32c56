//! The archive panel. In: the state's archive run and a file the user
//! picks. Out: the archive's kind (ours, ollamazip, a tar of ~/.ollama…),
//! progress of the one verifying pass with MB/s, then a verdict, every
//! model with its ID, size and verdict naming any bad blob, and the
//! archive's problems and notes.

use super::import_choices::ImportControls;
use super::state::AppState;
use super::state::ArchiveRun;
use crate::core::archive::read::{CheckedArchive, CheckedModel};
use crate::core::format::{fixed, human_bytes};
use crate::drive::archive as archive_task;
use crate::web::archive_input::ArchiveInput;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub state: UseReducerHandle<AppState>,
}

fn progress(run: &ArchiveRun) -> Html {
    let percent = if run.size == 0 {
        100.0
    } else {
        run.read as f64 / run.size as f64 * 100.0
    };
    html! {
        <div>
            <progress id="archive-progress" max="100" value={fixed(percent, 1)}></progress>
            <p class="muted">{ format!("{} of {} read · {} MB/s", human_bytes(run.read), human_bytes(run.size), fixed(run.speed() / 1e6, 0)) }</p>
        </div>
    }
}

fn verdict(r: &CheckedArchive) -> Html {
    let t = &r.totals;
    let (class, text) = if r.intact {
        (
            "info",
            format!(
                "Intact: {} model(s), {} blob(s), {} — every blob matches its digest.",
                t.models,
                t.blobs,
                human_bytes(t.blob_bytes)
            ),
        )
    } else {
        (
            "error",
            format!(
                "Problems: {} of {} model(s) intact; {} problem(s) with the archive.",
                t.models_ok,
                t.models,
                r.problems.len()
            ),
        )
    };
    html! { <p id="archive-verdict" class={class}>{ text }</p> }
}

/// A model's verdict; an intact one whose archive lacks blobs says which
/// the folder must have.
fn verdict_words(m: &CheckedModel) -> String {
    if !m.ok {
        return m.problems.join("; ");
    }
    if m.absent.is_empty() {
        return "intact".into();
    }
    let absent: Vec<String> = m.absent.iter().map(ToString::to_string).collect();
    format!(
        "intact; not in the archive, so the folder must have: {}",
        absent.join(", ")
    )
}

fn report(r: &CheckedArchive) -> Html {
    html! {
        <>
            <p id="archive-kind">{ format!("This is {}.", r.description) }</p>
            { verdict(r) }
            if let Some(e) = &r.error { <p class="error" id="archive-error">{ e }</p> }
            <table id="archive-models">
                <thead><tr><th>{ "Model" }</th><th>{ "ID" }</th><th>{ "Size" }</th><th>{ "Verdict" }</th></tr></thead>
                <tbody>{ for r.models.iter().map(|m| html! {
                    <tr data-name={m.name.clone()} class={if m.ok { "ok" } else { "has-problem" }}>
                        <td>{ &m.name }</td><td class="mono">{ &m.id }</td><td>{ human_bytes(m.size) }</td>
                        <td class={if m.ok { "ok" } else { "bad" }}>{ verdict_words(m) }</td>
                    </tr>
                }) }</tbody>
            </table>
            if !r.problems.is_empty() { <div class="error" id="archive-problems"><ul>{ for r.problems.iter().map(|p| html!{ <li><code>{ &p.path }</code>{ format!(": {}", p.message) }</li> }) }</ul></div> }
            if !r.notes.is_empty() { <details class="warning" id="archive-notes"><summary>{ format!("{} note(s)", r.notes.len()) }</summary><ul>{ for r.notes.iter().map(|p| html!{ <li><code>{ &p.path }</code>{ format!(": {}", p.message) }</li> }) }</ul></details> }
        </>
    }
}

#[function_component(ArchivePanel)]
pub fn archive_panel(props: &Props) -> Html {
    let state = &props.state;
    let on_file = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                archive_task::start(&state, ArchiveInput::Archive(file));
            }
            input.set_value("");
        })
    };
    // An archive dropped on the panel opens as if picked; a folder, as a
    // direct download.
    let on_drop = {
        let state = state.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if let Some(data) = e.data_transfer() {
                archive_task::dropped(&state, data);
            }
        })
    };
    let on_folder = {
        let state = state.clone();
        Callback::from(move |_| archive_task::pick_folder(&state))
    };
    let cancel = state
        .archive
        .is_checking()
        .then(|| Callback::from(|_| archive_task::cancel()));
    let checked_ok = state.archive.run.as_ref().is_some_and(|a| a.importable());
    let can_import = state.store.report.is_some() && checked_ok;
    html! {
        <section class="archive" id="archive" ondragover={Callback::from(|e: DragEvent| e.prevent_default())} ondrop={on_drop}>
            <h2>{ "Open an archive" }</h2>
            <p class="muted">{ "Check an archive before you carry it or import it: ours (.tar, .tar.gz), ollamazip (.ollamazip, zstd or gzip), a Model Manager export, a tar or zip of ~/.ollama, an ollama-tool-cli backup (.zip), or a direct download (the folder oget or curl leave: a manifest beside its blobs). It is read once, hashing every blob as it passes; nothing is written." }</p>
            <div class="toolbar">
                <label>{ "Archive " }<input type="file" id="archive-input" onchange={on_file} /></label>
                <button id="archive-folder" onclick={on_folder}>{ "Open a download folder…" }</button>
                <span class="drop-hint">{ "…or drop either on this panel." }</span>
                if let Some(cancel) = cancel { <button id="archive-cancel" onclick={cancel}>{ "Cancel" }</button> }
            </div>
            if let Some(why) = &state.archive.unreadable { <p class="error" id="archive-open-error">{ why }</p> }
            if let Some(run) = &state.archive.run {
                <div id="archive-result" data-run={run.id.to_string()} data-done={run.ended().to_string()}>
                    <h3>{ &run.name }</h3>
                    if let Some(r) = &run.checked { { report(r) } }
                    else if run.cancelled { <p class="warning">{ "Cancelled." }</p> }
                    else if let Some(e) = &run.error { <p class="error" id="archive-error">{ e }</p> }
                    else { { progress(run) } }
                </div>
                if can_import {
                    <ImportControls state={state.clone()} />
                } else if checked_ok {
                    <p class="muted">{ "To import it, open the models folder to import into (Open models folder)." }</p>
                }
            }
        </section>
    }
}
