//! One model in depth. In: the state and the selected model's name. Out:
//! its facts, every layer (kind, digest, size, status, who shares it), the
//! config JSON, bounded previews of its text layers and the GGUF header of
//! its weights. Starts preview loads for layers not read yet.

use super::state::{AppState, Loaded, StoreState};
use crate::core::format::{human_bytes, iso8601_utc};
use crate::core::manifest::LayerKind;
use crate::core::store::report::{BlobStatus, LayerReport};
use crate::core::store::ModelReport;
use crate::drive::open as tasks;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub state: UseReducerHandle<AppState>,
    pub model: String,
    pub on_close: Callback<()>,
}

fn status(l: &LayerReport) -> Html {
    match l.status {
        BlobStatus::Present => html! { <span class="ok">{ "present" }</span> },
        BlobStatus::Missing => html! { <span class="bad">{ "missing" }</span> },
        BlobStatus::SizeMismatch { actual } => {
            html! { <span class="bad">{ format!("wrong size: {actual} bytes on disk") }</span> }
        }
    }
}

fn layer_row(l: &LayerReport) -> Html {
    let shared = if l.shared_with.is_empty() {
        "–".to_string()
    } else {
        l.shared_with.join(", ")
    };
    html! {
        <tr data-digest={l.digest.to_string()}>
            <td class="kind" title={l.media_type.clone()}>{ &l.kind }{ l.name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default() }</td>
            <td class="mono digest" title={l.digest.to_string()}>{ &l.digest.hex()[..12] }</td>
            <td class="size" title={format!("{} bytes", l.size)}>{ human_bytes(l.size) }</td>
            <td class="status">{ status(l) }</td>
            <td class="shared">{ shared }</td>
        </tr>
    }
}

fn text_layers(m: &ModelReport) -> Vec<&LayerReport> {
    m.layers
        .iter()
        .filter(|l| LayerKind::of(&l.media_type).is_text() && l.status == BlobStatus::Present)
        .collect()
}

fn preview(state: &StoreState, l: &LayerReport) -> Html {
    let body = match state.previews.get(&l.digest) {
        None | Some(Loaded::Loading) => html! { <p class="muted">{ "Reading…" }</p> },
        Some(Loaded::Failed(e)) => {
            html! { <p class="error">{ format!("Could not read: {e}") }</p> }
        }
        Some(Loaded::Done(p)) => html! {
            <>
                <pre class="preview">{ &p.text }</pre>
                if p.truncated { <p class="muted">{ format!("First {} of {} shown.", human_bytes(tasks::PREVIEW_BYTES as u64), human_bytes(l.size)) }</p> }
            </>
        },
    };
    html! { <details class="layer-text" open=true><summary>{ &l.kind }</summary>{ body }</details> }
}

fn gguf_section(state: &StoreState, m: &ModelReport) -> Html {
    let Some(weights) = m
        .layers
        .iter()
        .find(|l| LayerKind::of(&l.media_type) == LayerKind::Model)
    else {
        return html! { <p class="muted">{ "This model has no GGUF weights layer." }</p> };
    };
    let rows = match state.gguf.get(&weights.digest) {
        None if weights.status != BlobStatus::Present => {
            return html! { <p class="error">{ "The weights blob is missing or incomplete; its header cannot be read." }</p> }
        }
        None | Some(Loaded::Loading) => {
            return html! { <p class="muted">{ "Reading the GGUF header…" }</p> }
        }
        Some(Loaded::Failed(e)) => {
            return html! { <p class="error" id="gguf-error">{ format!("The GGUF header could not be read: {e}") }</p> }
        }
        Some(Loaded::Done(v)) => serde_json::to_value(&**v).unwrap_or_default(),
    };
    let Some(fields) = rows.as_object() else {
        return Html::default();
    };
    html! {
        <table class="kv" id="gguf">
            <tbody>
            { for fields.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| html! {
                <tr data-key={k.clone()}><th>{ k.replace('_', " ") }</th><td>{ v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()) }</td></tr>
            }) }
            </tbody>
        </table>
    }
}

#[function_component(ModelDetail)]
pub fn model_detail(props: &Props) -> Html {
    let state = &props.state;
    let report = state.store.report.clone();
    let model = report.as_ref().and_then(|r| r.model(&props.model));
    {
        let (state, name) = (state.clone(), props.model.clone());
        use_effect_with(name, move |name| {
            let report = state.store.report.clone();
            if let (Some(source), Some(m)) = (
                state.store.source.clone(),
                report.as_ref().and_then(|r| r.model(name)),
            ) {
                let todo: Vec<_> = text_layers(m)
                    .into_iter()
                    .filter(|l| !state.store.previews.contains_key(&l.digest))
                    .map(|l| l.digest.clone())
                    .collect();
                if !todo.is_empty() {
                    let root = report
                        .as_ref()
                        .map(|r| r.models_dir.clone())
                        .unwrap_or_default();
                    tasks::load_previews(
                        state.dispatcher(),
                        state.store.generation,
                        source.rc(),
                        root,
                        todo,
                    );
                }
            }
        });
    }
    let Some(m) = model else {
        return Html::default();
    };
    let close = props.on_close.reform(|_| ());
    let verify_this = {
        let (state, name) = (state.clone(), m.name.clone());
        Callback::from(move |_| crate::drive::verify::start(&state, vec![name.clone()]))
    };
    html! {
        <section class="detail" id="detail" aria-label={format!("Model {}", m.name)}>
            <div class="detail-head"><h2>{ &m.name }</h2><button id="verify-model" onclick={verify_this}>{ "Verify this model" }</button><button class="close" onclick={close} aria-label="Close">{ "×" }</button></div>
            <dl class="facts">
                <dt>{ "ID" }</dt><dd class="mono" id="detail-id">{ &m.id }</dd>
                <dt>{ "Manifest" }</dt><dd class="mono">{ &m.manifest_path }</dd>
                <dt>{ "Manifest digest" }</dt><dd class="mono">{ m.manifest_digest.to_string() }</dd>
                <dt>{ "Size" }</dt><dd>{ format!("{} ({} bytes)", human_bytes(m.size), m.size) }</dd>
                <dt>{ "Modified" }</dt><dd>{ m.modified.clone().unwrap_or_default() }</dd>
                <dt>{ "Removing it frees" }</dt><dd>{ human_bytes(m.frees) }</dd>
            </dl>
            <super::manage::ModelActions state={state.clone()} model={m.name.clone()} />
            <h3>{ "Layers" }</h3>
            <table class="layers" id="layers">
                <thead><tr><th>{ "Kind" }</th><th>{ "Digest" }</th><th>{ "Size" }</th><th>{ "On disk" }</th><th>{ "Shared with" }</th></tr></thead>
                <tbody>{ layer_row(&m.config_blob) }{ for m.layers.iter().map(layer_row) }</tbody>
            </table>
            <h3>{ "GGUF header" }</h3>
            { gguf_section(&state.store, m) }
            <h3>{ "Config" }</h3>
            <pre class="preview" id="config-json">{ m.config.as_ref().and_then(|c| serde_json::to_string_pretty(c).ok()).unwrap_or_else(|| "(config blob not readable)".into()) }</pre>
            { for text_layers(m).into_iter().map(|l| preview(&state.store, l)) }
            <p class="muted">{ format!("Manifest written {}", m.modified_ms.map(iso8601_utc).unwrap_or_default()) }</p>
        </section>
    }
}
