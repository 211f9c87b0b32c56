//! The Yew app. In: the [`state::AppState`] and user events. Out: the page —
//! toolbar, store summary, verify and pack panels, models table, model
//! detail, archive and registry panels. Components render state only; the
//! work they ask for is started by `crate::drive`.

mod archive;
mod detail;
mod hidden;
mod import_choices;
mod import_needs;
mod login;
mod manage;
mod pack;
mod registry;
pub mod state;
mod summary;
mod table;
mod toolbar;
mod verify;

use crate::drive;
use state::{AppState, Phase, StoreAction, VerifyState};
use yew::prelude::*;

#[function_component(App)]
fn app() -> Html {
    let state = use_reducer(|| AppState {
        verify: VerifyState::with_workers(crate::web::hash_pool::default_pool_size()),
        ..AppState::default()
    });
    let dispatch = state.dispatcher();
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            drive::settings::forget_old_logins();
            drive::open::load_last_folder(dispatch);
        });
    }
    let on_select = {
        let dispatch = dispatch.clone();
        Callback::from(move |name: Option<String>| {
            drive::send(&dispatch, StoreAction::Select(name))
        })
    };
    html! {
        <>
            <header class="app-header">
                <h1>{ "ollama-pack" }</h1>
                <p class="tagline">{ "See, check and carry your Ollama models. Everything stays on this computer: the folder is read in this browser tab." }</p>
            </header>
            <toolbar::Toolbar state={state.clone()} />
            { phase_banner(&state) }
            if let (Phase::Ready, Some(report)) = (&state.store.phase, &state.store.report) {
                <summary::Summary report={report.rc()} open_ms={state.store.open_ms} />
                <verify::VerifyPanel state={state.clone()} />
                <pack::PackPanel state={state.clone()} />
                <manage::ManagePanel state={state.clone()} />
                <table::ModelsTable state={state.clone()} on_select={on_select.clone()} />
                if let Some(model) = state.store.selected.as_ref().and_then(|n| report.model(n)) {
                    <detail::ModelDetail state={state.clone()} model={model.name.clone()} on_close={on_select.reform(|_| None)} />
                }
            }
            <archive::ArchivePanel state={state.clone()} />
            <registry::RegistryPanel state={state.clone()} />
        </>
    }
}

fn phase_banner(state: &UseReducerHandle<AppState>) -> Html {
    let notice = state
        .store
        .notice
        .as_ref()
        .map(|n| html! { <hidden::HiddenNotice state={state.clone()} notice={n.clone()} /> });
    let closed = state.store.pick_closed.then(|| html! {
        <p class="status" role="status" id="picker-closed">{ "No folder was opened: the dialog was closed, or the browser was not allowed to view the folder. Click “Open models folder”, choose the folder, and answer Allow when the browser asks to view its files." }</p>
    });
    html! { <>{ closed }{ phase_view(state, notice) }</> }
}

fn phase_view(state: &AppState, notice: Option<Html>) -> Html {
    match &state.store.phase {
        Phase::Welcome => html! {
            <section class="welcome">
                <p>{ "Pick your Ollama folder: " }<code>{ "~/.ollama" }</code>{ ", " }<code>{ "~/.ollama/models" }</code>
                   { " or the folder " }<code>{ "OLLAMA_MODELS" }</code>{ " points to (on Windows " }<code>{ "C:\\Users\\you\\.ollama" }</code>
                   { ", on macOS press Cmd+Shift+. in the picker to see hidden folders). Nothing is written to it." }</p>
                <p>{ "No Ollama here? Open the demo folder to see the app at work." }</p>
            </section>
        },
        Phase::Opening(name) => {
            html! { <div class="status" role="status" id="status">{ format!("Reading {name}…") }</div> }
        }
        Phase::Failed(message) => {
            html! { <div class="error" role="alert" id="error">{ message }</div> }
        }
        Phase::Ready => notice.unwrap_or_default(),
    }
}

/// Renders the app; does nothing in a Web Worker (the verify workers load
/// the same module for its exported hasher), nor in the engine module
/// (the app calls its exports, see `drive::engine_link`).
pub fn start() {
    if cfg!(feature = "engine-module") || web_sys::window().and_then(|w| w.document()).is_none() {
        return;
    }
    yew::Renderer::<App>::new().render();
}
