//! The Yew app (placeholder until the inspector UI lands): renders the page.

use yew::prelude::*;

#[function_component(App)]
fn app() -> Html {
    html! { <main><h1>{ "ollama-pack" }</h1></main> }
}

pub fn start() {
    yew::Renderer::<App>::new().render();
}
