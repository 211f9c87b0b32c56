//! What the engine's pull and push share: where their events go,
//! when a stalled transfer is retried, a registry's URL, and the help the
//! page shows when the browser blocked a registry (CORS).

use crate::core::registry::cors::{caddy_config, is_ollama_registry, registry_config};
use crate::core::registry::RegistryRef;
use crate::ui::state::registry::{CorsHelp, Ended, EngineEvent, TransferRun};
use crate::web::fetch::page_origin;
use std::rc::Rc;

/// Where a run's events go (to the app, as JSON).
pub type Emit = Rc<dyn Fn(EngineEvent)>;

/// A stalled transfer is retried after this long without data.
pub const STALL_MS: u32 = 30_000;

/// `scheme://host[:port]` of the reference's registry.
pub fn registry_url(r: &RegistryRef) -> String {
    format!("{}://{}", r.scheme.as_str(), r.host)
}

/// What the panel shows when the browser blocked the registry at
/// `upstream` (`scheme://host[:port]`): `why`, and the registry:2 and Caddy
/// configurations, filled in with this page's origin.
pub fn cors_help(upstream: &str, why: &str) -> CorsHelp {
    let origin = page_origin();
    let host = upstream.split_once("://").map_or(upstream, |(_, h)| h);
    CorsHelp {
        headline: format!("This registry does not allow requests from this page ({origin})."),
        detail: format!(" The browser blocked the answer: {why}. Nothing was changed."),
        ollama: is_ollama_registry(host).then(|| format!("{host} is Ollama's own registry: it does not allow requests from web pages, so no browser app can pull from it directly. Use the command line (ollama-pack pull {host}/library/MODEL:TAG -o MODEL.ollama.tar) or put the Caddy proxy below in front of it.")),
        registry_intro: format!("To allow it, add this to the registry's config.yml ({host}, Docker Distribution / registry:2) and restart it:"),
        registry_config: registry_config(&origin),
        caddy_intro: "Or, when the registry asks for a login (its preflight answer is then refused), put Caddy in front of it and use port 5001:".into(),
        caddy_config: caddy_config(&origin, upstream),
    }
}

/// Adds the CORS help to a run that failed because the browser blocked it.
pub fn explain_block(run: &mut TransferRun) {
    if let Some(Ended::Failed {
        blocked: Some(why), ..
    }) = &run.ended
    {
        run.cors = Some(cors_help(&run.registry, why));
    }
}
