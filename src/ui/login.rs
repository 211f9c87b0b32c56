//! Sign-in for registries. In: what the user typed (user name, password or
//! access token). Out: [`Credentials`] for the transfer. Kept in this tab's
//! memory only: the page stores no sign-in anywhere (the fields are a
//! form the browser's own password manager can fill, if the user saved
//! one there).

use crate::core::registry::Credentials;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Clone, PartialEq, Default)]
pub struct Fields {
    pub user: NodeRef,
    pub password: NodeRef,
}

/// The typed sign-in, or none (anonymous).
pub fn credentials(f: &Fields) -> Option<Credentials> {
    let text = |n: &NodeRef| {
        n.cast::<HtmlInputElement>()
            .map(|i| i.value())
            .unwrap_or_default()
    };
    let user = text(&f.user).trim().to_string();
    (!user.is_empty()).then(|| Credentials::new(user, text(&f.password)))
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub fields: Fields,
}

#[function_component(LoginFields)]
pub fn login_fields(props: &Props) -> Html {
    let f = &props.fields;
    let no_submit = Callback::from(|e: SubmitEvent| e.prevent_default());
    html! {
        <details id="login">
            <summary>{ "Sign in (HTTP Basic or a token login; anonymous when empty)" }</summary>
            <form onsubmit={no_submit}>
                <label>{ "User " }<input id="reg-user" ref={f.user.clone()} autocomplete="username" /></label>
                <label>{ " Password or token " }<input id="reg-password" type="password" ref={f.password.clone()} autocomplete="current-password" /></label>
            </form>
            <p class="muted" id="login-kept">{ "Kept in this tab's memory only, and sent only to the registry you name: this page stores no sign-in (your browser's password manager can fill these fields if you saved one there)." }</p>
        </details>
    }
}
