//! The authentication state a pull or push machine carries. In: 401
//! answers (with the generation of the `Authorization` they were sent
//! with), token service answers, successes. Out: the header to send, and
//! what to do after a 401: resend, fetch a token, wait for the token
//! already being fetched, or give up with an [`AuthFailure`] that says why.

use super::auth::{parse_challenges, parse_token, token_request, Challenge, Credentials};
use super::http::{registry_error_message, HttpRequest};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("{registry} requires a user name and password for {what}: give them and try again")]
    NeedCredentials { registry: String, what: String },
    #[error(
        "{registry} refused the login for {what}: check the user name and password, and \
         that this account may {what}"
    )]
    Refused { registry: String, what: String },
    #[error("{registry} asks for {scheme} authentication; only Basic and Bearer are supported")]
    Unsupported { registry: String, scheme: String },
    #[error("{registry}: {detail}")]
    Protocol { registry: String, detail: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthNext {
    /// The header changed since that request was sent: send it again.
    Resend,
    /// Fetch a token with this request, then resend the waiting requests.
    FetchToken(HttpRequest),
    /// A token is already being fetched: resend when it arrives.
    Wait,
    Fail(AuthFailure),
}

#[derive(Debug, Clone)]
pub struct AuthFlow {
    credentials: Option<Credentials>,
    header: Option<String>,
    /// Bumped whenever `header` changes.
    generation: u32,
    /// The current header has not yet been seen to work.
    unproven: bool,
    fetching: bool,
    /// Scope to ask for when a challenge names none.
    scope: String,
    registry: String,
    /// "pull team/m" or "push team/m", for messages.
    what: String,
}

impl AuthFlow {
    pub fn new(
        credentials: Option<Credentials>,
        scope: String,
        registry: String,
        what: String,
    ) -> Self {
        Self {
            credentials,
            header: None,
            generation: 0,
            unproven: false,
            fetching: false,
            scope,
            registry,
            what,
        }
    }

    /// A token request is under way: hold back new requests until it ends.
    pub fn is_fetching(&self) -> bool {
        self.fetching
    }

    /// Adds the current `Authorization` (if any); returns its generation.
    pub fn authorize(&self, req: &mut HttpRequest) -> u32 {
        if let Some(h) = &self.header {
            req.set_header("Authorization", h.clone());
        }
        self.generation
    }

    /// A request sent with generation `sent` got an answer other than 401.
    pub fn on_success(&mut self, sent: u32) {
        if sent == self.generation {
            self.unproven = false;
        }
    }

    pub fn on_unauthorized(&mut self, sent: u32, www_authenticate: Option<&str>) -> AuthNext {
        if self.fetching {
            return AuthNext::Wait;
        }
        if sent < self.generation {
            return AuthNext::Resend;
        }
        if self.unproven {
            return AuthNext::Fail(self.refused());
        }
        let Some(header) = www_authenticate else {
            return self.no_challenge();
        };
        let challenges = match parse_challenges(header) {
            Ok(c) => c,
            Err(e) => return AuthNext::Fail(self.protocol(e.to_string())),
        };
        let bearer = challenges
            .iter()
            .find(|c| matches!(c, Challenge::Bearer { .. }));
        let basic = challenges
            .iter()
            .find(|c| matches!(c, Challenge::Basic { .. }));
        match (bearer, basic) {
            (
                Some(Challenge::Bearer {
                    realm,
                    service,
                    scope,
                    ..
                }),
                _,
            ) => {
                self.fetching = true;
                AuthNext::FetchToken(token_request(
                    realm,
                    service.as_deref(),
                    scope.as_deref(),
                    &self.scope,
                    self.credentials.as_ref(),
                ))
            }
            (_, Some(_)) => match &self.credentials {
                Some(c) => {
                    self.set_header(c.basic_header());
                    AuthNext::Resend
                }
                None => AuthNext::Fail(self.need_credentials()),
            },
            _ => match challenges.first() {
                Some(Challenge::Other { scheme }) => AuthNext::Fail(AuthFailure::Unsupported {
                    registry: self.registry.clone(),
                    scheme: scheme.clone(),
                }),
                _ => self.no_challenge(),
            },
        }
    }

    /// The token service answered (status and whole body).
    pub fn on_token(&mut self, status: u16, body: &[u8]) -> Result<(), AuthFailure> {
        self.fetching = false;
        match status {
            200..=299 => {
                let token = parse_token(body).map_err(|e| self.protocol(e.to_string()))?;
                self.set_header(format!("Bearer {token}"));
                Ok(())
            }
            401 | 403 if self.credentials.is_some() => Err(self.refused()),
            401 | 403 => Err(self.need_credentials()),
            _ => Err(self.protocol(format!(
                "the token service answered {status}{}",
                registry_error_message(body)
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ))),
        }
    }

    /// The token request got no answer.
    pub fn on_token_failed(&mut self, why: &str) -> AuthFailure {
        self.fetching = false;
        self.protocol(format!("the token service could not be reached: {why}"))
    }

    fn set_header(&mut self, value: String) {
        self.header = Some(value);
        self.generation += 1;
        self.unproven = true;
    }

    fn no_challenge(&mut self) -> AuthNext {
        match &self.credentials {
            // Some proxies send no challenge: try the credentials as Basic.
            Some(c) if self.header.is_none() => {
                self.set_header(c.basic_header());
                AuthNext::Resend
            }
            Some(_) => AuthNext::Fail(self.refused()),
            None => AuthNext::Fail(self.need_credentials()),
        }
    }

    fn refused(&self) -> AuthFailure {
        AuthFailure::Refused {
            registry: self.registry.clone(),
            what: self.what.clone(),
        }
    }

    fn need_credentials(&self) -> AuthFailure {
        AuthFailure::NeedCredentials {
            registry: self.registry.clone(),
            what: self.what.clone(),
        }
    }

    fn protocol(&self, detail: String) -> AuthFailure {
        AuthFailure::Protocol {
            registry: self.registry.clone(),
            detail,
        }
    }
}

#[cfg(test)]
#[path = "auth_flow_tests.rs"]
mod tests;
