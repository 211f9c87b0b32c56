//! The import controls under a checked archive. In: the archive run (its
//! verified manifests), the open folder's report and the import's status.
//! Out: for each model the folder already has with other content, a row
//! with both IDs and a choice — keep the folder's, replace it, or import
//! the archive's under another name (a field holding a free name, checked
//! as typed); in a folder on disk, for each model whose registry host has
//! a port (':' is refused there), the name it is imported under, proposed
//! without that host; the Import button, which hands the [`Choices`] to the import
//! task; Cancel while it runs; how it ended.

use super::import_needs::{check_flat_name, lacking, missing_blobs, refuse_colon, FlatName};
use super::state::AppState;
use super::state::ImportStatus;
use crate::core::archive::read::conflicts::{
    check_typed_names, colon_names, find_conflicts, ColonName, Conflict,
};
use crate::core::archive::read::{Choices, Existing, Rename, RenameError, FLAT_PLACEHOLDER};
use crate::core::format::{fixed, human_bytes};
use crate::core::name::ModelName;
use crate::drive::import as import_task;
use std::collections::BTreeMap;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Clone, PartialEq)]
enum Pick {
    Keep,
    Replace,
    Rename(String),
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub state: UseReducerHandle<AppState>,
}

type Picks = UseStateHandle<(u32, BTreeMap<String, Pick>)>;

fn set_pick(picks: &Picks, run: u32, name: &str, pick: Pick) {
    let mut map = if picks.0 == run {
        picks.1.clone()
    } else {
        BTreeMap::new()
    };
    map.insert(name.to_string(), pick);
    picks.set((run, map));
}

fn row(c: &Conflict, pick: &Pick, error: Option<String>, picks: &Picks, run: u32) -> Html {
    let on_choice = {
        let (picks, name, suggestion) = (picks.clone(), c.name.clone(), c.suggestion.clone());
        Callback::from(move |e: Event| {
            let pick = match e
                .target_unchecked_into::<HtmlSelectElement>()
                .value()
                .as_str()
            {
                "replace" => Pick::Replace,
                "rename" => Pick::Rename(suggestion.clone()),
                _ => Pick::Keep,
            };
            set_pick(&picks, run, &name, pick);
        })
    };
    let on_name = {
        let (picks, name) = (picks.clone(), c.name.clone());
        Callback::from(move |e: InputEvent| {
            let text = e.target_unchecked_into::<HtmlInputElement>().value();
            set_pick(&picks, run, &name, Pick::Rename(text));
        })
    };
    let option = |value: &'static str, label: &'static str, on: bool| html! { <option value={value} selected={on}>{ label }</option> };
    html! {
        <tr data-name={c.name.clone()}>
            <td>{ &c.name }</td><td class="mono">{ &c.folder_id }</td><td class="mono">{ &c.archive_id }</td>
            <td>
                <select class="conflict-choice" onchange={on_choice}>
                    { option("keep", "keep the folder's", *pick == Pick::Keep) }
                    { option("replace", "replace it with the archive's", *pick == Pick::Replace) }
                    { option("rename", "import the archive's under another name", matches!(pick, Pick::Rename(_))) }
                </select>
                if let Pick::Rename(text) = pick {
                    <input class="conflict-name" value={text.clone()} oninput={on_name} aria-label="name to import it under" />
                }
                if let Some(e) = error { <p class="error conflict-error">{ e }</p> }
            </td>
        </tr>
    }
}

/// What the picks ask for; a rename whose name is wrong keeps (the
/// Import button is disabled then anyway). A conflict nobody foresaw
/// (the folder changed) stops the import.
fn choices(conflicts: &[Conflict], picks: &[Pick], names: &[Option<ModelName>]) -> Choices {
    let mut choices = Choices::default();
    for ((c, pick), to) in conflicts.iter().zip(picks).zip(names) {
        let existing = match (pick, to) {
            (Pick::Rename(_), Some(to)) => {
                let from = ModelName::parse(&c.name).ok();
                choices.renames.push(Rename {
                    from,
                    to: to.clone(),
                });
                continue;
            }
            (Pick::Replace, _) => Existing::Replace,
            _ => Existing::Keep,
        };
        choices.per_model.insert(c.name.clone(), existing);
    }
    choices
}

