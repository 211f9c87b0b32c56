//! Manifests and config blobs. In: the bytes of a manifest file or of a
//! config blob. Out: [`Manifest`] (layers with their [`LayerKind`]) and
//! [`ModelConfig`]. Unknown fields and media types are kept, never dropped;
//! the original bytes stay the source of truth (IDs hash them verbatim).

use crate::digest::Digest;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const MEDIA_TYPE_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const MEDIA_TYPE_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MEDIA_TYPE_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const OLLAMA_LAYER_PREFIX: &str = "application/vnd.ollama.image.";

/// Manifests larger than this are refused unread (real ones are ~1 KB).
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// Config blobs larger than this are not read (real ones are < 1 KB).
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    #[serde(
        rename = "mediaType",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub media_type: String,
    pub config: Layer,
    #[serde(default)]
    pub layers: Vec<Layer>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    #[serde(rename = "mediaType")]
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("not a valid manifest: {0}")]
    Invalid(String),
    #[error("manifest is {0} bytes, larger than any real manifest; not read")]
    TooLarge(u64),
    #[error("config blob is not valid JSON: {0}")]
    ConfigInvalid(String),
}

impl Manifest {
    pub fn parse(bytes: &[u8]) -> Result<Self, ManifestError> {
        if bytes.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge(bytes.len() as u64));
        }
        serde_json::from_slice(bytes).map_err(|e| ManifestError::Invalid(e.to_string()))
    }

    /// Config first, then layers: every blob the model needs.
    pub fn blobs(&self) -> impl Iterator<Item = &Layer> {
        std::iter::once(&self.config).chain(self.layers.iter())
    }

    /// Sum of config and layer sizes: the size `ollama list` prints.
    pub fn total_size(&self) -> u64 {
        self.blobs().fold(0, |sum, l| sum.saturating_add(l.size))
    }

    /// The GGUF weights layer, if the model has one.
    pub fn weights(&self) -> Option<&Layer> {
        self.layers.iter().find(|l| l.kind() == LayerKind::Model)
    }
}

/// What a layer holds, from its media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerKind {
    Model,
    Adapter,
    Projector,
    Template,
    Prompt,
    System,
    Params,
    Messages,
    License,
    Embed,
    Draft,
    Tensor,
    Json,
    Config,
    Other(String),
}

impl LayerKind {
    pub fn of(media_type: &str) -> Self {
        if media_type == MEDIA_TYPE_CONFIG {
            return Self::Config;
        }
        let Some(kind) = media_type.strip_prefix(OLLAMA_LAYER_PREFIX) else {
            return Self::Other(media_type.to_string());
        };
        match kind {
            "model" => Self::Model,
            "adapter" => Self::Adapter,
            "projector" => Self::Projector,
            "template" => Self::Template,
            "prompt" => Self::Prompt,
            "system" => Self::System,
            "params" => Self::Params,
            "messages" => Self::Messages,
            "license" => Self::License,
            "embed" => Self::Embed,
            "draft" => Self::Draft,
            "tensor" => Self::Tensor,
            "json" => Self::Json,
            _ => Self::Other(media_type.to_string()),
        }
    }

    /// The media type in words, as the inspector shows it.
    pub fn describe(&self) -> String {
        match self {
            Self::Model => "weights (GGUF)".into(),
            Self::Adapter => "adapter (LoRA)".into(),
            Self::Projector => "projector (vision)".into(),
            Self::Template => "chat template".into(),
            Self::Prompt => "prompt template (legacy)".into(),
            Self::System => "system prompt".into(),
            Self::Params => "parameters".into(),
            Self::Messages => "messages".into(),
            Self::License => "license".into(),
            Self::Embed => "embeddings (deprecated)".into(),
            Self::Draft => "draft model".into(),
            Self::Tensor => "tensor".into(),
            Self::Json => "JSON file".into(),
            Self::Config => "config".into(),
            Self::Other(t) => format!("unknown type {t}"),
        }
    }

    /// Layers whose content is text worth previewing.
    pub fn is_text(&self) -> bool {
        matches!(
            self,
            Self::Template
                | Self::Prompt
                | Self::System
                | Self::Params
                | Self::Messages
                | Self::License
                | Self::Json
                | Self::Config
        )
    }
}

impl Layer {
    pub fn kind(&self) -> LayerKind {
        LayerKind::of(&self.media_type)
    }
}

/// The config blob: what `ollama show` reports about format, family, size
/// and quantization. Read leniently: a field of an unexpected type is left
/// out, and the whole JSON is kept in `raw`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ModelConfig {
    pub model_format: Option<String>,
    pub model_family: Option<String>,
    pub model_families: Vec<String>,
    /// Parameter size, e.g. "8.0B".
    pub model_type: Option<String>,
    /// Quantization, e.g. "Q4_K_M".
    pub file_type: Option<String>,
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub context_length: Option<u64>,
    pub capabilities: Vec<String>,
    pub raw: Value,
}

