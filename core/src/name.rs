//! Ollama model names. In: a name as a person types it (`gemma2:2b`,
//! `team/m:v1`, `localhost:5000/team/m:v1`) or the four folders of a manifest
//! path. Out: a validated [`ModelName`] with Ollama's defaults filled in, its
//! shortest display form and its manifest path. Rules follow Ollama's
//! `types/model/name.go`; comparison is case-insensitive.

use std::fmt;

pub const DEFAULT_HOST: &str = "registry.ollama.ai";
pub const DEFAULT_NAMESPACE: &str = "library";
pub const DEFAULT_TAG: &str = "latest";

/// A fully qualified model name: host, namespace, model, tag.
#[derive(Clone, Debug, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModelName {
    pub host: String,
    pub namespace: String,
    pub model: String,
    pub tag: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("\"{name}\": the {part} \"{value}\" is not valid ({rule})")]
    InvalidPart {
        name: String,
        part: &'static str,
        value: String,
        rule: &'static str,
    },
    #[error("a manifest path has exactly four parts (host/namespace/model/tag), \"{0}\" has not")]
    NotFourParts(String),
}

#[derive(Clone, Copy)]
enum Part {
    Host,
    Namespace,
    Model,
    Tag,
}

impl Part {
    fn label(self) -> &'static str {
        match self {
            Part::Host => "host",
            Part::Namespace => "namespace",
            Part::Model => "model",
            Part::Tag => "tag",
        }
    }

    fn max_len(self) -> usize {
        match self {
            Part::Host => 350,
            _ => 80,
        }
    }

    fn rule(self) -> &'static str {
        match self {
            Part::Host => {
                "1-350 characters: letters, digits, _ - . : starting with a letter, digit or _"
            }
            Part::Namespace => {
                "1-80 characters: letters, digits, _ - starting with a letter, digit or _"
            }
            Part::Model | Part::Tag => {
                "1-80 characters: letters, digits, _ - . starting with a letter, digit or _"
            }
        }
    }

    fn allows(self, c: u8) -> bool {
        match c {
            b'_' | b'-' => true,
            b'.' => !matches!(self, Part::Namespace),
            b':' => matches!(self, Part::Host),
            _ => c.is_ascii_alphanumeric(),
        }
    }

    fn is_valid(self, s: &str) -> bool {
        let b = s.as_bytes();
        !b.is_empty()
            && b.len() <= self.max_len()
            && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
            && b.iter().all(|&c| self.allows(c))
    }
}

impl ModelName {
    /// Parses a name as Ollama does (`[scheme://][host/][namespace/]model[:tag]`),
    /// filling missing parts with the defaults, then validates every part.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let (rest, tag) = split_tag(text);
        let mut parts = rest.rsplitn(3, '/');
        let model = parts.next().unwrap_or_default();
        let namespace = parts.next();
        let host = parts
            .next()
            .map(|h| h.split_once("://").map_or(h, |(_, h)| h));
        Self::from_parts(
            text,
            host.unwrap_or(DEFAULT_HOST),
            namespace.unwrap_or(DEFAULT_NAMESPACE),
            model,
            tag.unwrap_or(DEFAULT_TAG),
        )
    }

    /// Builds a name from the four folders under `manifests/`.
    pub fn from_manifest_path(rel: &str) -> Result<Self, NameError> {
        let parts: Vec<&str> = rel.trim_matches('/').split('/').collect();
        match parts.as_slice() {
            [host, ns, model, tag] => Self::from_parts(rel, host, ns, model, tag),
            _ => Err(NameError::NotFourParts(rel.to_string())),
        }
    }

    fn from_parts(
        whole: &str,
        host: &str,
        namespace: &str,
        model: &str,
        tag: &str,
    ) -> Result<Self, NameError> {
        for (part, value) in [
            (Part::Host, host),
            (Part::Namespace, namespace),
            (Part::Model, model),
            (Part::Tag, tag),
        ] {
            if !part.is_valid(value) {
                return Err(NameError::InvalidPart {
                    name: whole.chars().take(400).collect(),
                    part: part.label(),
                    value: value.chars().take(100).collect(),
                    rule: part.rule(),
                });
            }
        }
        Ok(Self {
            host: host.into(),
            namespace: namespace.into(),
            model: model.into(),
            tag: tag.into(),
        })
    }

    /// Ollama's `DisplayShortest`: host and namespace only when not default;
    /// the tag always.
    pub fn display_shortest(&self) -> String {
        let prefix = if !self.host.eq_ignore_ascii_case(DEFAULT_HOST) {
            format!("{}/{}/", self.host, self.namespace)
        } else if !self.namespace.eq_ignore_ascii_case(DEFAULT_NAMESPACE) {
            format!("{}/", self.namespace)
        } else {
            String::new()
        };
        format!("{prefix}{}:{}", self.model, self.tag)
    }

    /// `host/namespace/model/tag`, the path under `manifests/`.
    pub fn manifest_rel_path(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.host, self.namespace, self.model, self.tag
        )
    }

    /// The name without its registry's host, when that host has a port
    /// (`192.168.1.5:8080/library/gemma2:2b` → `gemma2:2b`): what people
    /// store such a model as where ':' is refused in names (Chromium, in a
    /// folder on disk); `None` when the host has no port.
    pub fn without_port_host(&self) -> Option<ModelName> {
        self.host.contains(':').then(|| ModelName {
            host: DEFAULT_HOST.into(),
            ..self.clone()
        })
    }

    /// The key two names share when Ollama treats them as the same model.
    pub fn fold_key(&self) -> String {
        self.manifest_rel_path().to_ascii_lowercase()
    }
}

