//! The registry panel. In: the app state (the open folder, its models) and
//! the panel's own [`RegistryState`]. Out: a Pull form (reference, sign-in,
//! part size and parallel parts; "Look up" shows the manifest first, then
//! "Pull into the open folder" or "Pull into an archive…"), a Push form (a
//! model of the open folder to a reference), live progress with Cancel, and
//! the outcome — with the CORS configuration to paste when the browser
//! blocked the registry.

use super::login;
use super::state::registry::{
    CorsHelp, Ended, EngineEvent, Kind, LookedUp, PullRequest, PullTo, PushRequest, RegistryAction,
    RegistryState, TransferOptions, TransferRun,
};
use super::state::AppState;
use crate::core::archive::read::rename::suggest_name;
use crate::core::format::{fixed, human_bytes};
use crate::core::name::ModelName;
use crate::core::registry::RegistryRef;
use crate::drive::registry::client as registry_client;
use crate::web::picker::BrowserSource;
use web_sys::{FileSystemDirectoryHandle, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub state: UseReducerHandle<AppState>,
}

#[derive(Clone, PartialEq, Default)]
struct Fields {
    pull_ref: NodeRef,
    part_mb: NodeRef,
    parallel: NodeRef,
    push_model: NodeRef,
    push_ref: NodeRef,
    store_as: NodeRef,
    login: login::Fields,
}

