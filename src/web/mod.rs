//! The browser's I/O, and the only place that touches web-sys. In: user
//! gestures (picker, drop, file input) and OPFS. Out: [`picker::BrowserSource`]
//! values that implement the core's `StoreSource`, and writers for OPFS.

pub mod archive_input;
pub mod demo;
pub mod diagnostics;
pub mod dir_source;
pub mod fetch;
pub mod file_chunks;
pub mod files_source;
pub mod hash_pool;
pub mod hash_worker;
pub mod hidden;
pub mod join;
pub mod js;
pub mod messages;
pub mod opfs;
pub mod page_writable;
pub mod picker;
pub mod pull_files;
pub mod registry_net;
pub mod remember;
pub mod removal;
pub mod save;
pub mod store_writer;
pub mod stream_download;
pub mod stream_hash;
pub mod write_pipe;
