//! The notice of a folder on disk whose handle hides names with ':'. In:
//! the state (the open folder and its report). Out: the notice, and a way
//! to show the page the hidden manifests: the same folder chosen through an
//! `<input webkitdirectory>`, whose listing has them (`tasks::see_hidden`).

use super::state::AppState;
use crate::drive::open as tasks;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub state: UseReducerHandle<AppState>,
    pub notice: String,
}

#[function_component(HiddenNotice)]
pub fn hidden_notice(props: &Props) -> Html {
    let hides = props
        .state
        .store
        .report
        .as_ref()
        .is_some_and(|r| !r.orphans_are_certain());
    html! {
        <div class="warning" role="status" id="notice">
            <p>{ &props.notice }</p>
            if hides { <p><ShowHidden state={props.state.clone()} id="show-hidden" />{ WHY_UPLOAD }</p> }
        </div>
    }
}

const WHY_UPLOAD: &str = " Its listing through that dialog shows every name. The browser then asks whether to “upload” the folder's files to this site: nothing leaves this computer, the page only reads the manifests.";

#[derive(Properties, PartialEq)]
pub struct ShowProps {
    pub state: UseReducerHandle<AppState>,
    /// The button's id; its input's is `{id}-input`.
    pub id: AttrValue,
}

/// "Show them: choose this folder again…": the folder read again through
/// an `<input webkitdirectory>`, whose listing has every name.
#[function_component(ShowHidden)]
pub fn show_hidden(props: &ShowProps) -> Html {
    let state = &props.state;
    let on_files = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let (Some(source), Some(report), Some(list)) = (
                state.store.source.clone(),
                state.store.report.clone(),
                input.files(),
            ) else {
                return;
            };
            tasks::see_hidden(
                state.dispatcher(),
                state.store.generation + 1,
                source.rc(),
                report.rc(),
                list,
            );
        })
    };
    let input = format!("{}-input", props.id);
    html! {
        <>
            <label class="button" id={props.id.clone()} for={input.clone()}>{ "Show them: choose this folder again…" }</label>
            <input id={input} type="file" webkitdirectory={true} multiple={true} hidden={true} onchange={on_files} />
        </>
    }
}
