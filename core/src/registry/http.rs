//! HTTP as data, shared by the pull and push machines. Out of a machine:
//! [`HttpRequest`]s (method, absolute URL, headers, a [`Body`] that may name
//! a byte range of a local blob instead of holding bytes). Into it: an
//! [`HttpResponse`] head, then body bytes or write counts as the machine's
//! [`BodyTarget`] asks, then the end or a [`TransportError`]. Plus the
//! words of registry error bodies; URL helpers are re-exported from `url`.

use crate::digest::Digest;
use std::fmt;

pub use super::url::{add_query, percent_encode, resolve_location};

/// Names one request of a machine, so that answers find their request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Empty,
    Bytes(Vec<u8>),
    /// `len` bytes at `offset` of the local blob `digest`; the driver reads
    /// them (a file slice in the browser, a file range natively).
    Blob {
        digest: Digest,
        offset: u64,
        len: u64,
    },
}

impl Body {
    pub fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Bytes(b) => b.len() as u64,
            Body::Blob { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// Answers must not come from a cache (the browser's `cache:
    /// 'no-store'`; registries send no `Vary: Accept`).
    pub no_store: bool,
}

impl HttpRequest {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Body::Empty,
            no_store: false,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.set_header(name, value);
        self
    }

    /// Replaces any header of that name (case-insensitive).
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.into()));
    }

    pub fn get_header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// The head of a response, after the driver followed any redirects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The URL that answered (differs from the request's after a redirect,
    /// possibly on another host).
    pub url: String,
}

impl HttpResponse {
    pub fn new(status: u16, url: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            url: url.into(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// What the driver does with a response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyTarget {
    /// Hand every chunk to the machine (`on_body`).
    Buffer,
    /// Write the body into the partial file of `digest`, starting at
    /// `offset`, at most `len` bytes (then stop reading and report the
    /// end); report each write with `on_written`.
    Write {
        digest: Digest,
        offset: u64,
        len: u64,
    },
    /// Read and drop it (or close the connection), then report the end.
    Discard,
}

/// Why a request got no complete answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("no data for too long (stalled)")]
    Stalled,
    #[error("the connection broke: {0}")]
    Broken(String),
    /// The browser refused the request (no CORS headers) or the like.
    #[error("the request was blocked: {0}")]
    Blocked(String),
}

/// The interface every machine offers its driver for one request's answer.
pub trait Exchange {
    /// The head of the answer; says what to do with the body.
    fn on_response(&mut self, id: RequestId, response: HttpResponse) -> BodyTarget;
    /// Body bytes, for [`BodyTarget::Buffer`].
    fn on_body(&mut self, id: RequestId, chunk: &[u8]);
    /// Bytes written, for [`BodyTarget::Write`] (after they are written).
    fn on_written(&mut self, id: RequestId, bytes: u64);
    /// The body is complete (or `len` was reached).
    fn on_end(&mut self, id: RequestId);
    /// No complete answer, before or after the head.
    fn on_failed(&mut self, id: RequestId, error: TransportError);
}

/// `": message"`, or nothing for an empty message.
pub fn colon(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

/// `"s"` unless `n` is 1.
pub fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The message of a registry error body (`{"errors":[{"code","message"}]}`),
/// or the start of the body as text, or `None` when there is nothing.
pub fn registry_error_message(body: &[u8]) -> Option<String> {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        let errors = v.get("errors").and_then(|e| e.as_array());
        let parts: Vec<String> = errors
            .into_iter()
            .flatten()
            .map(|e| {
                let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("");
                let msg = e.get("message").and_then(|c| c.as_str()).unwrap_or("");
                match (code.is_empty(), msg.is_empty()) {
                    (false, false) => format!("{code}: {msg}"),
                    (true, _) => msg.to_string(),
                    (_, true) => code.to_string(),
                }
            })
            .filter(|s| !s.is_empty())
            .collect();
        if !parts.is_empty() {
            return Some(parts.join("; "));
        }
    }
    let text: String = String::from_utf8_lossy(body).chars().take(200).collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_errors_read_as_words() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v9"}}]}"#;
        assert_eq!(
            registry_error_message(body).unwrap(),
            "MANIFEST_UNKNOWN: manifest unknown"
        );
        assert_eq!(
            registry_error_message(b"  Not Found\n").unwrap(),
            "Not Found"
        );
        assert_eq!(registry_error_message(b""), None);
    }

    #[test]
    fn headers_are_case_insensitive_and_replaced() {
        let r = HttpRequest::new(Method::Get, "http://h/")
            .header("Accept", "a")
            .header("accept", "b");
        assert_eq!(r.headers.len(), 1);
        assert_eq!(r.get_header("ACCEPT"), Some("b"));
        let resp =
            HttpResponse::new(200, "http://h/").with_header("Docker-Content-Digest", " sha256:x ");
        assert_eq!(resp.header("docker-content-digest"), Some("sha256:x"));
    }
}