fn status(state: &AppState) -> Html {
    match &state.import.status {
        Some(ImportStatus::Running {
            read,
            size,
            started_ms,
            last_ms,
        }) => {
            let rate = *read as f64 / ((last_ms - started_ms) / 1000.0).max(1e-3);
            let left = if rate > 0.0 && *read > 0 {
                format!(
                    " · {} s left",
                    fixed(size.saturating_sub(*read) as f64 / rate, 0)
                )
            } else {
                String::new()
            };
            html! {
                <div id="import-status">
                    <progress id="import-progress" max={size.max(&1).to_string()} value={read.to_string()}></progress>
                    <p class="status">{ format!("Importing: {} of {} read · {} MB/s{left}. Each blob is verified before it gets its name; manifests come last.", human_bytes(*read), human_bytes(*size), fixed(rate / 1e6, 0)) }</p>
                </div>
            }
        }
        Some(ImportStatus::Done(text)) => html! { <p class="info" id="import-result">{ text }</p> },
        Some(ImportStatus::Failed(why, after)) => {
            let why = why.trim_end_matches('.');
            html! { <p class="error" id="import-result">{ format!("Import failed: {why}. {after}") }</p> }
        }
        Some(ImportStatus::Cancelled(after)) => {
            html! { <p class="warning" id="import-result">{ format!("Import cancelled: nothing was imported. {after}") }</p> }
        }
        None => Html::default(),
    }
}

/// A row for a model whose name holds a host with a port, in a folder that
/// refuses ':': the name to import it under.
fn colon_row(k: &ColonName, text: &str, error: Option<String>, picks: &Picks, run: u32) -> Html {
    let on_name = {
        let (picks, name) = (picks.clone(), k.name.clone());
        Callback::from(move |e: InputEvent| {
            let text = e.target_unchecked_into::<HtmlInputElement>().value();
            set_pick(&picks, run, &name, Pick::Rename(text));
        })
    };
    html! {
        <tr data-name={k.name.clone()}>
            <td>{ &k.name }</td><td class="mono">{ &k.archive_id }</td>
            <td>
                <input class="colon-name" value={text.to_string()} oninput={on_name} aria-label="name to import it under" />
                if let Some(e) = error { <p class="error colon-error">{ e }</p> }
            </td>
        </tr>
    }
}

const COLON_WHY: &str = "In a folder on disk the browser refuses ':' in names, so these models cannot keep their registry's host and port here. They are imported under the name without it: the same model and ID, as `ollama cp` would name it. Change a name if you like; `ollama-pack unpack` keeps the archive's names.";

/// A typed name checked, and refused when it holds a host with a port.
fn checked_name(r: Result<ModelName, RenameError>) -> Result<ModelName, String> {
    refuse_colon(r.map_err(|e| e.to_string())?)
}