fn value(node: &NodeRef) -> String {
    node.cast::<HtmlInputElement>()
        .map(|i| i.value())
        .or_else(|| node.cast::<HtmlSelectElement>().map(|s| s.value()))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn options(f: &Fields) -> Result<TransferOptions, String> {
    let credentials = login::credentials(&f.login);
    let mut opts = TransferOptions {
        user: credentials.as_ref().map(|c| c.username.clone()),
        password: credentials.map(|c| c.password),
        ..TransferOptions::default()
    };
    let part = value(&f.part_mb);
    if !part.is_empty() {
        let mb: f64 = part
            .parse()
            .ok()
            .filter(|v: &f64| *v >= 1.0)
            .ok_or("the part size is a number of MB, at least 1")?;
        opts.part_size = Some((mb * 1e6) as u64);
    }
    let parallel = value(&f.parallel);
    if !parallel.is_empty() {
        opts.parallel = Some(
            parallel
                .parse()
                .ok()
                .filter(|v| (1..=64).contains(v))
                .ok_or("parallel parts is a number from 1 to 64")?,
        );
    }
    Ok(opts)
}

/// The reference typed (or looked up) and the transfer options for it.
fn parse_target(f: &Fields, text: &str) -> Result<(RegistryRef, TransferOptions), String> {
    let reference = RegistryRef::parse(text).map_err(|e| e.to_string())?;
    let options = options(f)?;
    Ok((reference, options))
}

/// The open folder's handle and its models folder, when the browser may
/// write to it.
fn folder_of(state: &AppState) -> Option<(FileSystemDirectoryHandle, String)> {
    match state.store.source.as_deref() {
        Some(BrowserSource::Dir(dir)) => Some((
            dir.handle().clone(),
            state.store.report.as_ref()?.models_dir.clone(),
        )),
        _ => None,
    }
}

/// The name to propose for a looked-up model, and why: in a folder that
/// refuses ':' (on disk), a name whose host has a port becomes the name
/// without it (a free variant when the folder has that name with another
/// model).
fn proposed_name(app: &AppState, found: &LookedUp) -> Option<(String, String)> {
    if !app.store.refuses_colons {
        return None;
    }
    let wanted = ModelName::parse(&found.name).ok()?;
    let without = wanted.without_port_host()?;
    let models = app.store.report.as_ref().map_or(&[][..], |r| &r.models[..]);
    let other = |n: &ModelName| {
        models
            .iter()
            .any(|m| m.id != found.id && ModelName::parse(&m.name).ok().as_ref() == Some(n))
    };
    let name = if other(&without) {
        suggest_name(&without, &other)
    } else {
        without
    };
    let name = name.display_shortest();
    let why = format!("In a folder on disk the browser refuses ':' in names, so this model cannot be stored as {} here. It is stored as {name}: the same model and ID under a name without the registry's host, as `ollama cp` would make it. Change the name if you like; `ollama-pack pull` keeps the registry's name.", found.name);
    Some((name, why))
}

/// The "Store as" name typed, checked; `None` when empty.
fn store_as(f: &Fields, app: &AppState, into_folder: bool) -> Result<Option<String>, String> {
    let typed = value(&f.store_as);
    if typed.is_empty() {
        return Ok(None);
    }
    let name = ModelName::parse(&typed).map_err(|e| e.to_string())?;
    if into_folder && app.store.refuses_colons && name.host.contains(':') {
        return Err(format!("{typed}: in a folder on disk the browser refuses ':' in names; store it under a name without the registry's host and port"));
    }
    Ok(Some(name.display_shortest()))
}

/// Engine events go to the panel's state; a finished pull into the folder
/// makes the app read the folder again.
fn on_event(
    reg: &UseReducerHandle<RegistryState>,
    reopen: Option<Callback<()>>,
) -> Callback<EngineEvent> {
    let reg = reg.clone();
    Callback::from(move |event: EngineEvent| {
        if let (EngineEvent::Progress(run), Some(reopen)) = (&event, &reopen) {
            if run.ended.is_some() {
                reopen.emit(());
            }
        }
        reg.dispatch(RegistryAction::Event(event));
    })
}

/// Reads the app's folder again (after a pull wrote into it).
fn reopen(app: &UseReducerHandle<AppState>) -> Option<Callback<()>> {
    let source = app.store.source.clone()?;
    let (dispatch, generation) = (app.dispatcher(), app.store.generation + 1);
    Some(Callback::from(move |()| {
        crate::drive::open::reopen(dispatch.clone(), generation, &source);
    }))
}

#[function_component(RegistryPanel)]
pub fn registry_panel(props: &Props) -> Html {
    let reg = use_reducer(RegistryState::default);
    let fields = use_memo((), |_| Fields::default());
    let error = use_state(|| None::<String>);
    let next_id = reg.run.as_ref().map_or(1, |r| r.id + 1);
    let busy = reg.run.as_ref().is_some_and(|r| r.ended.is_none());
    let folder = folder_of(&props.state);

    let start_pull = {
        let (reg, fields, error, app) = (
            reg.clone(),
            fields.clone(),
            error.clone(),
            props.state.clone(),
        );
        move |to: Option<bool>| {
            let (reg, fields, error, app) =
                (reg.clone(), fields.clone(), error.clone(), app.clone());
            let looked = reg.looked_up.clone();
            Callback::from(move |_: MouseEvent| {
                // "Pull into…" pulls what the look-up showed, whatever was typed since.
                let typed = match (&to, &looked) {
                    (Some(_), Some(l)) => l.reference.clone(),
                    _ => value(&fields.pull_ref),
                };
                let (reference, options) = match parse_target(&fields, &typed) {
                    Ok(parsed) => parsed,
                    Err(e) => return error.set(Some(e)),
                };
                let store_as = match to {
                    Some(into_folder) => match store_as(&fields, &app, into_folder) {
                        Ok(name) => name,
                        Err(e) => return error.set(Some(e)),
                    },
                    None => None,
                };
                error.set(None);
                let size = looked.as_ref().map_or(0, |l| l.total_bytes);
                let (pull_to, folder) = match to {
                    None => (PullTo::LookUp, None),
                    Some(true) => (PullTo::Folder, Some(folder_of(&app))),
                    Some(false) => (PullTo::Archive { size }, None),
                };
                let request = PullRequest {
                    id: next_id,
                    reference: reference.to_string(),
                    options,
                    to: pull_to,
                    store_as,
                };
                let events = on_event(&reg, folder.as_ref().and_then(|_| reopen(&app)));
                let on_error = {
                    let error = error.clone();
                    Callback::from(move |e| error.set(Some(e)))
                };
                registry_client::pull(request, folder, events, on_error);
            })
        }
    };
    let start_push = {
        let (reg, fields, error, app) = (
            reg.clone(),
            fields.clone(),
            error.clone(),
            props.state.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some((picked, _)) = folder_of(&app) else {
                return error.set(Some("open a models folder first (with \"Open models folder\"): push sends one of its models".into()));
            };
            let (reference, options) = match parse_target(&fields, &value(&fields.push_ref)) {
                Ok(parsed) => parsed,
                Err(e) => return error.set(Some(e)),
            };
            error.set(None);
            let request = PushRequest {
                id: next_id,
                model: value(&fields.push_model),
                reference: reference.to_string(),
                options,
            };
            let events = on_event(&reg, None);
            let on_error = {
                let error = error.clone();
                Callback::from(move |e| error.set(Some(e)))
            };
            registry_client::push(request, picked, events, on_error);
        })
    };
    let cancel = {
        let reg = reg.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(run) = &reg.run {
                registry_client::cancel(run.id);
            }
        })
    };
    let models: Vec<String> = props
        .state
        .store
        .report
        .as_ref()
        .map(|r| r.models.iter().map(|m| m.name.clone()).collect())
        .unwrap_or_default();
    let looked = reg.looked_up.clone();
    html! {
        <section class="panel" id="registry">
            <h2>{ "Registry" }</h2>
            <p class="muted">{ "Pull a model from your own registry (Docker Distribution, Harbor, a Caddy-fronted cache) into the open folder or straight into an archive, or push a model of the open folder to one. The registry must allow this page (CORS); if it does not, you get the configuration that fixes it." }</p>
            <div class="row">
                <label>{ "Model " }<input id="pull-ref" ref={fields.pull_ref.clone()} size="48" placeholder="http://127.0.0.1:5000/library/gemma2:2b" /></label>
                <button id="pull-lookup" disabled={busy} onclick={start_pull(None)}>{ "Look up" }</button>
            </div>
            <details id="transfer-settings">
                <summary>{ "Transfer settings" }</summary>
                <label>{ "Part size (MB) " }<input id="pull-part-mb" ref={fields.part_mb.clone()} size="6" placeholder="auto" /></label>
                <label>{ " Parallel parts " }<input id="pull-parallel" ref={fields.parallel.clone()} size="4" placeholder="4" /></label>
            </details>
            <login::LoginFields fields={fields.login.clone()} />
            if let Some(found) = looked {
                { manifest_view(&found) }
                { store_as_field(&fields, &props.state, &found) }
                <div class="row">
                    <button id="pull-to-folder" disabled={busy || folder.is_none()} onclick={start_pull(Some(true))}>{ "Pull into the open folder" }</button>
                    <button id="pull-to-archive" disabled={busy} onclick={start_pull(Some(false))}>{ "Pull into an archive…" }</button>
                    if folder.is_none() { <span class="muted">{ " Open a models folder (with \"Open models folder\") to pull into it." }</span> }
                </div>
            }
            <h3>{ "Push" }</h3>
            if models.is_empty() {
                <p class="muted">{ "Open a models folder to push one of its models." }</p>
            } else {
                <div class="row">
                    <label>{ "Model " }<select id="push-model" ref={fields.push_model.clone()}>
                        { for models.iter().map(|m| html! { <option value={m.clone()}>{ m }</option> }) }
                    </select></label>
                    <label>{ " to " }<input id="push-ref" ref={fields.push_ref.clone()} size="40" placeholder="http://127.0.0.1:5000/team/model:tag" /></label>
                    <button id="push-start" disabled={busy} onclick={start_push}>{ "Push" }</button>
                </div>
            }
            if let Some(message) = (*error).clone() {
                <p class="error" role="alert" id="transfer-error">{ message }</p>
            }
            if let Some(run) = reg.run.clone() {
                { run_view(&run, busy, cancel) }
            }
        </section>
    }
}

