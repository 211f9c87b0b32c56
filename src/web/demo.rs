//! The demo folder. In: a click. Out: the core's demo store written afresh
//! into the Origin Private File System and opened like a picked folder.

use super::dir_source::DirSource;
use super::js::WebError;
use super::opfs;
use super::picker::BrowserSource;
use crate::core::demo::demo_store;

/// The OPFS folder the demo lives in (it plays `~/.ollama`).
pub const DEMO_FOLDER: &str = "ollama-pack-demo";

pub async fn open_demo() -> Result<BrowserSource, WebError> {
    let handle = opfs::write_tree(DEMO_FOLDER, &demo_store()).await?;
    Ok(BrowserSource::Dir(DirSource::new(handle)))
}
