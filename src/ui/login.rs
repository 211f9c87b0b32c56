//! Sign-in for registries. In: what the user typed (user name, password or
//! access token, "remember on this device"). Out: [`Credentials`] for a
//! host — from the fields, or from this browser's storage only when the
//! user asked to remember them for that host. Kept in memory otherwise.

use crate::core::registry::Credentials;
use crate::web::js::{call, prop, window};
use wasm_bindgen::JsValue;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Clone, PartialEq, Default)]
pub struct Fields {
    pub user: NodeRef,
    pub password: NodeRef,
    pub remember: NodeRef,
}

const KEY_PREFIX: &str = "ollama-pack.login.";

fn storage() -> Option<JsValue> {
    window().ok().and_then(|w| prop(&w.into(), "localStorage"))
}

fn remembered(host: &str) -> Option<Credentials> {
    let key = format!("{KEY_PREFIX}{}", host.to_ascii_lowercase());
    let text = call(&storage()?, "getItem", &[key.into()])
        .ok()?
        .as_string()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(Credentials::new(
        v["user"].as_str()?,
        v["password"].as_str()?,
    ))
}

fn remember(host: &str, user: &str, password: &str) {
    let key = format!("{KEY_PREFIX}{}", host.to_ascii_lowercase());
    let value = serde_json::json!({ "user": user, "password": password }).to_string();
    if let Some(s) = storage() {
        let _ = call(&s, "setItem", &[key.into(), value.into()]);
    }
}

/// Forgets every remembered sign-in.
fn forget_all() {
    let Some(s) = storage() else { return };
    let keys: Vec<String> = (0..)
        .map_while(|i: u32| call(&s, "key", &[i.into()]).ok()?.as_string())
        .filter(|k| k.starts_with(KEY_PREFIX))
        .collect();
    for key in keys {
        let _ = call(&s, "removeItem", &[key.into()]);
    }
}

/// The sign-in for `host`: the typed one (remembered if asked), else a
/// remembered one, else none (anonymous).
pub fn credentials(f: &Fields, host: &str) -> Option<Credentials> {
    let text = |n: &NodeRef| {
        n.cast::<HtmlInputElement>()
            .map(|i| i.value())
            .unwrap_or_default()
    };
    let user = text(&f.user).trim().to_string();
    if user.is_empty() {
        return remembered(host);
    }
    let password = text(&f.password);
    if f.remember
        .cast::<HtmlInputElement>()
        .is_some_and(|c| c.checked())
    {
        remember(host, &user, &password);
    }
    Some(Credentials::new(user, password))
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub fields: Fields,
}

#[function_component(LoginFields)]
pub fn login_fields(props: &Props) -> Html {
    let f = &props.fields;
    let forgotten = use_state(|| false);
    let forget = {
        let forgotten = forgotten.clone();
        Callback::from(move |_: MouseEvent| {
            forget_all();
            forgotten.set(true);
        })
    };
    html! {
        <details id="login">
            <summary>{ "Sign in (HTTP Basic or a token login; anonymous when empty)" }</summary>
            <label>{ "User " }<input id="reg-user" ref={f.user.clone()} autocomplete="username" /></label>
            <label>{ " Password or token " }<input id="reg-password" type="password" ref={f.password.clone()} autocomplete="current-password" /></label>
            <label><input id="reg-remember" type="checkbox" ref={f.remember.clone()} />{ " Remember on this device (stored unencrypted in this browser)" }</label>
            <button id="reg-forget" onclick={forget}>{ "Forget remembered sign-ins" }</button>
            if *forgotten { <span class="muted">{ " Forgotten." }</span> }
            <p class="muted">{ "Kept in this tab's memory only, unless you tick Remember." }</p>
        </details>
    }
}
