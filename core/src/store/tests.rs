//! Store analysis against a hand-built store: three models sharing blobs,
//! plus an orphan, partial downloads, a missing and a wrong-size blob, an
//! unparsable manifest and stray files.

use super::report::BlobStatus;
use super::*;
use crate::digest::Digest;
use crate::source::MemSource;

const DOCKER: &str = "application/vnd.docker.distribution.manifest.v2+json";
const CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const T: i64 = 1_795_305_599_000;

fn layer(media: &str, bytes: &[u8]) -> String {
    format!(
        r#"{{"mediaType":"{media}","digest":"{}","size":{}}}"#,
        Digest::of(bytes),
        bytes.len()
    )
}

fn manifest(config: &[u8], layers: &[(&str, &[u8])]) -> Vec<u8> {
    let layers: Vec<String> = layers
        .iter()
        .map(|(t, b)| layer(&format!("application/vnd.ollama.image.{t}"), b))
        .collect();
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{DOCKER}","config":{},"layers":[{}]}}"#,
        layer(CONFIG, config),
        layers.join(",")
    )
    .into_bytes()
}

fn put_blob(store: &mut MemSource, bytes: &[u8]) {
    store.add_file(
        &format!("models/blobs/{}", Digest::of(bytes).blob_file_name()),
        bytes.to_vec(),
        T,
    );
}

struct Fixture {
    store: MemSource,
    weights_a: Vec<u8>,
    weights_b: Vec<u8>,
    template: Vec<u8>,
    license: Vec<u8>,
    orphan: Vec<u8>,
    manifest_a: Vec<u8>,
    config_a: Vec<u8>,
    config_b: Vec<u8>,
}

fn fixture() -> Fixture {
    let mut store = MemSource::new();
    let weights_a = b"GGUF-a-weights".repeat(100);
    let weights_b = b"GGUF-b-weights".repeat(50);
    let template = b"{{ .Prompt }}".to_vec();
    let license = b"MIT license".to_vec();
    let orphan = b"nobody needs me".to_vec();
    let config_a = br#"{"model_format":"gguf","model_family":"llama","model_type":"8.0B","file_type":"Q4_K_M"}"#.to_vec();
    let config_b = br#"{"model_format":"gguf","model_family":"gemma2","model_type":"2.6B","file_type":"Q8_0"}"#.to_vec();
    let manifest_a = manifest(
        &config_a,
        &[
            ("model", &weights_a),
            ("template", &template),
            ("license", &license),
        ],
    );
    // b:  shares template+license with a; its weights are on disk with the wrong size.
    let manifest_b = manifest(
        &config_b,
        &[
            ("model", &weights_b),
            ("template", &template),
            ("license", &license),
        ],
    );
    // c: a tag of b (same manifest bytes), plus a missing layer.
    let manifest_c = manifest(
        &config_b,
        &[("model", &weights_b), ("system", b"never written")],
    );
    for blob in [
        &weights_a, &template, &license, &orphan, &config_a, &config_b,
    ] {
        put_blob(&mut store, blob);
    }
    store.add_file(
        &format!("models/blobs/{}", Digest::of(&weights_b).blob_file_name()),
        weights_b[..10].to_vec(),
        T,
    );
    let partial = format!("models/blobs/{}-partial", Digest::of(b"x").blob_file_name());
    store.add_file(&partial, vec![0; 7], T);
    store.add_file(&format!("{partial}-0"), b"{}".to_vec(), T);
    store.add_file("models/blobs/stray.txt", b"?".to_vec(), T);
    store.add_file(
        "models/manifests/registry.ollama.ai/library/alpha/8b",
        manifest_a.clone(),
        T,
    );
    store.add_file(
        "models/manifests/registry.ollama.ai/team/beta/v1",
        manifest_b,
        T - 1000,
    );
    store.add_file(
        "models/manifests/localhost:5000/ns/gamma/latest",
        manifest_c,
        T,
    );
    store.add_file(
        "models/manifests/registry.ollama.ai/library/broken/latest",
        b"{not json".to_vec(),
        T,
    );
    store.add_file(
        "models/manifests/registry.ollama.ai/library/loose",
        b"{}".to_vec(),
        T,
    );
    store.add_file("id_ed25519", b"secret".to_vec(), T);
    Fixture {
        store,
        weights_a,
        weights_b,
        template,
        license,
        orphan,
        manifest_a,
        config_a,
        config_b,
    }
}

fn scan(store: &MemSource) -> StoreReport {
    pollster::block_on(scan_store(store, "/home/u/.ollama")).expect("scan")
}