#[function_component(ImportControls)]
pub fn import_controls(props: &Props) -> Html {
    let state = &props.state;
    let picks: Picks = use_state(|| (0, BTreeMap::new()));
    let flat_text: UseStateHandle<(u32, String)> = use_state(|| (0, String::new()));
    let (Some(run), Some(store)) = (&state.archive.run, &state.store.report) else {
        return status(state);
    };
    let Some(checked) = &run.checked else {
        return status(state);
    };
    let manifests = &checked.manifests;
    let picked = |name: &str| (picks.0 == run.id).then(|| picks.1.get(name)).flatten();
    let colons = if state.store.refuses_colons {
        colon_names(manifests, &store.models)
    } else {
        Vec::new()
    };
    let conflicts: Vec<Conflict> = find_conflicts(manifests, &store.models)
        .into_iter()
        .filter(|c| !colons.iter().any(|k| k.name == c.name))
        .collect();
    let current: Vec<Pick> = conflicts
        .iter()
        .map(|c| picked(&c.name).cloned().unwrap_or(Pick::Keep))
        .collect();
    let colon_texts: Vec<String> = colons
        .iter()
        .map(|k| match picked(&k.name) {
            Some(Pick::Rename(t)) => t.clone(),
            _ => k.suggestion.clone(),
        })
        .collect();
    let typed: Vec<&str> = current
        .iter()
        .filter_map(|p| match p {
            Pick::Rename(t) => Some(t.as_str()),
            _ => None,
        })
        .chain(colon_texts.iter().map(String::as_str))
        .collect();
    let mut typed_checks = check_typed_names(&typed, manifests, &store.models).into_iter();
    let results: Vec<Option<Result<ModelName, String>>> = current
        .iter()
        .map(|p| {
            matches!(p, Pick::Rename(_))
                .then(|| typed_checks.next().map(|r| r.map_err(|e| e.to_string())))
                .flatten()
        })
        .collect();
    let colon_results: Vec<Result<ModelName, String>> = typed_checks.map(checked_name).collect();
    let names: Vec<Option<ModelName>> = results
        .iter()
        .map(|r| r.clone().and_then(Result::ok))
        .collect();
    let wrong = results.iter().any(|r| matches!(r, Some(Err(_))))
        || colon_results.iter().any(Result::is_err);
    let lacking = lacking(checked, store);
    let flat_text_now = if flat_text.0 == run.id {
        flat_text.1.clone()
    } else {
        String::new()
    };
    let flat = checked
        .needs_name
        .then(|| check_flat_name(&flat_text_now, checked, store, state.store.refuses_colons));
    let wrong = wrong || !lacking.is_empty() || matches!(flat, Some(Err(_)));
    let importing = matches!(state.import.status, Some(ImportStatus::Running { .. }));
    let mut choices = choices(&conflicts, &current, &names);
    if let Some(Ok(to)) = &flat {
        choices.renames.push(Rename {
            from: ModelName::parse(FLAT_PLACEHOLDER).ok(),
            to: to.clone(),
        });
    }
    let on_flat = {
        let (flat_text, id) = (flat_text.clone(), run.id);
        Callback::from(move |text: String| flat_text.set((id, text)))
    };
    for (k, to) in colons.iter().zip(&colon_results) {
        if let Ok(to) = to {
            let from = ModelName::parse(&k.name).ok();
            choices.renames.push(Rename {
                from,
                to: to.clone(),
            });
        }
    }
    let import = {
        let state = state.clone();
        Callback::from(move |_| import_task::start(&state, choices.clone()))
    };
    let cancel = importing.then(|| Callback::from(|_| import_task::cancel()));
    html! {
        <>
            { missing_blobs(&lacking) }
            if let Some(flat) = &flat {
                <FlatName text={flat_text_now.clone()} error={flat.clone().err()} on_text={on_flat} />
            }
            if !conflicts.is_empty() {
                <div id="import-conflicts" class="warning">
                    <p>{ "The folder already has these models with other content. Nothing is replaced unless you choose so:" }</p>
                    <table>
                        <thead><tr><th>{ "Model" }</th><th>{ "ID in the folder" }</th><th>{ "ID in the archive" }</th><th>{ "Import" }</th></tr></thead>
                        <tbody>{ for conflicts.iter().zip(&current).zip(&results).map(|((c, p), r)| row(c, p, r.clone().and_then(Result::err), &picks, run.id)) }</tbody>
                    </table>
                </div>
            }
            if !colons.is_empty() {
                <div id="import-colon-names" class="warning">
                    <p>{ COLON_WHY }</p>
                    <table>
                        <thead><tr><th>{ "Model" }</th><th>{ "ID" }</th><th>{ "Import as" }</th></tr></thead>
                        <tbody>{ for colons.iter().zip(&colon_texts).zip(&colon_results).map(|((k, t), r)| colon_row(k, t, r.clone().err(), &picks, run.id)) }</tbody>
                    </table>
                </div>
            }
            <div class="toolbar">
                <button id="archive-import" class="primary" onclick={import} disabled={importing || wrong}>{ format!("Import into {}", store.root) }</button>
                if let Some(cancel) = cancel { <button id="import-cancel" onclick={cancel}>{ "Cancel" }</button> }
            </div>
            { status(state) }
        </>
    }
}
