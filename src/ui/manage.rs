//! Managing the folder. In: the state (the open folder's report, the models
//! ticked in the table, the manage state). Out: "Remove…" with its preview
//! (the manifests that go, the blobs that go and the bytes freed, the blobs
//! kept and who uses them, and why blobs stay when they must), "Remove
//! orphaned blobs…" and "Remove partial downloads…" with theirs (and what
//! stays because it is younger than an hour), progress with Cancel, and
//! what was done; and, for one model, "Copy as…" and "Rename…".

use super::hidden::ShowHidden;
use super::state::{AppState, ManageAction, ManageStatus, Preview};
use crate::core::format::human_bytes;
use crate::core::store::copy::plan_copy;
use crate::core::store::prune::{PruneFile, PrunePlan};
use crate::core::store::removal::{BlobsWithheld, RemovalPlan};
use crate::drive::{self, manage};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub state: UseReducerHandle<AppState>,
}

fn removal_view(state: &UseReducerHandle<AppState>, plan: &RemovalPlan) -> Html {
    html! {
        <div id="remove-plan">
            <p>{ format!("Remove {} model(s): {}.", plan.models.len(), plan.models.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")) }</p>
            <ul>
                { for plan.models.iter().map(|m| html! { <li class="going" data-path={m.manifest_path.clone()}>{ format!("manifest {}", m.manifest_path) }</li> }) }
                <li id="remove-frees">{ format!("{} blob(s) no other model uses: {} freed", plan.blobs.len(), human_bytes(plan.freed_bytes)) }</li>
                { for plan.kept.iter().map(|k| html! { <li class="kept" data-digest={k.digest.to_string()}>{ format!("kept {} ({}): used by {}", k.digest, human_bytes(k.size), k.users.join(", ")) }</li> }) }
            </ul>
            { withheld(state, plan.withheld.as_ref(), "remove-withheld") }
        </div>
    }
}

/// Why no blob goes, with "Show them" when the browser hides manifests.
fn withheld(
    state: &UseReducerHandle<AppState>,
    why: Option<&BlobsWithheld>,
    id: &'static str,
) -> Html {
    let Some(why) = why else {
        return Html::default();
    };
    let hidden = matches!(why, BlobsWithheld::HiddenManifests);
    html! {
        <p class="warning" {id}>{ format!("{why}. ") }
            if hidden { <ShowHidden state={state.clone()} id="show-hidden-manage" /> }
        </p>
    }
}

fn files(list: &[PruneFile]) -> Html {
    list.iter()
        .map(|f| html! { <li data-name={f.name.clone()}><code>{ &f.name }</code>{ format!(" {}", human_bytes(f.size)) }</li> })
        .collect()
}

fn prune_view(state: &UseReducerHandle<AppState>, partials: bool, plan: &PrunePlan) -> Html {
    let going = if partials {
        &plan.partials
    } else {
        &plan.orphans
    };
    let what = if partials {
        "partial download file(s)"
    } else {
        "orphaned blob(s)"
    };
    html! {
        <div id="prune-plan">
            <p>{ format!("Remove {} {what}: {} freed.", going.len(), human_bytes(plan.freed_bytes())) }</p>
            <ul id="prune-going">{ files(going) }</ul>
            if !plan.recent.is_empty() {
                <p>{ "Kept, written within the last hour: Ollama writes blobs first and the manifest last, so a pull under way looks like this for a while." }</p>
                <ul id="prune-recent">{ files(&plan.recent) }</ul>
            }
            { withheld(state, plan.withheld.as_ref(), "prune-withheld") }
        </div>
    }
}

fn status_view(status: &ManageStatus) -> Html {
    match status {
        ManageStatus::Running { what, total: 0, .. } => {
            html! { <div id="manage-status"><p class="status">{ format!("{what}…") }</p></div> }
        }
        ManageStatus::Running { what, done, total } => html! {
            <div id="manage-status"><progress id="manage-progress" max={total.max(&1).to_string()} value={done.to_string()}></progress>
            <p class="status">{ format!("{what}: {} of {} freed", human_bytes(*done), human_bytes(*total)) }</p>
            <button id="manage-cancel" onclick={Callback::from(|_| manage::cancel())}>{ "Cancel" }</button></div>
        },
        ManageStatus::Done(text) => html! { <p class="info" id="manage-result">{ text }</p> },
        ManageStatus::Failed(text) => {
            html! { <p class="error" id="manage-result">{ format!("Failed: {text}.") }</p> }
        }
    }
}

#[function_component(ManagePanel)]
pub fn manage_panel(props: &Props) -> Html {
    let state = &props.state;
    let names: Vec<String> = state.pack.selection.iter().cloned().collect();
    let busy = state.manage.is_running();
    let preview_remove = {
        let (state, names) = (state.clone(), names.clone());
        Callback::from(move |_| manage::preview_remove(&state, names.clone()))
    };
    let prune = |partials: bool| {
        let state = state.clone();
        Callback::from(move |_| manage::preview_prune(&state, partials))
    };
    let close = {
        let dispatch = state.dispatcher();
        Callback::from(move |_| drive::send(&dispatch, ManageAction::Close))
    };
    let confirm = state.manage.preview.clone().map(|p| {
        let state = state.clone();
        Callback::from(move |_| match &p {
            Preview::Remove(plan) => {
                manage::remove(&state, plan.models.iter().map(|m| m.name.clone()).collect())
            }
            Preview::Prune { partials, .. } => manage::prune(&state, *partials),
        })
    });
    html! {
        <section class="manage" id="manage">
            <h2>{ "Manage the folder" }</h2>
            <p class="muted">{ "Remove the models ticked in the table, or reclaim the space of blobs no model uses. Each shows what it will do first; the browser then asks for permission to edit the folder." }</p>
            <div class="toolbar">
                <button id="remove-preview" onclick={preview_remove} disabled={busy || names.is_empty()}>{ "Remove…" }</button>
                <button id="prune-orphans" onclick={prune(false)} disabled={busy}>{ "Remove orphaned blobs…" }</button>
                <button id="prune-partials" onclick={prune(true)} disabled={busy}>{ "Remove partial downloads…" }</button>
            </div>
            if let Some(preview) = &state.manage.preview {
                <div class="warning" id="manage-preview">
                    { match preview { Preview::Remove(plan) => removal_view(state, plan), Preview::Prune { partials, plan } => prune_view(state, *partials, plan) } }
                    <button id="manage-confirm" class="primary" onclick={confirm}>{ "Remove" }</button>
                    <button id="manage-close" onclick={close}>{ "Cancel" }</button>
                </div>
            }
            if let Some(status) = &state.manage.status { { status_view(status) } }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ModelProps {
    pub state: UseReducerHandle<AppState>,
    pub model: String,
}

/// "Copy as…" and "Rename…" for one model: the new name checked as typed
/// (Ollama's rules, case-insensitive clashes), replacing only when ticked.
#[function_component(ModelActions)]
pub fn model_actions(props: &ModelProps) -> Html {
    let state = &props.state;
    let name = use_state(String::new);
    let replace = use_state(|| false);
    let Some(report) = &state.store.report else {
        return Html::default();
    };
    let check = (!name.is_empty()).then(|| plan_copy(report, &props.model, &name, *replace));
    let ok = matches!(check, Some(Ok(_)));
    let busy = state.manage.is_running();
    let on_name = {
        let name = name.clone();
        Callback::from(move |e: InputEvent| {
            name.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_replace = {
        let replace = replace.clone();
        Callback::from(move |e: Event| {
            replace.set(e.target_unchecked_into::<HtmlInputElement>().checked())
        })
    };
    let act = |rename: bool| {
        let (state, from, to, replace) = (
            state.clone(),
            props.model.clone(),
            (*name).clone(),
            *replace,
        );
        Callback::from(move |_| manage::copy(&state, from.clone(), to.clone(), replace, rename))
    };
    let remove = {
        let (state, model) = (state.clone(), props.model.clone());
        Callback::from(move |_| manage::preview_remove(&state, vec![model.clone()]))
    };
    html! {
        <div class="toolbar" id="model-actions">
            <label>{ "New name " }<input id="copy-name" value={(*name).clone()} oninput={on_name} placeholder="name:tag" /></label>
            <label><input type="checkbox" id="copy-replace" checked={*replace} onchange={on_replace} />{ " replace a model of that name" }</label>
            <button id="copy-start" onclick={act(false)} disabled={busy || !ok}>{ "Copy as…" }</button>
            <button id="rename-start" onclick={act(true)} disabled={busy || !ok}>{ "Rename…" }</button>
            <button id="remove-model" onclick={remove} disabled={busy}>{ "Remove…" }</button>
            if let Some(Err(e)) = check { <span class="error" id="copy-error">{ e.to_string() }</span> }
        </div>
    }
}
