//! The web layer in a real browser (wasm32, headless Chromium): a store is
//! written into the Origin Private File System with `web::opfs`, opened as a
//! directory handle through `web::dir_source::DirSource`, and scanned by the
//! core, exactly as the app does after the folder picker. And the web
//! layer's reading of the browser's errors (a full disk, a file in use,
//! from the page or as a worker's text) and of where a file lives (OPFS).
#![cfg(target_arch = "wasm32")]

use ollama_pack::core::demo::demo_store;
use ollama_pack::core::digest::Digest;
use ollama_pack::core::source::{SourceErrorKind, StoreSource};
use ollama_pack::core::store::reads::read_gguf_head;
use ollama_pack::core::store::scan_store;
use ollama_pack::web::dir_source::DirSource;
use ollama_pack::web::opfs;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// What `promise` resolves to, as `T` (the test fails on a rejection).
async fn resolved<T: From<wasm_bindgen::JsValue>>(promise: js_sys::Promise) -> T {
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .unwrap()
        .into()
}

#[wasm_bindgen_test]
async fn opfs_store_scans_like_the_files_say() {
    let files = demo_store();
    let handle = opfs::write_tree("wasm-test-store", &files)
        .await
        .expect("write OPFS");
    let source = DirSource::new(handle);
    let report = scan_store(&source, "picked").await.expect("scan");
    let manifests = files
        .iter()
        .filter(|(p, _)| p.starts_with("models/manifests/"))
        .count();
    assert_eq!(report.models.len(), manifests);
    assert_eq!(report.root, "picked/models");
    // Every model's ID is the SHA-256 of its manifest file as written.
    for (path, bytes) in files
        .iter()
        .filter(|(p, _)| p.starts_with("models/manifests/"))
    {
        let rel = path.strip_prefix("models/").unwrap();
        let model = report
            .models
            .iter()
            .find(|m| m.manifest_path == rel)
            .expect(rel);
        assert_eq!(model.id, Digest::of(bytes).short_id());
    }
    // Sizes and mtimes come from the browser's File objects.
    let total: u64 = files
        .iter()
        .filter(|(p, _)| p.starts_with("models/blobs/"))
        .map(|(_, b)| b.len() as u64)
        .sum();
    assert_eq!(report.blobs.disk_bytes, total);
    assert!(report
        .models
        .iter()
        .all(|m| m.modified_ms.unwrap_or(0) > 1_600_000_000_000));
}

#[wasm_bindgen_test]
async fn ranged_reads_and_gguf_head_through_file_slices() {
    let files = demo_store();
    let handle = opfs::write_tree("wasm-test-reads", &files)
        .await
        .expect("write OPFS");
    let source = DirSource::new(handle);
    let (path, bytes) = files
        .iter()
        .find(|(p, b)| p.starts_with("models/blobs/") && b.starts_with(b"GGUF"))
        .unwrap();
    assert_eq!(source.read(path, 3, 10).await.unwrap(), bytes[3..13]);
    assert_eq!(
        source
            .read(path, bytes.len() as u64 - 2, 100)
            .await
            .unwrap(),
        bytes[bytes.len() - 2..]
    );
    let digest = Digest::from_blob_file_name(path.rsplit('/').next().unwrap()).unwrap();
    let info = read_gguf_head(&source, "models", &digest)
        .await
        .expect("gguf head");
    assert!(info.architecture().is_some());
    let missing = source.read("models/blobs/nope", 0, 1).await.unwrap_err();
    assert_eq!(missing.kind, SourceErrorKind::NotFound);
}

/// A real `DOMException` of `name`, as the browser throws it.
fn dom_exception(message: &str, name: &str) -> wasm_bindgen::JsValue {
    let class = js_sys::Reflect::get(&js_sys::global(), &"DOMException".into()).unwrap();
    let args = js_sys::Array::of2(&message.into(), &name.into());
    js_sys::Reflect::construct(&class.into(), &args).unwrap()
}

