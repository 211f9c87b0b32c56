//! Is this an Ollama model manifest? In: manifest bytes from a registry or
//! a models folder. Out: the parsed [`Manifest`] (schema 2, Docker v2 or OCI
//! image manifest), or what it is instead: an index of platforms, an old
//! schema, not JSON.

use crate::manifest::{
    Manifest, MAX_MANIFEST_BYTES, MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_OCI_MANIFEST,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestProblem {
    /// A manifest list / image index / schema 1 manifest: `media_type`.
    NotAModel(String),
    Invalid(String),
}

impl std::fmt::Display for ManifestProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManifestProblem::NotAModel(what) => write!(f, "it is of type {what}"),
            ManifestProblem::Invalid(detail) => f.write_str(detail),
        }
    }
}

pub fn check_manifest(bytes: &[u8]) -> Result<Manifest, ManifestProblem> {
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(ManifestProblem::Invalid(format!(
            "it is {} bytes, larger than any real manifest",
            bytes.len()
        )));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ManifestProblem::Invalid(format!("not JSON ({e})")))?;
    let media_type = value
        .get("mediaType")
        .and_then(|m| m.as_str())
        .unwrap_or("");
    let known = [MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_OCI_MANIFEST, ""];
    if !known.contains(&media_type) || value.get("manifests").is_some() {
        let shown = if media_type.is_empty() {
            "image index"
        } else {
            media_type
        };
        return Err(ManifestProblem::NotAModel(shown.to_string()));
    }
    let schema = value.get("schemaVersion").and_then(|v| v.as_u64());
    if schema != Some(2) {
        return Err(ManifestProblem::NotAModel(format!(
            "schema version {}",
            schema.map_or("none".to_string(), |s| s.to_string())
        )));
    }
    Manifest::parse(bytes).map_err(|e| ManifestProblem::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_docker_and_oci_manifests() {
        let d = crate::digest::Digest::of(b"x");
        for mt in [MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_OCI_MANIFEST] {
            let m = format!(
                r#"{{"schemaVersion":2,"mediaType":"{mt}","config":{{"mediaType":"c","digest":"{d}","size":1}},"layers":[]}}"#
            );
            assert!(check_manifest(m.as_bytes()).is_ok(), "{mt}");
        }
    }

    #[test]
    fn names_what_it_is_instead() {
        let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        assert_eq!(
            check_manifest(index),
            Err(ManifestProblem::NotAModel(
                "application/vnd.oci.image.index.v1+json".into()
            ))
        );
        let bare_index = br#"{"schemaVersion":2,"manifests":[]}"#;
        assert!(matches!(
            check_manifest(bare_index),
            Err(ManifestProblem::NotAModel(_))
        ));
        let v1 = br#"{"schemaVersion":1,"name":"x"}"#;
        assert!(
            matches!(check_manifest(v1), Err(ManifestProblem::NotAModel(m)) if m.contains('1'))
        );
        assert!(matches!(
            check_manifest(b"<html>"),
            Err(ManifestProblem::Invalid(_))
        ));
        assert!(matches!(
            check_manifest(br#"{"schemaVersion":2}"#),
            Err(ManifestProblem::Invalid(_))
        ));
    }
}