fn store_as_field(fields: &Fields, app: &AppState, found: &LookedUp) -> Html {
    let proposed = proposed_name(app, found);
    let value = proposed
        .as_ref()
        .map(|(n, _)| n.clone())
        .unwrap_or_default();
    html! {
        <div class="row">
            <label>{ "Store as " }<input id="pull-as" ref={fields.store_as.clone()} size="40" {value} placeholder={found.name.clone()} /></label>
            if let Some((_, why)) = proposed { <p class="warning" id="pull-as-why">{ why }</p> }
        </div>
    }
}

fn manifest_view(found: &LookedUp) -> Html {
    html! {
        <div id="pull-manifest">
            <p>{ format!("{} — ID {} — {} in {} blobs", found.name, found.id, human_bytes(found.total_bytes), found.layers.len()) }</p>
            <table class="layers">
                <thead><tr><th>{ "Layer" }</th><th>{ "Digest" }</th><th>{ "Size" }</th></tr></thead>
                <tbody>
                    { for found.layers.iter().map(|(kind, digest, size)| html! {
                        <tr><td>{ kind }</td><td><code>{ &digest.to_string()[..19] }</code></td><td>{ human_bytes(*size) }</td></tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}

fn run_view(run: &TransferRun, busy: bool, cancel: Callback<MouseEvent>) -> Html {
    let percent = if run.total_bytes == 0 {
        0.0
    } else {
        run.done_bytes as f64 / run.total_bytes as f64 * 100.0
    };
    let left = run
        .seconds_left()
        .map_or(String::new(), |s| format!(" · {} s left", fixed(s, 0)));
    let verb = if run.kind == Kind::Push {
        "sent"
    } else {
        "downloaded"
    };
    html! {
        <div id="transfer" data-run={run.id.to_string()}>
            <p id="transfer-title">{ &run.title }</p>
            if run.kind != Kind::LookUp {
                <progress id="transfer-progress" max="100" value={fixed(percent, 1)}></progress>
                <p class="muted" id="transfer-rate">{ format!("{} of {} · blob {} of {} · {} {verb} · {} MB/s{left}", human_bytes(run.done_bytes), human_bytes(run.total_bytes), run.blobs_done.min(run.blobs), run.blobs, human_bytes(run.moved_bytes), fixed(run.speed() / 1e6, 0)) }</p>
                if !run.step.is_empty() { <p class="muted" id="transfer-step">{ &run.step }</p> }
            }
            if busy { <button id="transfer-cancel" onclick={cancel}>{ "Cancel" }</button> }
            { ended_view(run) }
        </div>
    }
}

fn ended_view(run: &TransferRun) -> Html {
    match &run.ended {
        None => Html::default(),
        Some(Ended::Done(words)) => html! { <p class="info" id="transfer-result">{ words }</p> },
        Some(Ended::Cancelled(words)) => {
            html! { <p class="warning" id="transfer-cancelled">{ words }</p> }
        }
        Some(Ended::Failed { message, .. }) => html! {
            <div class="error" role="alert" id="transfer-failed">
                <p>{ message }</p>
                { run.cors.as_ref().map(cors_view).unwrap_or_default() }
            </div>
        },
    }
}

/// Why the browser refused, and the configuration that fixes it.
fn cors_view(help: &CorsHelp) -> Html {
    html! {
        <div id="cors-help">
            <p><strong>{ &help.headline }</strong>{ &help.detail }</p>
            if let Some(ollama) = &help.ollama { <p id="cors-ollama">{ ollama }</p> }
            <p>{ &help.registry_intro }</p>
            <pre id="cors-registry-config">{ &help.registry_config }</pre>
            <p>{ &help.caddy_intro }</p>
            <pre id="cors-caddy-config">{ &help.caddy_config }</pre>
        </div>
    }
}
