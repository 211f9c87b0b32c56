//! How a pull splits and spreads its downloads, for the browser and the CLI
//! alike. In: where the pull runs and where the registry is ([`Link`]), and
//! what the user set (a part size, a number of parts at once). Out: the
//! [`PullOptions`] fields that follow.
//!
//! Ollama's way (16 parts of 100 MB–1 GB per blob, 16 at once) hides a
//! remote registry's latency. Two cases differ:
//! - a registry on this machine has no latency to hide: 4 connections move
//!   the data as fast as 16, and one part per blob makes the bytes arrive
//!   in order, so each is hashed from memory as it is written instead of
//!   read back (CLI, 2 cores, 1 GiB: 1.38 s against 1.73 s in 4 parts);
//! - a browser opens at most 6 connections to a host over HTTP/1.1 and one
//!   over HTTP/2, so parts gain little there, while one stream per blob
//!   lets its worker hash it in order (1 GiB into OPFS from a loopback
//!   registry: one part 133 MB/s, 4 parts of 64 MB 95 MB/s). A dropped
//!   connection still resumes from the bytes already written.

use super::PullOptions;

/// Where the bytes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The CLI and a registry elsewhere.
    Remote,
    /// The CLI and a registry on this machine.
    Loopback,
    /// A browser page, wherever the registry is.
    Browser,
}

/// Parts under way at once where Ollama's 16 buy nothing (see above).
pub const FEW_AT_ONCE: usize = 4;

impl Link {
    /// The CLI's link to a registry on `host` (`localhost`, `127.x.x.x` or
    /// `::1`, with or without a port, is this machine).
    pub fn from_cli_to(host: &str) -> Self {
        if is_loopback(host) {
            Self::Loopback
        } else {
            Self::Remote
        }
    }
}

/// Whether `host` (as in a reference: `name`, `name:port`, `[v6]:port`)
/// names this machine.
pub fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl PullOptions {
    /// Sets the part plan and concurrency for `link`, with what the user
    /// chose (`part_size`: every part that size; `at_once`: parts under
    /// way together) winning over the defaults.
    pub fn tuned(mut self, link: Link, part_size: Option<u64>, at_once: Option<usize>) -> Self {
        match (part_size, link) {
            (Some(size), _) => (self.min_part_size, self.max_part_size) = (size, size),
            (None, Link::Loopback | Link::Browser) => {
                (self.part_count, self.min_part_size, self.max_part_size) = (1, 1, u64::MAX);
            }
            (None, Link::Remote) => {}
        }
        let default = match link {
            Link::Remote => self.concurrency,
            Link::Loopback | Link::Browser => FEW_AT_ONCE,
        };
        self.concurrency = at_once.unwrap_or(default).max(1);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LOCALHOST:5000",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]:5000",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "registry.ollama.ai",
            "192.168.1.5:8080",
            "[2001:db8::1]:5000",
            "localhost.example",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn a_remote_registry_gets_ollamas_parts_and_the_others_one_part_per_blob() {
        let remote = PullOptions::default().tuned(Link::Remote, None, None);
        let ollama = PullOptions::default();
        assert_eq!(
            (
                remote.part_count,
                remote.min_part_size,
                remote.max_part_size,
                remote.concurrency
            ),
            (
                ollama.part_count,
                ollama.min_part_size,
                ollama.max_part_size,
                ollama.concurrency
            )
        );
        for link in [Link::Loopback, Link::Browser] {
            let o = PullOptions::default().tuned(link, None, None);
            assert_eq!(
                (o.part_count, o.min_part_size, o.max_part_size),
                (1, 1, u64::MAX)
            );
            assert_eq!(o.concurrency, FEW_AT_ONCE);
        }
    }

    #[test]
    fn what_the_user_sets_wins() {
        for link in [Link::Remote, Link::Loopback, Link::Browser] {
            let o = PullOptions::default().tuned(link, Some(32 << 20), Some(7));
            assert_eq!(
                (o.min_part_size, o.max_part_size, o.concurrency),
                (32 << 20, 32 << 20, 7)
            );
            assert_eq!(
                PullOptions::default()
                    .tuned(link, None, Some(0))
                    .concurrency,
                1
            );
        }
    }
}
