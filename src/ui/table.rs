//! The models table, like `ollama list` and more. In: the report, the sort
//! column and filter text from the state. Out: a sortable, filterable table
//! whose rows select a model.

use super::state::{AppState, Column, PackAction, StoreAction};
use crate::core::format::{human_bytes, relative_time};
use crate::core::store::ModelReport;
use crate::drive::send;
use crate::web::js::epoch_ms;
use std::cmp::Ordering;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub state: UseReducerHandle<AppState>,
    pub on_select: Callback<Option<String>>,
}

const COLUMNS: [(Column, &str); 8] = [
    (Column::Name, "Name"),
    (Column::Id, "ID"),
    (Column::Size, "Size"),
    (Column::Modified, "Modified"),
    (Column::Family, "Family"),
    (Column::Params, "Parameters"),
    (Column::Quant, "Quantization"),
    (Column::Frees, "Removing frees"),
];

/// "8.0B" → 8e9, "135M" → 1.35e8: parameter sizes compared as numbers.
fn param_count(text: Option<&String>) -> f64 {
    let Some(t) = text else { return -1.0 };
    let (num, unit) = t.split_at(t.trim_end_matches(|c: char| c.is_ascii_alphabetic()).len());
    let scale = match unit.to_ascii_uppercase().as_str() {
        "T" => 1e12,
        "B" => 1e9,
        "M" => 1e6,
        "K" => 1e3,
        _ => 1.0,
    };
    num.parse::<f64>().map_or(-1.0, |n| n * scale)
}

// Names, IDs, families and quantizations are ASCII (Ollama's name rules), so
// ASCII case folding is enough; Unicode's would add its case tables to the
// app's WebAssembly (measured: 7.9 KB of the 400 KB gzipped budget).
fn compare(column: Column, a: &ModelReport, b: &ModelReport) -> Ordering {
    match column {
        Column::Name => a
            .name
            .to_ascii_lowercase()
            .cmp(&b.name.to_ascii_lowercase()),
        Column::Id => a.id.cmp(&b.id),
        Column::Size => a.size.cmp(&b.size),
        Column::Modified => a.modified_ms.cmp(&b.modified_ms),
        Column::Family => a.family.cmp(&b.family),
        Column::Params => param_count(a.parameter_size.as_ref())
            .total_cmp(&param_count(b.parameter_size.as_ref())),
        Column::Quant => a.quantization.cmp(&b.quantization),
        Column::Frees => a.frees.cmp(&b.frees),
    }
}

fn matches(m: &ModelReport, filter: &str) -> bool {
    let f = filter.trim().to_ascii_lowercase();
    f.is_empty()
        || [
            Some(&m.name),
            Some(&m.id),
            m.family.as_ref(),
            m.quantization.as_ref(),
            m.parameter_size.as_ref(),
        ]
        .into_iter()
        .flatten()
        .any(|v| v.to_ascii_lowercase().contains(&f))
}

fn header(state: &UseReducerHandle<AppState>, column: Column, label: &str) -> Html {
    let (sorted, descending) = state.store.sort;
    let arrow = if sorted != column {
        ""
    } else if descending {
        " ▼"
    } else {
        " ▲"
    };
    let aria = if sorted != column {
        "none"
    } else if descending {
        "descending"
    } else {
        "ascending"
    };
    let dispatch = state.dispatcher();
    html! {
        <th aria-sort={aria}>
            <button class="sort" onclick={Callback::from(move |_| send(&dispatch, StoreAction::Sort(column)))}>{ format!("{label}{arrow}") }</button>
        </th>
    }
}

fn row(
    m: &ModelReport,
    selected: bool,
    ticked: bool,
    state: &UseReducerHandle<AppState>,
    on_select: &Callback<Option<String>>,
) -> Html {
    let tick = {
        let (dispatch, name) = (state.dispatcher(), m.name.clone());
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            send(&dispatch, PackAction::Toggle(name.clone()));
        })
    };
    let name = m.name.clone();
    let onclick = on_select.reform(move |_| Some(name.clone()));
    let dash = || "–".to_string();
    let problems = m
        .layers
        .iter()
        .chain(std::iter::once(&m.config_blob))
        .any(|l| l.status != crate::core::store::report::BlobStatus::Present);
    html! {
        <tr class={classes!(selected.then_some("selected"), problems.then_some("has-problem"))} data-name={m.name.clone()} {onclick} tabindex="0">
            <td class="name"><input type="checkbox" class="pack-tick" checked={ticked} onclick={tick} aria-label={format!("Select {} for packing", m.name)} />{ &m.name }if problems { <span class="badge bad" title="a blob is missing or has the wrong size">{ "!" }</span> }</td>
            <td class="id mono">{ &m.id }</td>
            <td class="size" title={format!("{} bytes", m.size)} data-bytes={m.size.to_string()}>{ human_bytes(m.size) }</td>
            <td class="modified" title={m.modified.clone().unwrap_or_default()}>{ m.modified_ms.map(|t| relative_time(t, epoch_ms())).unwrap_or_else(dash) }</td>
            <td class="family">{ m.family.clone().unwrap_or_else(dash) }</td>
            <td class="params">{ m.parameter_size.clone().unwrap_or_else(dash) }</td>
            <td class="quant">{ m.quantization.clone().unwrap_or_else(dash) }</td>
            <td class="frees" title={format!("{} bytes", m.frees)}>{ human_bytes(m.frees) }</td>
        </tr>
    }
}

#[function_component(ModelsTable)]
pub fn models_table(props: &Props) -> Html {
    let state = &props.state;
    let Some(report) = state.store.report.as_ref() else {
        return Html::default();
    };
    let (column, descending) = state.store.sort;
    let mut models: Vec<&ModelReport> = report
        .models
        .iter()
        .filter(|m| matches(m, &state.store.filter))
        .collect();
    models.sort_by(|a, b| {
        let o = compare(column, a, b).then_with(|| a.name.cmp(&b.name));
        if descending {
            o.reverse()
        } else {
            o
        }
    });
    let on_filter = {
        let dispatch = state.dispatcher();
        Callback::from(move |e: InputEvent| {
            send(
                &dispatch,
                StoreAction::Filter(e.target_unchecked_into::<HtmlInputElement>().value()),
            )
        })
    };
    let shown = models.len();
    html! {
        <section class="models">
            <div class="table-tools">
                <h2>{ format!("Models ({})", report.models.len()) }</h2>
                <input id="filter" type="search" placeholder="Filter by name, ID, family, quantization…" value={state.store.filter.clone()} oninput={on_filter} aria-label="Filter models" />
                if shown != report.models.len() { <span class="muted">{ format!("{shown} shown") }</span> }
            </div>
            <table id="models">
                <thead><tr>{ for COLUMNS.iter().map(|(c, l)| header(state, *c, l)) }</tr></thead>
                <tbody>{ for models.iter().map(|m| row(m, state.store.selected.as_deref() == Some(&m.name), state.pack.selection.contains(&m.name), state, &props.on_select)) }</tbody>
            </table>
            if report.models.is_empty() { <p class="muted">{ "This models folder holds no models." }</p> }
        </section>
    }
}
