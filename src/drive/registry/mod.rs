//! The registry panel's drivers. In the app: [`client`] starts runs in
//! the engine module (`dist/engine/`, through `drive::engine_link`). In that module (feature `engine-module`):
//! [`engine`]'s exports run pulls ([`pull`]) and pushes ([`push`]) on the
//! core's machines and report [`common::Emit`] events back.

pub mod client;
#[cfg(feature = "engine-module")]
pub mod common;
#[cfg(feature = "engine-module")]
pub mod engine;
#[cfg(feature = "engine-module")]
mod pull;
#[cfg(feature = "engine-module")]
mod push;
