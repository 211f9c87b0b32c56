//! The verify panel. In: the state (the open store, the current run). Out:
//! the Verify controls (all models, orphans, quick check, workers), live
//! progress overall and per blob with MB/s and time left, Cancel, and the
//! results: every problem blob and a verdict per model.

use super::state::verify::{RunState, VerifyOptions, VerifyRun};
use super::state::{AppState, VerifyAction};
use crate::core::format::{fixed, human_bytes};
use crate::drive::{self, verify as verify_task};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub state: UseReducerHandle<AppState>,
}

fn percent(done: u64, total: u64) -> f64 {
    if total == 0 {
        100.0
    } else {
        done as f64 / total as f64 * 100.0
    }
}

fn progress(run: &VerifyRun) -> Html {
    let speed = run.speed();
    let left = run
        .seconds_left()
        .map_or(String::new(), |s| format!(" · {} s left", fixed(s, 0)));
    html! {
        <div id="verify-progress-box">
            <progress id="verify-progress" max="100" value={fixed(percent(run.done_bytes(), run.total_bytes), 1)}></progress>
            <p class="muted" id="verify-rate">{ format!("{} of {} · {} MB/s{left} · {} worker(s)", human_bytes(run.done_bytes()), human_bytes(run.total_bytes), fixed(speed / 1e6, 0), run.workers) }</p>
            <ul class="in-flight">{ for run.in_flight.iter().map(|(job, done)| {
                let check = &run.jobs[*job];
                html! { <li><code>{ &check.digest.hex()[..12] }</code>{ " " }<progress max="100" value={fixed(percent(*done, check.expected_size), 1)}></progress>{ format!(" {}", human_bytes(check.expected_size)) }</li> }
            }) }</ul>
        </div>
    }
}

fn results(run: &VerifyRun) -> Html {
    let Some(report) = &run.report else {
        return Html::default();
    };
    let cancelled = run.state == (RunState::Done { cancelled: true });
    let problems: Vec<_> = run.outcomes.iter().filter(|(_, o)| !o.is_ok()).collect();
    let checked = run.outcomes.len();
    let verdict = if cancelled {
        format!(
            "Cancelled: {checked} of {} blobs checked.",
            run.plan.checks.len()
        )
    } else if problems.is_empty() {
        format!("All {checked} blobs are intact.")
    } else {
        format!("{} of {checked} blobs have a problem.", problems.len())
    };
    let class = if problems.is_empty() && !cancelled {
        "info"
    } else if cancelled {
        "warning"
    } else {
        "error"
    };
    html! {
        <div id="verify-results" data-run={run.id.to_string()} data-reads={run.reads_label()}>
            <p id="verify-verdict" class={class}>{ verdict }</p>
            if !problems.is_empty() {
                <table id="verify-problems"><thead><tr><th>{ "Blob" }</th><th>{ "Result" }</th><th>{ "Used by" }</th></tr></thead><tbody>
                { for problems.iter().map(|(digest, outcome)| {
                    let users = run.plan.checks.iter().find(|c| &c.digest == *digest).map(|c| c.models.join(", ")).unwrap_or_default();
                    html! { <tr data-digest={digest.to_string()} data-outcome={outcome.label()}><td class="mono">{ digest.to_string() }</td><td>{ outcome.describe() }</td><td>{ users }</td></tr> }
                }) }
                </tbody></table>
            }
            <ul id="verify-models">{ for report.models.iter().map(|m| html! {
                <li data-model={m.name.clone()} class={if m.ok { "ok" } else { "bad" }}>{ format!("{}: {}", m.name, if m.ok { "intact" } else { "PROBLEMS" }) }</li>
            }) }</ul>
        </div>
    }
}

#[function_component(VerifyPanel)]
pub fn verify_panel(props: &Props) -> Html {
    let state = &props.state;
    let running = state.verify.is_running();
    let verify_all = {
        let state = state.clone();
        Callback::from(move |_| verify_task::start(&state, Vec::new()))
    };
    let options = state.verify.options;
    // The panel's controls are the verify options in the state.
    let set = |change: fn(&mut VerifyOptions, &HtmlInputElement)| {
        let dispatch = state.dispatcher();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut next = options;
            change(&mut next, &input);
            drive::send(&dispatch, VerifyAction::Options(next));
        })
    };
    let on_orphans = set(|o, i| o.orphans = i.checked());
    let on_quick = set(|o, i| o.quick = i.checked());
    let on_workers = set(|o, i| {
        if let Ok(n) = i.value().parse() {
            o.workers = n;
        }
    });
    let cancel = Callback::from(|_| verify_task::cancel());
    html! {
        <section class="verify" id="verify">
            <h2>{ "Verify" }</h2>
            <p class="muted">{ "Re-hashes every blob with SHA-256 in this tab (several Web Workers, a few MiB at a time) and compares it with its name and manifest." }</p>
            <div class="toolbar">
                <button id="verify-all" class="primary" onclick={verify_all} disabled={running}>{ "Verify all blobs" }</button>
                <label><input type="checkbox" id="verify-orphans" checked={options.orphans} onchange={on_orphans} />{ " include orphaned blobs" }</label>
                <label title="Skip blobs verified ok in this session whose size and modification time have not changed"><input type="checkbox" id="verify-quick" checked={options.quick} onchange={on_quick} />{ " quick check" }</label>
                <label>{ "workers " }<input type="number" id="verify-workers" min="1" max="16" value={options.workers.to_string()} onchange={on_workers} style="width:4em" /></label>
                if running { <button id="verify-cancel" onclick={cancel}>{ "Cancel" }</button> }
            </div>
            if let Some(run) = &state.verify.run {
                <p id="verify-scope" data-run={run.id.to_string()} data-bytes={run.total_bytes.to_string()}>{ format!("Verifying {}: {} blob(s), {} to read.", run.scope, run.plan.checks.len(), human_bytes(run.total_bytes)) }</p>
                if let Some(e) = &run.error { <p class="error">{ e }</p> }
                if running { { progress(run) } }
                { results(run) }
            }
        </section>
    }
}
