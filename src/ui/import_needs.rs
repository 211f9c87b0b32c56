//! What a checked archive needs before it can be imported, beyond the
//! choices for conflicts. In: the checked archive and the open folder's
//! report. Out: the blobs its models need that neither the archive nor the
//! folder has (ollama-tool-cli's zips carry no config blob), named with how
//! to get them; and, for a direct download (no model name in it), the name
//! field, checked as typed.

use crate::core::archive::read::{CheckedArchive, FLAT_PLACEHOLDER};
use crate::core::name::ModelName;
use crate::core::store::StoreReport;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Each model's blobs that neither the archive nor the folder has:
/// (model, "sha256:… (config)").
pub fn lacking(checked: &CheckedArchive, store: &StoreReport) -> Vec<(String, String)> {
    checked
        .models
        .iter()
        .flat_map(|m| {
            m.absent
                .iter()
                .filter(|a| !store.has_blob(&a.digest))
                .map(|a| (m.name.clone(), a.to_string()))
        })
        .collect()
}

pub fn missing_blobs(lacking: &[(String, String)]) -> Html {
    if lacking.is_empty() {
        return Html::default();
    }
    let models: Vec<&str> = lacking.iter().map(|(m, _)| m.as_str()).collect();
    html! {
        <div id="import-missing" class="error">
            <p>{ "This archive cannot be imported into this folder: it does not carry every blob its models need, and the folder does not have them either. Nothing will be written." }</p>
            <ul>{ for lacking.iter().map(|(m, b)| html! { <li>{ format!("{m} needs {b}") }</li> }) }</ul>
            <p>{ format!("Get them by pulling the model from its registry (ollama pull {}, or \"Pull from a registry\" here): a pull downloads only what the folder is missing, the archive's blobs are then already there. Or import into a folder that has the model already.", models[0]) }</p>
        </div>
    }
}

/// The name typed for a direct download, checked: Ollama's rules, no ':'
/// in a folder that refuses it, and not a name the folder has with other
/// content.
pub fn check_flat_name(
    text: &str,
    checked: &CheckedArchive,
    store: &StoreReport,
    refuses_colons: bool,
) -> Result<ModelName, String> {
    if text.trim().is_empty() {
        return Err("A direct download holds no model name: type the name to import it under (as in ollama pull NAME).".into());
    }
    let mut name = ModelName::parse(text.trim()).map_err(|e| e.to_string())?;
    if refuses_colons {
        name = refuse_colon(name)?;
    }
    let shown = name.display_shortest();
    let id = checked.models.first().map(|m| m.id.as_str());
    match store
        .models
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(&shown))
    {
        Some(m) if Some(m.id.as_str()) != id => Err(format!(
            "The folder has {} with other content (ID {}): choose another name, or remove that model first.",
            m.name, m.id
        )),
        _ if shown == FLAT_PLACEHOLDER => Err("Choose the model's real name.".into()),
        _ => Ok(name),
    }
}

/// `name`, unless its registry host has a port (refused in a folder on
/// disk, where the browser refuses ':' in names).
pub fn refuse_colon(name: ModelName) -> Result<ModelName, String> {
    if name.host.contains(':') {
        return Err(format!(
            "{}: the browser refuses ':' in names in a folder on disk",
            name.display_shortest()
        ));
    }
    Ok(name)
}

#[derive(Properties, PartialEq)]
pub struct FlatNameProps {
    pub text: String,
    pub error: Option<String>,
    pub on_text: Callback<String>,
}

#[function_component(FlatName)]
pub fn flat_name(props: &FlatNameProps) -> Html {
    let on_input = {
        let on_text = props.on_text.clone();
        Callback::from(move |e: InputEvent| {
            on_text.emit(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    html! {
        <div id="flat-name-row" class="warning">
            <p>{ "This is a direct download: a manifest and its blobs, without the model's name. Name it as you would pull it:" }</p>
            <label>{ "Import as " }<input id="flat-name" value={props.text.clone()} oninput={on_input} placeholder="gemma2:2b" /></label>
            if let Some(e) = &props.error { <p class="error" id="flat-name-error">{ e }</p> }
        </div>
    }
}