#[wasm_bindgen_test]
fn a_full_disk_or_a_file_in_use_is_named_from_the_page_or_from_a_worker() {
    use ollama_pack::web::js::WebError;
    let full = WebError::from_js(&dom_exception("no room", "QuotaExceededError"));
    assert_eq!(full, WebError::DiskFull("no room".into()));
    assert!(full.to_string().starts_with("the disk is full"), "{full}");
    // A worker sends `Name: message` (www/pull-worker.js errorText).
    assert_eq!(
        WebError::from_text("QuotaExceededError: no room".into()),
        full
    );
    let busy = WebError::from_text("NoModificationAllowedError: locked".into());
    assert_eq!(busy, WebError::InUse("locked".into()));
    assert!(busy.to_string().starts_with("another tab or program"));
    assert_eq!(
        WebError::from_text("the partial file is not open".into()),
        WebError::Other("the partial file is not open".into())
    );
    assert_eq!(
        WebError::from_text("sha256-1: read: short".into()),
        WebError::Other("sha256-1: read: short".into()),
        "only an error's name is read as one"
    );
}

#[wasm_bindgen_test]
async fn a_file_or_folder_in_the_origin_private_file_system_is_known_as_one() {
    let dir = opfs::write_tree("wasm-test-contains", &[("a/b".into(), b"x".to_vec())])
        .await
        .expect("write OPFS");
    let sub: web_sys::FileSystemDirectoryHandle = resolved(dir.get_directory_handle("a")).await;
    let file: web_sys::FileSystemFileHandle = resolved(sub.get_file_handle("b")).await;
    assert!(opfs::contains(&file).await);
    assert!(
        opfs::contains(&sub).await,
        "a folder (a pull asks about its blobs/ folder)"
    );
}

/// The partial file as the browser has it committed: its bytes.
async fn committed_bytes(handle: &web_sys::FileSystemFileHandle) -> Vec<u8> {
    let file: web_sys::File = resolved(handle.get_file()).await;
    let buffer: wasm_bindgen::JsValue = resolved(file.array_buffer()).await;
    js_sys::Uint8Array::new(&buffer).to_vec()
}

#[wasm_bindgen_test]
async fn a_page_writable_commits_at_each_checkpoint_and_writes_during_one_land_after_it() {
    use futures_util::FutureExt;
    use ollama_pack::web::page_writable::PageWritable;
    let dir = opfs::write_tree("wasm-test-writable", &[("partial".into(), vec![9; 50])])
        .await
        .expect("write OPFS");
    let handle: web_sys::FileSystemFileHandle = resolved(dir.get_file_handle("partial")).await;
    let bytes = |fill: u8, len: usize| js_sys::Uint8Array::from(&vec![fill; len][..]);

    // A fresh start: nothing of the old file is kept, nothing is committed
    // before the first checkpoint.
    let w = PageWritable::open(handle.clone(), 100, None).await.unwrap();
    w.write(0, bytes(1, 30)).await.unwrap();
    w.write(30, bytes(2, 30)).await.unwrap();
    assert_eq!(
        committed_bytes(&handle).await,
        vec![9; 50],
        "not committed yet"
    );
    let last_before = w.write(60, bytes(3, 20));
    let mut checkpoint = Box::pin(w.checkpoint());
    assert!(
        (&mut checkpoint).now_or_never().is_none(),
        "the checkpoint waits on the browser"
    );
    let during = w.write(80, bytes(4, 20));
    checkpoint.await.unwrap();
    last_before.await.unwrap();
    during.await.unwrap();
    let want: Vec<u8> = [vec![1; 30], vec![2; 30], vec![3; 20]].concat();
    assert_eq!(
        committed_bytes(&handle).await,
        want,
        "the checkpoint commits every write started before it, and only those"
    );

    // A closed tab (no close) keeps what the checkpoint committed; `close`
    // commits the rest.
    w.close().await.unwrap();
    let all: Vec<u8> = [want, vec![4; 20]].concat();
    assert_eq!(committed_bytes(&handle).await, all);

    // Resuming keeps the bytes the records claim, and only those.
    let w = PageWritable::open(handle.clone(), 100, Some(60))
        .await
        .unwrap();
    w.write(60, bytes(5, 40)).await.unwrap();
    w.close().await.unwrap();
    let resumed: Vec<u8> = [&all[..60], &[5; 40][..]].concat();
    assert_eq!(committed_bytes(&handle).await, resumed);
}

