//! What `pull` and `push` share: the registry options (`--user`, stall
//! timeout), the password from `$OLLAMA_PACK_PASSWORD`, Ctrl-C, the
//! progress bar, and exit codes.

use crate::core::registry::Credentials;
use std::process::ExitCode;
use std::time::Duration;

pub const PASSWORD_VAR: &str = "OLLAMA_PACK_PASSWORD";

#[derive(clap::Args, Debug, Clone)]
pub struct RegistryArgs {
    /// Log in as USER (Basic, or for a Bearer token); the password (or access
    /// token) is read from $OLLAMA_PACK_PASSWORD. Anonymous without it.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Seconds without data before a transfer counts as stalled and is retried.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub stall_timeout: u64,
    /// Attempts per request before giving up (with waits of 1 s, 2 s, 4 s…).
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..))]
    pub attempts: u32,
}

impl RegistryArgs {
    pub fn credentials(&self) -> Result<Option<Credentials>, Failure> {
        let Some(user) = &self.user else {
            return Ok(None);
        };
        match std::env::var(PASSWORD_VAR) {
            Ok(password) => Ok(Some(Credentials::new(user.clone(), password))),
            Err(_) => Err(Failure::Run(format!(
                "--user {user} needs the password (or access token) in ${PASSWORD_VAR}"
            ))),
        }
    }

    pub fn stall(&self) -> Duration {
        Duration::from_secs(self.stall_timeout.max(1))
    }
}

/// Why a command did not finish, and its exit code.
#[derive(Debug)]
pub enum Failure {
    /// The transfer or a verification failed (exit 1).
    Transfer(String),
    /// Could not run: arguments, folders, unknown model, login (exit 2).
    Run(String),
    /// Ctrl-C (exit 130).
    Interrupted(String),
    /// Already said on stderr; exit with this code.
    Reported(u8),
}

impl Failure {
    pub fn exit(self) -> ExitCode {
        let (code, message) = match self {
            Failure::Transfer(m) => (1, m),
            Failure::Run(m) => (2, m),
            Failure::Interrupted(m) => (130, m),
            Failure::Reported(code) => return ExitCode::from(code),
        };
        eprintln!("ollama-pack: {message}");
        ExitCode::from(code)
    }

    /// The same failure with `note` on a line of its own after the message.
    pub fn with_note(self, note: &str) -> Self {
        match self {
            Failure::Transfer(m) => Failure::Transfer(format!("{m}\n{note}")),
            Failure::Run(m) => Failure::Run(format!("{m}\n{note}")),
            Failure::Interrupted(m) => Failure::Interrupted(format!("{m}\n{note}")),
            Failure::Reported(code) => Failure::Reported(code),
        }
    }
}
