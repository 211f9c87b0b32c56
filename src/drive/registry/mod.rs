//! The registry panel's drivers. In the app: [`client`] loads the registry
//! engine module (`dist/registry/`) the first time the panel is used and
//! calls its exports. In that module (feature `registry-module`):
//! [`engine`]'s exports run pulls ([`pull`]) and pushes ([`push`]) on the
//! core's machines and report [`common::Emit`] events back.

pub mod client;
#[cfg(feature = "registry-module")]
pub mod common;
#[cfg(feature = "registry-module")]
pub mod engine;
#[cfg(feature = "registry-module")]
mod pull;
#[cfg(feature = "registry-module")]
mod push;
