//! The buttons that get a folder: the picker, the demo folder, the
//! `webkitdirectory` fallback and a drop zone. In: the state handle. Out:
//! `tasks::open` started with the right way of getting the folder.

use super::state::{AppState, Phase};
use crate::drive::open as tasks;
use crate::web::{demo, picker};
use web_sys::{DragEvent, HtmlInputElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub state: UseReducerHandle<AppState>,
}

#[function_component(Toolbar)]
pub fn toolbar(props: &Props) -> Html {
    let state = &props.state;
    let generation = state.store.generation + 1;
    let open_picker = {
        let dispatch = state.dispatcher();
        Callback::from(move |_| tasks::open(dispatch.clone(), generation, picker::pick_directory()))
    };
    let open_demo = {
        let dispatch = state.dispatcher();
        Callback::from(move |_| tasks::open(dispatch.clone(), generation, demo::open_demo()))
    };
    let on_files = {
        let dispatch = state.dispatcher();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let source = picker::from_file_list(input.files().as_ref());
            tasks::open(dispatch.clone(), generation, async move { source });
        })
    };
    let on_drop = {
        let dispatch = state.dispatcher();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            let Some(data) = e.data_transfer() else {
                return;
            };
            let dropped = picker::Dropped::take(data);
            tasks::open(dispatch.clone(), generation, picker::from_drop(dropped));
        })
    };
    let busy = matches!(state.store.phase, super::state::Phase::Opening(_));
    // Always rendered (hidden when there is nothing to reopen), so that
    // its arrival right after the page loads changes no other node.
    let last = state
        .store
        .last_folder
        .clone()
        .filter(|_| matches!(state.store.phase, Phase::Welcome | Phase::Failed(_)));
    let reopen_label = last.as_ref().map(|h| format!("Reopen {}", h.name()));
    let on_reopen = {
        let dispatch = state.dispatcher();
        Callback::from(move |_| {
            if let Some(handle) = last.clone() {
                tasks::reopen_last(dispatch.clone(), generation, handle);
            }
        })
    };
    html! {
        <section class="toolbar" ondragover={Callback::from(|e: DragEvent| e.prevent_default())} ondrop={on_drop}>
            <button id="open-folder" class="primary" onclick={open_picker} disabled={busy}>{ "Open models folder" }</button>
            <button id="reopen-folder" onclick={on_reopen} disabled={busy} hidden={reopen_label.is_none()} title="The folder on disk opened last here">{ reopen_label.clone().unwrap_or_default() }</button>
            <button id="open-demo" onclick={open_demo} disabled={busy}>{ "Open demo folder" }</button>
            <label class="fallback">
                { if picker::has_directory_picker() { "…or choose it with the file input:" } else { "This browser cannot open folders directly; choose the folder here (read-only):" } }
                <input id="folder-input" type="file" webkitdirectory={true} multiple={true} onchange={on_files} disabled={busy} />
            </label>
            <span class="drop-hint">{ "…or drop the folder on this bar." }</span>
        </section>
    }
}
