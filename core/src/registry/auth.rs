//! Registry authentication, as data. In: a `WWW-Authenticate` header
//! (`Basic realm=…`, `Bearer realm=…,service=…,scope=…`, several challenges
//! in one header, quoted values with commas and escapes), optional
//! [`Credentials`], a token endpoint's JSON. Out: [`Challenge`]s, the token
//! request to make, the token, and `Authorization` header values.

use super::http::{add_query, HttpRequest, Method};
use std::fmt;

/// A user name and password (or access token). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({}, ***)", self.username)
    }
}

impl Credentials {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }

    /// `Basic <base64(user:password)>`.
    pub fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!("Basic {}", base64(raw.as_bytes()))
    }
}

/// One challenge of a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic {
        realm: Option<String>,
    },
    Bearer {
        realm: String,
        service: Option<String>,
        /// Space-separated scopes, as sent.
        scope: Option<String>,
        /// `insufficient_scope`, `invalid_token`, … when the registry says.
        error: Option<String>,
    },
    Other {
        scheme: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the registry's WWW-Authenticate header could not be read: \"{0}\"")]
    Malformed(String),
    #[error("the token service answered without a token: {0}")]
    NoToken(String),
}

/// Parses every challenge of a header value, in order. Parameter names are
/// compared case-insensitively; unknown parameters are ignored.
pub fn parse_challenges(header: &str) -> Result<Vec<Challenge>, AuthError> {
    let malformed = || AuthError::Malformed(header.chars().take(300).collect());
    let mut lexer = Lexer {
        s: header.as_bytes(),
        i: 0,
    };
    let mut raw: Vec<(String, Vec<(String, String)>)> = Vec::new();
    loop {
        lexer.skip(b" \t,");
        if lexer.done() {
            break;
        }
        let name = lexer.token().ok_or_else(malformed)?;
        let save = lexer.i;
        lexer.skip(b" \t");
        if lexer.peek() == Some(b'=') {
            // A parameter of the current challenge.
            lexer.i += 1;
            lexer.skip(b" \t");
            let value = lexer.value().ok_or_else(malformed)?;
            let current = raw.last_mut().ok_or_else(malformed)?;
            current.1.push((name.to_ascii_lowercase(), value));
        } else {
            lexer.i = save;
            raw.push((name, Vec::new()));
        }
    }
    if raw.is_empty() {
        return Err(malformed());
    }
    raw.into_iter().map(|(s, p)| build(s, p, header)).collect()
}

fn build(
    scheme: String,
    params: Vec<(String, String)>,
    header: &str,
) -> Result<Challenge, AuthError> {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if scheme.eq_ignore_ascii_case("basic") {
        return Ok(Challenge::Basic {
            realm: get("realm"),
        });
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        let realm = get("realm")
            .filter(|r| r.starts_with("http://") || r.starts_with("https://"))
            .ok_or_else(|| AuthError::Malformed(header.chars().take(300).collect()))?;
        return Ok(Challenge::Bearer {
            realm,
            service: get("service"),
            scope: get("scope"),
            error: get("error"),
        });
    }
    Ok(Challenge::Other { scheme })
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn skip(&mut self, set: &[u8]) {
        while self.peek().is_some_and(|c| set.contains(&c)) {
            self.i += 1;
        }
    }
    /// An HTTP token (also accepts token68's `/+` characters).
    fn token(&mut self) -> Option<String> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~/".contains(&c))
        {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
    /// A token or a quoted string (with `\` escapes).
    fn value(&mut self) -> Option<String> {
        if self.peek() != Some(b'"') {
            // Unquoted: up to the next comma or space (lenient about `:`).
            let start = self.i;
            while self.peek().is_some_and(|c| c != b',' && c != b' ') {
                self.i += 1;
            }
            return Some(String::from_utf8_lossy(&self.s[start..self.i]).into_owned());
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    return Some(String::from_utf8_lossy(&out).into_owned());
                }
                b'\\' => {
                    out.push(*self.s.get(self.i + 1)?);
                    self.i += 2;
                }
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }
}

/// The request for a Bearer token: `GET realm?service=…&scope=…` (one
/// `scope` per space-separated scope; `fallback_scope` when the challenge
/// names none), with Basic credentials when there are any.
pub fn token_request(
    realm: &str,
    service: Option<&str>,
    scope: Option<&str>,
    fallback_scope: &str,
    credentials: Option<&Credentials>,
) -> HttpRequest {
    let mut url = realm.to_string();
    if let Some(service) = service {
        url = add_query(&url, "service", service);
    }
    for s in scope.unwrap_or(fallback_scope).split_whitespace() {
        url = add_query(&url, "scope", s);
    }
    let mut req = HttpRequest::new(Method::Get, url).header("Accept", "application/json");
    req.no_store = true;
    if let Some(c) = credentials {
        req.set_header("Authorization", c.basic_header());
    }
    req
}

/// The token of a token service's answer (`token`, else `access_token`).
pub fn parse_token(body: &[u8]) -> Result<String, AuthError> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| AuthError::NoToken(format!("not JSON ({e})")))?;
    ["token", "access_token"]
        .iter()
        .filter_map(|k| v.get(*k).and_then(|t| t.as_str()))
        .find(|t| !t.is_empty())
        .map(str::to_string)
        .ok_or_else(|| AuthError::NoToken("no \"token\" or \"access_token\" field".into()))
}

/// Standard base64 with padding (RFC 4648 §4), as HTTP Basic wants it.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
