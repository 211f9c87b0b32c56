//! What the app keeps in this browser between visits: the last folder on
//! disk (a handle in IndexedDB, `web::remember`), and nothing else. In:
//! the app's start. Out: sign-ins an older version of the app stored in
//! plain text (localStorage `ollama-pack.login.*`) are deleted.

use crate::web::js::{call, prop, window};

const OLD_LOGIN_PREFIX: &str = "ollama-pack.login.";

/// Deletes the plain-text sign-ins older versions kept.
pub fn forget_old_logins() {
    let Some(storage) = window().ok().and_then(|w| prop(&w.into(), "localStorage")) else {
        return;
    };
    let keys: Vec<String> = (0..)
        .map_while(|i: u32| call(&storage, "key", &[i.into()]).ok()?.as_string())
        .filter(|k| k.starts_with(OLD_LOGIN_PREFIX))
        .collect();
    for key in keys {
        let _ = call(&storage, "removeItem", &[key.into()]);
    }
}
