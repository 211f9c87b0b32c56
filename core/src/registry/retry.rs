//! When to try again. In: how many attempts failed so far and the
//! failing response (for `Retry-After`). Out: how long the driver waits
//! before the next attempt, or that it is time to give up.

use super::http::HttpResponse;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts of one request (without progress in between) before giving up.
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each further one.
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    /// Like Ollama: 6 attempts, 1 s doubling (capped at 30 s).
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay_ms: 1000,
            max_delay_ms: 30_000,
        }
    }
}

impl RetryPolicy {
    /// `Some(wait)` after `failed` failed attempts (1 = the first failed),
    /// or `None`: give up. A `Retry-After` in seconds is honoured, capped.
    pub fn next_delay(&self, failed: u32, response: Option<&HttpResponse>) -> Option<u64> {
        if failed >= self.max_attempts {
            return None;
        }
        let doubling = 1u64 << failed.saturating_sub(1).min(32);
        let mut delay = self.base_delay_ms.saturating_mul(doubling);
        let asked = response
            .and_then(|r| r.header("Retry-After"))
            .and_then(|v| v.parse::<u64>().ok())
            .map(|s| s.saturating_mul(1000));
        if let Some(asked) = asked {
            delay = delay.max(asked);
        }
        Some(delay.min(self.max_delay_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_caps_and_gives_up() {
        let p = RetryPolicy::default();
        let d: Vec<_> = (1..=6).map(|n| p.next_delay(n, None)).collect();
        assert_eq!(
            d,
            [
                Some(1000),
                Some(2000),
                Some(4000),
                Some(8000),
                Some(16000),
                None
            ]
        );
        let long = RetryPolicy {
            max_attempts: 100,
            ..p.clone()
        };
        assert_eq!(long.next_delay(60, None), Some(30_000));
    }

    #[test]
    fn honours_retry_after_within_the_cap() {
        let p = RetryPolicy::default();
        let r = HttpResponse::new(429, "http://h/").with_header("Retry-After", "5");
        assert_eq!(p.next_delay(1, Some(&r)), Some(5000));
        let r = HttpResponse::new(503, "http://h/").with_header("retry-after", "3600");
        assert_eq!(p.next_delay(1, Some(&r)), Some(30_000));
    }
}