#[test]
fn models_listed_like_ollama_list() {
    let f = fixture();
    let r = scan(&f.store);
    assert_eq!(r.root, "/home/u/.ollama/models");
    let names: Vec<&str> = r.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["localhost:5000/ns/gamma:latest", "alpha:8b", "team/beta:v1"]
    );
    let a = r.model("alpha:8b").unwrap();
    assert_eq!(a.id, &Digest::of(&f.manifest_a).hex()[..12]);
    let expected_size = f.weights_a.len() + f.template.len() + f.license.len() + f.config_a.len();
    assert_eq!(a.size, expected_size as u64);
    assert_eq!(a.modified.as_deref(), Some("2026-11-21T23:59:59Z"));
    assert_eq!(a.family.as_deref(), Some("llama"));
    assert_eq!(a.parameter_size.as_deref(), Some("8.0B"));
    assert_eq!(a.quantization.as_deref(), Some("Q4_K_M"));
    assert_eq!(
        a.manifest_path,
        "manifests/registry.ollama.ai/library/alpha/8b"
    );
}

#[test]
fn sharing_and_freed_bytes() {
    let f = fixture();
    let r = scan(&f.store);
    let a = r.model("alpha:8b").unwrap();
    let template = a.layers.iter().find(|l| l.kind == "chat template").unwrap();
    assert_eq!(template.shared_with, ["team/beta:v1"]);
    let weights = a
        .layers
        .iter()
        .find(|l| l.kind == "weights (GGUF)")
        .unwrap();
    assert!(weights.shared_with.is_empty());
    // alpha alone holds its weights and config; template+license are shared.
    assert_eq!(a.frees, (f.weights_a.len() + f.config_a.len()) as u64);
    assert_eq!(a.shared_bytes, (f.template.len() + f.license.len()) as u64);
    // beta and gamma share a config and (wrong-size) weights: beta frees nothing.
    assert_eq!(r.model("team/beta:v1").unwrap().frees, 0);
    let config_b_len = f.config_b.len() as u64;
    let shared = f.template.len() as u64 + f.license.len() as u64 + config_b_len + 10;
    assert_eq!(r.blobs.shared_bytes, shared);
}

#[test]
fn orphans_partials_missing_and_wrong_sizes() {
    let f = fixture();
    let r = scan(&f.store);
    let b = &r.blobs;
    assert_eq!(b.orphaned.len(), 1);
    assert_eq!(b.orphaned[0].digest, Digest::of(&f.orphan));
    assert_eq!(b.partial.len(), 2);
    assert_eq!(b.partial_bytes, 9);
    assert_eq!(b.missing.len(), 1);
    assert_eq!(b.missing[0].digest, Digest::of(b"never written"));
    assert_eq!(b.missing[0].model, "localhost:5000/ns/gamma:latest");
    assert_eq!(b.size_mismatch.len(), 1);
    assert_eq!(b.size_mismatch[0].digest, Digest::of(&f.weights_b));
    assert_eq!(
        (b.size_mismatch[0].expected, b.size_mismatch[0].actual),
        (f.weights_b.len() as u64, 10)
    );
    let gamma = r.model("localhost:5000/ns/gamma:latest").unwrap();
    assert_eq!(gamma.layers[1].status, BlobStatus::Missing);
    assert_eq!(
        gamma.layers[0].status,
        BlobStatus::SizeMismatch { actual: 10 }
    );
    assert_eq!(b.count, 7);
    // What an import may count on the folder having.
    assert!(r.has_blob(&Digest::of(&f.orphan)));
    assert!(r.has_blob(&Digest::of(&f.config_b)));
    assert!(!r.has_blob(&Digest::of(b"never written")));
    assert!(!r.has_blob(&Digest::of(&f.weights_b)), "the wrong size");
}

#[test]
fn broken_manifests_and_strays_are_findings_not_failures() {
    let r = scan(&fixture().store);
    let paths: Vec<&str> = r.errors.iter().map(|e| e.path.as_str()).collect();
    assert!(
        paths.contains(&"manifests/registry.ollama.ai/library/broken/latest"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"manifests/registry.ollama.ai/library/loose"),
        "{paths:?}"
    );
    assert!(paths.contains(&"blobs/stray.txt"), "{paths:?}");
    let broken = r
        .errors
        .iter()
        .find(|e| e.path.ends_with("broken/latest"))
        .unwrap();
    assert!(
        broken.message.contains("could not be parsed"),
        "{}",
        broken.message
    );
}

#[test]
fn json_has_the_documented_shape() {
    let r = scan(&fixture().store);
    let v = serde_json::to_value(&r).unwrap();
    for key in ["root", "models", "blobs", "errors"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    let m = &v["models"][1];
    for key in [
        "name",
        "id",
        "manifest_path",
        "manifest_digest",
        "size",
        "modified",
        "config",
        "layers",
        "gguf",
    ] {
        assert!(m.get(key).is_some(), "model.{key}");
    }
    assert!(m["manifest_digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert!(m["layers"][0]["shared_with"].is_array());
    for key in [
        "count",
        "bytes",
        "shared_bytes",
        "orphaned",
        "partial",
        "missing",
        "size_mismatch",
    ] {
        assert!(v["blobs"].get(key).is_some(), "blobs.{key}");
    }
}

#[test]
fn empty_store_is_fine() {
    let mut s = MemSource::new();
    s.add_dir("manifests");
    s.add_dir("blobs");
    let r = scan(&s);
    assert!(r.models.is_empty() && r.errors.is_empty());
    assert_eq!(r.root, "/home/u/.ollama");
}
