//! Test support for the registry machines: a fake registry, a driver that
//! runs a machine against it, and small models to move.

pub mod drive;
pub mod fake_registry;

use crate::digest::Digest;
use std::collections::BTreeMap;

/// A model: its manifest bytes and its blobs (config first).
pub struct Model {
    pub manifest: Vec<u8>,
    pub blobs: BTreeMap<Digest, Vec<u8>>,
    pub order: Vec<Digest>,
}

/// Deterministic bytes, different for each `salt`.
pub fn bytes(len: usize, salt: u64) -> Vec<u8> {
    (0..len as u64)
        .map(|i| ((i.wrapping_add(salt * 7919)).wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// A model with a config blob and one layer per size (an Ollama-style
/// manifest, written the way Ollama writes it).
pub fn model(layer_sizes: &[usize], salt: u64) -> Model {
    let config = format!(r#"{{"model_format":"gguf","salt":{salt}}}"#).into_bytes();
    let mut blobs = BTreeMap::new();
    let mut order = Vec::new();
    let mut layer = |data: Vec<u8>| {
        let d = Digest::of(&data);
        order.push(d.clone());
        blobs.insert(d.clone(), data.clone());
        (d, data.len())
    };
    let (cd, cs) = layer(config);
    let layers: Vec<String> = layer_sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let (d, s) = layer(bytes(n, salt * 100 + i as u64));
            format!(
                r#"{{"mediaType":"application/vnd.ollama.image.model","digest":"{d}","size":{s}}}"#
            )
        })
        .collect();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{cd}","size":{cs}}},"layers":[{}]}}"#,
        layers.join(",")
    );
    Model {
        manifest: manifest.into_bytes(),
        blobs,
        order,
    }
}