impl ModelConfig {
    pub fn parse(bytes: &[u8]) -> Result<Self, ManifestError> {
        let raw: Value = serde_json::from_slice(bytes)
            .map_err(|e| ManifestError::ConfigInvalid(e.to_string()))?;
        let text = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_string);
        let list = |k: &str| {
            raw.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Self {
            model_format: text("model_format"),
            model_family: text("model_family"),
            model_families: list("model_families"),
            model_type: text("model_type"),
            file_type: text("file_type"),
            architecture: text("architecture"),
            os: text("os"),
            context_length: raw.get("context_length").and_then(Value::as_u64),
            capabilities: list("capabilities"),
            raw,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn manifest_json(extra_layer: &str) -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{MEDIA_TYPE_DOCKER_MANIFEST}",
            "config":{{"mediaType":"{MEDIA_TYPE_CONFIG}","digest":"{D1}","size":485}},
            "layers":[{{"mediaType":"application/vnd.ollama.image.model","digest":"{D2}","size":1000,"from":"/x/y"}}{extra_layer}],
            "futureField":{{"a":1}}}}"#
        )
    }

    #[test]
    fn parses_layers_sizes_and_kinds() {
        let m = Manifest::parse(manifest_json("").as_bytes()).unwrap();
        assert_eq!(m.schema_version, 2);
        assert_eq!(m.total_size(), 1485);
        assert_eq!(m.weights().unwrap().digest.to_string(), D2);
        assert_eq!(m.weights().unwrap().from.as_deref(), Some("/x/y"));
        assert_eq!(m.config.kind(), LayerKind::Config);
        assert_eq!(m.blobs().count(), 2);
    }

    #[test]
    fn hostile_sizes_saturate_instead_of_overflowing() {
        // Found by fuzzing: the sum of hostile sizes overflowed u64.
        let huge = format!(
            r#",{{"mediaType":"application/vnd.ollama.image.license","digest":"{D1}","size":{}}}"#,
            u64::MAX - 1000
        );
        let m = Manifest::parse(manifest_json(&huge).as_bytes()).unwrap();
        assert_eq!(m.total_size(), u64::MAX);
    }

    #[test]
    fn keeps_unknown_fields_and_media_types() {
        let extra = format!(
            r#",{{"mediaType":"application/vnd.example.future","digest":"{D1}","size":3,"annotations":{{"k":"v"}}}}"#
        );
        let m = Manifest::parse(manifest_json(&extra).as_bytes()).unwrap();
        assert!(m.extra.contains_key("futureField"));
        let future = &m.layers[1];
        assert_eq!(
            future.kind(),
            LayerKind::Other("application/vnd.example.future".into())
        );
        assert!(future
            .kind()
            .describe()
            .contains("application/vnd.example.future"));
        assert!(future.extra.contains_key("annotations"));
        let round: Value = serde_json::to_value(&m).unwrap();
        assert_eq!(round["layers"][1]["annotations"]["k"], "v");
        assert_eq!(round["futureField"]["a"], 1);
    }

    #[test]
    fn every_ollama_media_type_has_a_kind() {
        for (t, kind) in [
            ("model", LayerKind::Model),
            ("adapter", LayerKind::Adapter),
            ("projector", LayerKind::Projector),
            ("template", LayerKind::Template),
            ("prompt", LayerKind::Prompt),
            ("system", LayerKind::System),
            ("params", LayerKind::Params),
            ("messages", LayerKind::Messages),
            ("license", LayerKind::License),
            ("embed", LayerKind::Embed),
            ("draft", LayerKind::Draft),
            ("tensor", LayerKind::Tensor),
            ("json", LayerKind::Json),
        ] {
            assert_eq!(LayerKind::of(&format!("{OLLAMA_LAYER_PREFIX}{t}")), kind);
        }
    }

    #[test]
    fn rejects_broken_manifests() {
        for bad in [
            "",
            "{}",
            "not json",
            r#"{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:12","size":1}}"#,
            &manifest_json("").replace("485", "-1"),
        ] {
            assert!(Manifest::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        let huge = vec![b' '; (MAX_MANIFEST_BYTES + 1) as usize];
        assert!(matches!(
            Manifest::parse(&huge),
            Err(ManifestError::TooLarge(_))
        ));
    }

    #[test]
    fn config_fields_read_leniently() {
        let c = ModelConfig::parse(
            br#"{"model_format":"gguf","model_family":"llama","model_families":["llama",3],
                "model_type":"8.0B","file_type":"Q4_K_M","architecture":"amd64","os":"linux",
                "context_length":"oops","rootfs":{"type":"layers"}}"#,
        )
        .unwrap();
        assert_eq!(c.model_family.as_deref(), Some("llama"));
        assert_eq!(c.model_families, vec!["llama"]);
        assert_eq!(c.model_type.as_deref(), Some("8.0B"));
        assert_eq!(c.file_type.as_deref(), Some("Q4_K_M"));
        assert_eq!(c.context_length, None);
        assert_eq!(c.raw["rootfs"]["type"], "layers");
        assert!(ModelConfig::parse(b"[").is_err());
    }
}
