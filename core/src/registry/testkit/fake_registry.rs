//! Test support: an in-memory Docker registry that answers the machines'
//! [`HttpRequest`]s as registry:2 does (manifests, ranged blobs, uploads
//! with relative or absolute `Location`s, mounts, Basic or Bearer auth),
//! with a hook that replaces any answer (faults, redirects, odd servers).

use crate::digest::Digest;
use crate::registry::auth::base64;
use crate::registry::http::{Body, HttpRequest, HttpResponse, Method};
use std::collections::{BTreeMap, BTreeSet};

/// A scripted answer: head, body, and perhaps a break after some bytes.
#[derive(Debug, Clone)]
pub struct Reply {
    pub response: HttpResponse,
    pub body: Vec<u8>,
    /// Deliver this many body bytes, then fail the transfer.
    pub break_after: Option<usize>,
    /// Fail before any answer (connection refused, stall).
    pub no_answer: bool,
}

impl Reply {
    pub fn status(status: u16, url: &str) -> Self {
        Self {
            response: HttpResponse::new(status, url),
            body: Vec::new(),
            break_after: None,
            no_answer: false,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.response.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Basic {
        user: String,
        password: String,
    },
    /// Token service at `http://auth.test/token`; with creds, it wants them.
    Bearer {
        basic: Option<(String, String)>,
    },
}

/// (request number, request) → a different answer, or `None` for the normal one.
pub type Hook = Box<dyn FnMut(usize, &HttpRequest) -> Option<Reply>>;

pub struct FakeRegistry {
    pub origin: String,
    /// "ns/model:tag" → manifest bytes.
    pub manifests: BTreeMap<String, Vec<u8>>,
    pub blobs: BTreeMap<Digest, Vec<u8>>,
    /// Which repositories hold which blobs (for mounts and HEAD).
    pub repo_blobs: BTreeSet<(String, Digest)>,
    pub ranges: bool,
    pub absolute_locations: bool,
    pub auth: Auth,
    pub hook: Option<Hook>,
    /// Every request as "METHOD url [range]".
    pub log: Vec<String>,
    pub requests: Vec<HttpRequest>,
    uploads: BTreeMap<String, Vec<u8>>,
}

pub const TOKEN_URL: &str = "http://auth.test/token";

impl FakeRegistry {
    pub fn new(origin: &str) -> Self {
        Self {
            origin: origin.to_string(),
            manifests: BTreeMap::new(),
            blobs: BTreeMap::new(),
            repo_blobs: BTreeSet::new(),
            ranges: true,
            absolute_locations: false,
            auth: Auth::None,
            hook: None,
            log: Vec::new(),
            requests: Vec::new(),
            uploads: BTreeMap::new(),
        }
    }

    pub fn add_blob(&mut self, repo: &str, data: &[u8]) -> Digest {
        let d = Digest::of(data);
        self.blobs.insert(d.clone(), data.to_vec());
        self.repo_blobs.insert((repo.to_string(), d.clone()));
        d
    }

    /// Answers one request; `body` is the request body's bytes.
    pub fn handle(&mut self, req: &HttpRequest, body: &[u8]) -> Reply {
        let n = self.requests.len();
        self.requests.push(req.clone());
        let range = req
            .get_header("Range")
            .map(|r| format!(" [{r}]"))
            .unwrap_or_default();
        self.log.push(format!("{} {}{range}", req.method, req.url));
        if let Some(hook) = self.hook.as_mut() {
            if let Some(reply) = hook(n, req) {
                return reply;
            }
        }
        if req.url.starts_with(TOKEN_URL) {
            return self.token(req);
        }
        if let Some(denied) = self.check_auth(req) {
            return denied;
        }
        self.route(req, body)
    }

    fn token(&self, req: &HttpRequest) -> Reply {
        if let Auth::Bearer {
            basic: Some((u, p)),
        } = &self.auth
        {
            let want = format!("Basic {}", base64(format!("{u}:{p}").as_bytes()));
            if req.get_header("Authorization") != Some(want.as_str()) {
                return Reply::status(401, &req.url);
            }
        }
        Reply::status(200, &req.url).body(br#"{"token":"tok-1","expires_in":300}"#.to_vec())
    }

    fn check_auth(&self, req: &HttpRequest) -> Option<Reply> {
        let have = req.get_header("Authorization");
        let (ok, challenge) = match &self.auth {
            Auth::None => return None,
            Auth::Basic { user, password } => {
                let want = format!("Basic {}", base64(format!("{user}:{password}").as_bytes()));
                (
                    have == Some(want.as_str()),
                    r#"Basic realm="Registry Realm""#.to_string(),
                )
            }
            Auth::Bearer { .. } => {
                let repo = split(&self.origin, &req.url)
                    .0
                    .get(2..4)
                    .map(|p| p.join("/"))
                    .unwrap_or_default();
                let challenge = format!(
                    r#"Bearer realm="{TOKEN_URL}",service="fake",scope="repository:{repo}:pull""#
                );
                (have == Some("Bearer tok-1"), challenge)
            }
        };
        (!ok).then(|| Reply::status(401, &req.url).header("WWW-Authenticate", challenge))
    }

    fn route(&mut self, req: &HttpRequest, body: &[u8]) -> Reply {
        let (path, query) = split(&self.origin, &req.url);
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        match (req.method, p.as_slice()) {
            (Method::Get, ["", "v2", ns, m, "manifests", tag]) => {
                self.get_manifest(req, &format!("{ns}/{m}:{tag}"))
            }
            (Method::Put, ["", "v2", ns, m, "manifests", tag]) => {
                self.put_manifest(req, &format!("{ns}/{m}"), tag, body)
            }
            (Method::Get | Method::Head, ["", "v2", ns, m, "blobs", digest]) => {
                self.get_blob(req, &format!("{ns}/{m}"), digest)
            }
            (Method::Post, ["", "v2", ns, m, "blobs", "uploads", ""]) => {
                self.start_upload(req, &format!("{ns}/{m}"), &query)
            }
            (Method::Patch, ["", "v2", ns, m, "blobs", "uploads", id]) => {
                self.patch(req, &format!("{ns}/{m}"), id, body)
            }
            (Method::Put, ["", "v2", ns, m, "blobs", "uploads", id]) => {
                self.finish(req, &format!("{ns}/{m}"), id, &query, body)
            }
            _ => Reply::status(404, &req.url),
        }
    }

    fn get_manifest(&self, req: &HttpRequest, key: &str) -> Reply {
        let accept = req.get_header("Accept").unwrap_or("");
        if !accept.contains("application/vnd.docker.distribution.manifest.v2+json") {
            return Reply::status(400, &req.url);
        }
        match self.manifests.get(key) {
            Some(bytes) => Reply::status(200, &req.url)
                .header(
                    "Content-Type",
                    "application/vnd.docker.distribution.manifest.v2+json",
                )
                .header("Docker-Content-Digest", Digest::of(bytes).to_string())
                .body(bytes.clone()),
            None => Reply::status(404, &req.url).body(
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#
                    .to_vec(),
            ),
        }
    }

    fn put_manifest(&mut self, req: &HttpRequest, repo: &str, tag: &str, body: &[u8]) -> Reply {
        let Ok(m) = crate::manifest::Manifest::parse(body) else {
            return Reply::status(400, &req.url);
        };
        if m.blobs().any(|l| {
            !self
                .repo_blobs
                .contains(&(repo.to_string(), l.digest.clone()))
        }) {
            return Reply::status(400, &req.url).body(
                br#"{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry"}]}"#.to_vec(),
            );
        }
        self.manifests
            .insert(format!("{repo}:{tag}"), body.to_vec());
        Reply::status(201, &req.url).header("Docker-Content-Digest", Digest::of(body).to_string())
    }

    fn get_blob(&self, req: &HttpRequest, repo: &str, digest: &str) -> Reply {
        let Ok(d) = Digest::parse(digest) else {
            return Reply::status(400, &req.url);
        };
        let Some(data) = self
            .blobs
            .get(&d)
            .filter(|_| self.repo_blobs.contains(&(repo.to_string(), d.clone())))
        else {
            return Reply::status(404, &req.url);
        };
        let head = req.method == Method::Head;
        let range = req.get_header("Range").filter(|_| self.ranges && !head);
        let Some(range) = range else {
            let body = if head { Vec::new() } else { data.clone() };
            return Reply::status(200, &req.url)
                .header("Content-Length", data.len().to_string())
                .body(body);
        };
        let (a, b) = range
            .trim_start_matches("bytes=")
            .split_once('-')
            .expect("range");
        let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
        if a >= data.len() {
            return Reply::status(416, &req.url);
        }
        let b = b.min(data.len() - 1);
        Reply::status(206, &req.url)
            .header("Content-Range", format!("bytes {a}-{b}/{}", data.len()))
            .body(data[a..=b].to_vec())
    }

    fn location(&self, repo: &str, id: &str, len: usize) -> String {
        let path = format!("/v2/{repo}/blobs/uploads/{id}?_state=s{len}");
        if self.absolute_locations {
            format!("{}{path}", self.origin)
        } else {
            path
        }
    }

    fn start_upload(
        &mut self,
        req: &HttpRequest,
        repo: &str,
        query: &BTreeMap<String, String>,
    ) -> Reply {
        if let (Some(mount), Some(from)) = (query.get("mount"), query.get("from")) {
            let d = Digest::parse(mount).expect("mount digest");
            if self.repo_blobs.contains(&(from.clone(), d.clone())) {
                self.repo_blobs.insert((repo.to_string(), d.clone()));
                return Reply::status(201, &req.url).header("Docker-Content-Digest", d.to_string());
            }
        }
        let id = format!("u{}", self.uploads.len() + self.requests.len());
        self.uploads.insert(id.clone(), Vec::new());
        Reply::status(202, &req.url)
            .header("Location", self.location(repo, &id, 0))
            .header("Range", "0-0")
    }

    fn patch(&mut self, req: &HttpRequest, repo: &str, id: &str, body: &[u8]) -> Reply {
        let Some(data) = self.uploads.get_mut(id) else {
            return Reply::status(404, &req.url);
        };
        let range = req.get_header("Content-Range").unwrap_or("");
        let start: usize = range
            .split('-')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(usize::MAX);
        if start != data.len() {
            return Reply::status(416, &req.url);
        }
        data.extend_from_slice(body);
        let len = data.len();
        Reply::status(202, &req.url)
            .header("Location", self.location(repo, id, len))
            .header("Range", format!("0-{}", len - 1))
    }

    fn finish(
        &mut self,
        req: &HttpRequest,
        repo: &str,
        id: &str,
        q: &BTreeMap<String, String>,
        body: &[u8],
    ) -> Reply {
        let Some(mut data) = self.uploads.remove(id) else {
            return Reply::status(404, &req.url);
        };
        data.extend_from_slice(body);
        let want = q.get("digest").and_then(|d| Digest::parse(d).ok());
        if want.as_ref() != Some(&Digest::of(&data)) {
            return Reply::status(400, &req.url)
                .body(br#"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}"#.to_vec());
        }
        let d = Digest::of(&data);
        self.blobs.insert(d.clone(), data);
        self.repo_blobs.insert((repo.to_string(), d.clone()));
        Reply::status(201, &req.url).header("Docker-Content-Digest", d.to_string())
    }
}

/// Path segments (after the origin) and decoded query of a URL.
fn split(origin: &str, url: &str) -> (Vec<String>, BTreeMap<String, String>) {
    let rest = url.strip_prefix(origin).unwrap_or(url);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let segments = path.split('/').map(str::to_string).collect();
    let query = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), decode(v)))
        .collect();
    (segments, query)
}

fn decode(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The bytes a request body stands for, from the local blobs.
pub fn body_bytes(body: &Body, local: &BTreeMap<Digest, Vec<u8>>) -> Vec<u8> {
    match body {
        Body::Empty => Vec::new(),
        Body::Bytes(b) => b.clone(),
        Body::Blob {
            digest,
            offset,
            len,
        } => {
            let data = &local[digest];
            data[*offset as usize..(*offset + *len) as usize].to_vec()
        }
    }
}