/// The tag is after the last `:` when that comes after the last `/`
/// (so `localhost:5000/m` has no tag but `localhost:5000/m:v1` has).
fn split_tag(text: &str) -> (&str, Option<&str>) {
    match (text.rfind(':'), text.rfind('/')) {
        (Some(c), Some(s)) if c < s => (text, None),
        (Some(c), _) => (&text[..c], Some(&text[c + 1..])),
        (None, _) => (text, None),
    }
}

impl PartialEq for ModelName {
    fn eq(&self, other: &Self) -> bool {
        self.fold_key() == other.fold_key()
    }
}

impl std::hash::Hash for ModelName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.fold_key().hash(state);
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_shortest())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> ModelName {
        ModelName::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn a_host_with_a_port_is_dropped_and_only_then() {
        let drop = |s: &str| n(s).without_port_host().map(|m| m.display_shortest());
        assert_eq!(
            drop("http://192.168.1.5:8080/library/gemma2:2b").as_deref(),
            Some("gemma2:2b")
        );
        assert_eq!(
            drop("localhost:5000/team/tiny:v1").as_deref(),
            Some("team/tiny:v1")
        );
        assert_eq!(drop("hf.co/bartowski/phi:Q4_K_M"), None);
        assert_eq!(drop("gemma2:2b"), None);
    }

    #[test]
    fn defaults_fill_missing_parts() {
        let m = n("gemma2");
        assert_eq!(
            m.manifest_rel_path(),
            "registry.ollama.ai/library/gemma2/latest"
        );
        assert_eq!(m.display_shortest(), "gemma2:latest");
        assert_eq!(n("gemma2:2b").display_shortest(), "gemma2:2b");
        assert_eq!(
            n("team/m:v1").manifest_rel_path(),
            "registry.ollama.ai/team/m/v1"
        );
        assert_eq!(n("team/m:v1").display_shortest(), "team/m:v1");
    }

    #[test]
    fn host_with_port_and_scheme() {
        let m = n("localhost:5000/team/m:v1");
        assert_eq!(m.host, "localhost:5000");
        assert_eq!(m.tag, "v1");
        assert_eq!(m.display_shortest(), "localhost:5000/team/m:v1");
        let untagged = n("localhost:5000/team/m");
        assert_eq!(untagged.tag, "latest");
        assert_eq!(n("http://localhost:5000/team/m:v1"), m);
        // A non-default host always shows its namespace, even the default one.
        assert_eq!(
            n("example.com/library/m").display_shortest(),
            "example.com/library/m:latest"
        );
    }

    #[test]
    fn comparison_ignores_case() {
        assert_eq!(n("Gemma2:2B"), n("gemma2:2b"));
        assert_eq!(n("REGISTRY.ollama.ai/Library/gemma2:2b"), n("gemma2:2b"));
        assert_ne!(n("gemma2:2b"), n("gemma2:7b"));
        // Default parts compared case-insensitively for the display form too.
        assert_eq!(
            n("Registry.Ollama.AI/LIBRARY/x:y").display_shortest(),
            "x:y"
        );
    }

    #[test]
    fn manifest_path_round_trip() {
        let m = ModelName::from_manifest_path("localhost:5000/ns/model/tag").unwrap();
        assert_eq!(m.display_shortest(), "localhost:5000/ns/model:tag");
        assert!(ModelName::from_manifest_path("a/b/c").is_err());
        assert!(ModelName::from_manifest_path("a/b/c/d/e").is_err());
    }

    #[test]
    fn invalid_parts_are_rejected_with_the_part_named() {
        let cases = [
            ("-bad", "model"),
            ("ns.dot/m", "namespace"),
            ("m:t:x/y", "namespace"),
            ("m:-tag", "tag"),
            ("m:", "tag"),
            ("h/n/m:ta g", "tag"),
            ("ho st/n/m", "host"),
            ("m:t/x", "namespace"),
        ];
        for (text, part) in cases {
            match ModelName::parse(text) {
                Err(NameError::InvalidPart { part: p, .. }) => assert_eq!(p, part, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(ModelName::parse(&"m".repeat(81)).is_err());
        assert!(ModelName::parse(&"m".repeat(80)).is_ok());
        assert!(ModelName::parse(&format!("{}/n/m", "h".repeat(351))).is_err());
        assert!(ModelName::parse("_under/_m:_t").is_ok());
    }
}
