//! The messages between the page and its workers (the verify and pull Web
//! Workers, the download service worker), as types. In: Rust values, or
//! what a worker posted. Out: the plain JS objects on the wire
//! (`www/*.js` read and write them), each field named and typed once here:
//! wasm-bindgen imported types with property setters and getters, so no
//! call site assembles an object by name (`Reflect`). Not serde: the
//! serde-wasm-bindgen (de)serializers cost the app ~17 KB of its gzipped
//! wasm (measured on the verify messages alone: 390.9 → 407.6 KB, over the
//! 400 KB budget); these compile to the property accesses themselves.

use js_sys::Object;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// A message to a worker: `{ type?, id?, seq?, … }`, only the fields set.
    #[wasm_bindgen(extends = Object)]
    pub type ToWorker;
    #[wasm_bindgen(method, setter = type)]
    pub fn set_kind(this: &ToWorker, kind: &str);
    #[wasm_bindgen(method, setter = id)]
    pub fn set_id(this: &ToWorker, id: f64);
    /// The service worker's stream id (a string).
    #[wasm_bindgen(method, setter = id)]
    pub fn set_stream_id(this: &ToWorker, id: &str);
    #[wasm_bindgen(method, setter = seq)]
    pub fn set_seq(this: &ToWorker, seq: u32);
    #[wasm_bindgen(method, setter = offset)]
    pub fn set_offset(this: &ToWorker, offset: f64);
    #[wasm_bindgen(method, setter = len)]
    pub fn set_len(this: &ToWorker, len: u32);
    #[wasm_bindgen(method, setter = size)]
    pub fn set_size(this: &ToWorker, size: &JsValue);
    #[wasm_bindgen(method, setter = budget)]
    pub fn set_budget(this: &ToWorker, budget: f64);
    #[wasm_bindgen(method, setter = name)]
    pub fn set_name(this: &ToWorker, name: &str);
    /// Bytes (an `ArrayBuffer`, transferred).
    #[wasm_bindgen(method, setter = data)]
    pub fn set_data(this: &ToWorker, data: &JsValue);
    #[wasm_bindgen(method, setter = chunk)]
    pub fn set_chunk(this: &ToWorker, chunk: &JsValue);
    #[wasm_bindgen(method, setter = file)]
    pub fn set_file(this: &ToWorker, file: &JsValue);
    /// A `FileSystemFileHandle`, or `undefined`.
    #[wasm_bindgen(method, setter = handle)]
    pub fn set_handle(this: &ToWorker, handle: &JsValue);

    /// A message from a worker: `{ type, id?, bytes?, hex?, via?, … }`.
    #[wasm_bindgen(extends = Object)]
    pub type FromWorker;
    #[wasm_bindgen(method, getter = type)]
    pub fn kind(this: &FromWorker) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    pub fn id(this: &FromWorker) -> Option<f64>;
    #[wasm_bindgen(method, getter)]
    pub fn seq(this: &FromWorker) -> Option<f64>;
    #[wasm_bindgen(method, getter)]
    pub fn ok(this: &FromWorker) -> Option<bool>;
    #[wasm_bindgen(method, getter)]
    pub fn bytes(this: &FromWorker) -> Option<f64>;
    #[wasm_bindgen(method, getter)]
    pub fn hex(this: &FromWorker) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    pub fn via(this: &FromWorker) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    pub fn message(this: &FromWorker) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    pub fn data(this: &FromWorker) -> JsValue;
    #[wasm_bindgen(method, getter)]
    pub fn offset(this: &FromWorker) -> Option<f64>;
    #[wasm_bindgen(method, getter)]
    pub fn len(this: &FromWorker) -> Option<f64>;

    /// What `hashFile` resolves to: `{ hex, bytes, via }`.
    #[wasm_bindgen(extends = Object)]
    pub type HashResult;
    #[wasm_bindgen(method, setter = hex)]
    pub fn set_hex(this: &HashResult, hex: &str);
    #[wasm_bindgen(method, setter = bytes)]
    pub fn set_bytes(this: &HashResult, bytes: f64);
    #[wasm_bindgen(method, setter = via)]
    pub fn set_via(this: &HashResult, via: &str);
}

impl ToWorker {
    /// An empty message; `kind` sets its `type`.
    pub fn new(kind: Option<&str>) -> Self {
        let m: Self = Object::new().unchecked_into();
        if let Some(kind) = kind {
            m.set_kind(kind);
        }
        m
    }

    /// A message for stream or job `id`, of `kind`.
    pub fn to(id: u32, kind: &str) -> Self {
        let m = Self::new(Some(kind));
        m.set_id(f64::from(id));
        m
    }
}

impl FromWorker {
    /// Reads a posted message as one (any value: missing fields are `None`).
    pub fn of(data: JsValue) -> Self {
        data.unchecked_into()
    }
}

impl HashResult {
    pub fn new(hex: &str, bytes: u64, via: &str) -> Self {
        let r: Self = Object::new().unchecked_into();
        r.set_hex(hex);
        r.set_bytes(bytes as f64);
        r.set_via(via);
        r
    }
}
