//! Registry references as Ollama writes them. In: `http://host:port/ns/model:tag`,
//! `host/ns/model:tag`, `ns/model` or `model` (https unless `http://`;
//! defaults `registry.ollama.ai`, `library`, `latest`). Out: a
//! [`RegistryRef`] with the [`ModelName`] it is stored under
//! (`manifests/<host[:port]>/<ns>/<model>/<tag>`) and the Registry v2 URLs
//! of its manifest, blobs and uploads.

use super::http::add_query;
use crate::digest::Digest;
use crate::name::{ModelName, NameError};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRef {
    pub scheme: Scheme,
    /// Host, with `:port` when one was given.
    pub host: String,
    pub namespace: String,
    pub model: String,
    pub tag: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("\"{0}\": only http:// and https:// registries are supported")]
    Scheme(String),
    #[error(
        "\"{0}\" is not a model reference: write [http://]host[:port]/namespace/model[:tag], \
         e.g. registry.example.com/team/llama3:8b"
    )]
    Empty(String),
    #[error("{0}")]
    Name(#[from] NameError),
}

impl RegistryRef {
    pub fn parse(text: &str) -> Result<Self, RefError> {
        let trimmed = text.trim();
        let (scheme, rest) = match trimmed.split_once("://") {
            Some((s, rest)) if s.eq_ignore_ascii_case("http") => (Scheme::Http, rest),
            Some((s, rest)) if s.eq_ignore_ascii_case("https") => (Scheme::Https, rest),
            Some(_) => return Err(RefError::Scheme(text.to_string())),
            None => (Scheme::Https, trimmed),
        };
        if rest.is_empty() || rest.ends_with('/') || rest.contains('@') {
            return Err(RefError::Empty(text.to_string()));
        }
        Ok(Self::from_name(scheme, &ModelName::parse(rest)?))
    }

    pub fn from_name(scheme: Scheme, name: &ModelName) -> Self {
        Self {
            scheme,
            host: name.host.clone(),
            namespace: name.namespace.clone(),
            model: name.model.clone(),
            tag: name.tag.clone(),
        }
    }

    /// The name the pulled model is stored under, as Ollama stores it.
    pub fn model_name(&self) -> ModelName {
        ModelName {
            host: self.host.clone(),
            namespace: self.namespace.clone(),
            model: self.model.clone(),
            tag: self.tag.clone(),
        }
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme.as_str(), self.host)
    }

    /// `namespace/model`, the registry's repository name.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.namespace, self.model)
    }

    /// `/v2/` of the registry (the API version check).
    pub fn api_url(&self) -> String {
        format!("{}/v2/", self.origin())
    }

    pub fn manifest_url(&self) -> String {
        format!(
            "{}/v2/{}/manifests/{}",
            self.origin(),
            self.repository(),
            self.tag
        )
    }

    pub fn blob_url(&self, digest: &Digest) -> String {
        format!("{}/v2/{}/blobs/{digest}", self.origin(), self.repository())
    }

    /// Where an upload session starts (`POST`).
    pub fn upload_url(&self) -> String {
        format!("{}/v2/{}/blobs/uploads/", self.origin(), self.repository())
    }

    /// A cross-repository mount of `digest` from repository `from`.
    pub fn mount_url(&self, digest: &Digest, from: &str) -> String {
        add_query(
            &add_query(&self.upload_url(), "mount", &digest.to_string()),
            "from",
            from,
        )
    }

    /// The token scope a pull (or push) of this repository needs.
    pub fn scope(&self, push: bool) -> String {
        let actions = if push { "pull,push" } else { "pull" };
        format!("repository:{}:{actions}", self.repository())
    }
}

impl fmt::Display for RegistryRef {
    /// As a person would type it again: `http://` only when plain http.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scheme == Scheme::Http {
            f.write_str("http://")?;
        }
        write!(
            f,
            "{}/{}/{}:{}",
            self.host, self.namespace, self.model, self.tag
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> RegistryRef {
        RegistryRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn plain_http_with_port() {
        let x = r("http://127.0.0.1:5000/team/gemma:v1");
        assert_eq!(x.scheme, Scheme::Http);
        assert_eq!(x.host, "127.0.0.1:5000");
        assert_eq!(
            x.manifest_url(),
            "http://127.0.0.1:5000/v2/team/gemma/manifests/v1"
        );
        assert_eq!(
            x.model_name().manifest_rel_path(),
            "127.0.0.1:5000/team/gemma/v1"
        );
        assert_eq!(x.to_string(), "http://127.0.0.1:5000/team/gemma:v1");
        assert_eq!(x.scope(true), "repository:team/gemma:pull,push");
    }

    #[test]
    fn defaults_and_https() {
        let x = r("gemma2");
        assert_eq!(x.scheme, Scheme::Https);
        assert_eq!(
            x.manifest_url(),
            "https://registry.ollama.ai/v2/library/gemma2/manifests/latest"
        );
        assert_eq!(x.model_name().display_shortest(), "gemma2:latest");
        let y = r("team/m");
        assert_eq!(y.repository(), "team/m");
        assert_eq!(y.tag, "latest");
        let z = r("HTTPS://reg.example.com/ns/m:8b");
        assert_eq!(z.origin(), "https://reg.example.com");
        assert_eq!(r("localhost:5000/ns/m").tag, "latest");
    }

    #[test]
    fn blob_and_upload_urls() {
        let x = r("http://h:1/ns/m:t");
        let d = Digest::of(b"");
        assert_eq!(x.blob_url(&d), format!("http://h:1/v2/ns/m/blobs/{d}"));
        assert_eq!(x.upload_url(), "http://h:1/v2/ns/m/blobs/uploads/");
        assert_eq!(
            x.mount_url(&d, "other/repo"),
            format!(
                "http://h:1/v2/ns/m/blobs/uploads/?mount=sha256%3A{}&from=other%2Frepo",
                d.hex()
            )
        );
        assert_eq!(x.api_url(), "http://h:1/v2/");
    }

    #[test]
    fn rejects_what_is_not_a_reference() {
        for bad in [
            "",
            "ftp://h/ns/m",
            "http://",
            "h/ns/m/",
            "m@sha256:00",
            "a/b/c/d",
            "h/ns/m:ta g",
        ] {
            let err = RegistryRef::parse(bad).unwrap_err().to_string();
            assert!(!err.is_empty(), "{bad}");
        }
        assert!(RegistryRef::parse("ftp://h/ns/m")
            .unwrap_err()
            .to_string()
            .contains("http:// and https://"));
    }
}