#[wasm_bindgen_test]
async fn a_name_the_browser_refuses_is_found_before_anything_is_written() {
    use ollama_pack::web::js::WebError;
    use ollama_pack::web::store_writer::check_path;
    // Chromium's words when it refuses a name (':' in a folder on disk;
    // '\' or '..' everywhere, which is how OPFS can show it here).
    let refused = js_sys::TypeError::new(
        "Failed to execute 'getDirectoryHandle' on 'FileSystemDirectoryHandle': Name is not allowed.",
    );
    assert!(matches!(
        WebError::from_js(&refused),
        WebError::NameNotAllowed(_)
    ));
    assert!(matches!(
        WebError::from_js(&js_sys::TypeError::new("x is not a function")),
        WebError::Other(_)
    ));

    let models = opfs::write_tree(
        "wasm-test-names",
        &[(
            "manifests/registry.ollama.ai/library/x/latest".into(),
            b"{}".to_vec(),
        )],
    )
    .await
    .expect("write OPFS");
    for allowed in [
        "manifests/registry.ollama.ai/library/x/latest",
        "manifests/registry.ollama.ai/library/y/latest",
        "manifests/localhost:5000/team/tiny/v1",
    ] {
        assert_eq!(check_path(&models, allowed).await, Ok(()), "{allowed}");
    }
    for (refused, name) in [
        (
            "manifests/registry.ollama.ai/library/x/la\\test",
            "la\\test",
        ),
        ("manifests/a\\b/team/tiny/v1", "a\\b"),
    ] {
        match check_path(&models, refused).await {
            Err(WebError::NameNotAllowed(what)) => {
                assert!(what.contains(refused) && what.contains(name), "{what}")
            }
            other => panic!("{refused}: {other:?}"),
        }
    }
    // Asking made nothing.
    for absent in [
        "manifests/registry.ollama.ai/library/y",
        "manifests/localhost:5000",
    ] {
        assert!(matches!(
            ollama_pack::web::store_writer::dir(&models, absent, false).await,
            Err(WebError::NotFound(_))
        ));
    }
}

#[wasm_bindgen_test]
async fn a_write_pipe_lands_every_write_with_its_own_bytes_while_the_caller_reuses_its_buffer() {
    use ollama_pack::web::write_pipe::WritePipe;
    let dir = opfs::write_tree("wasm-test-pipe", &[("out".into(), Vec::new())])
        .await
        .expect("write OPFS");
    let handle: web_sys::FileSystemFileHandle = resolved(dir.get_file_handle("out")).await;
    let writable: web_sys::FileSystemWritableFileStream = resolved(handle.create_writable()).await;
    let mut pipe = WritePipe::default();
    // One buffer of the caller's, refilled after each call returns, in
    // sizes that grow and shrink (each turn's buffer is regrown). Chromium
    // copies a chunk when write() is called, so reusing a buffer too soon
    // would not show here: the two turns are for what the Streams spec
    // allows (a queued chunk read later); this checks bytes, order, sizes.
    let sizes = [1 << 20, 3 << 20, 512, 2 << 20, 5, 4 << 20, 1 << 20];
    let mut chunk = Vec::new();
    let mut want = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        chunk.clear();
        chunk.resize(size, i as u8 + 1);
        pipe.write(&writable, &chunk).await.unwrap();
        want.extend_from_slice(&chunk);
        chunk.fill(0xEE); // what the caller does next must not reach the file
    }
    pipe.settle().await.unwrap();
    let _: wasm_bindgen::JsValue = resolved(writable.close()).await;
    assert!(
        committed_bytes(&handle).await == want,
        "the file is not the bytes written, in order"
    );
}
