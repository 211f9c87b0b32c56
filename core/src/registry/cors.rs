//! What a registry must send so that a web page may use it (CORS), as
//! configuration to paste. In: the page's origin and the registry's
//! address. Out: the `http.headers` block of a Docker Distribution
//! (`registry:2`) config, and a Caddy site that answers the browser's
//! preflight itself and proxies the rest (needed when the registry asks
//! for a login, since a preflight carries no credentials).

/// Request headers the app sends.
pub const ALLOW_HEADERS: &str = "Authorization, Accept, Content-Type, Range, Content-Range";
/// Response headers the app must be able to read.
pub const EXPOSE_HEADERS: &str = "Docker-Content-Digest, Location, Range, Content-Range, Content-Length, Docker-Upload-UUID, WWW-Authenticate";
pub const ALLOW_METHODS: &str = "HEAD, GET, OPTIONS, POST, PUT, PATCH, DELETE";

/// One comma-separated value, as registry:2 wants a header list.
fn yaml_list(csv: &str) -> String {
    format!("[\"{csv}\"]")
}

/// The `http.headers` block for a `registry:2` config.yml.
pub fn registry_config(page_origin: &str) -> String {
    format!(
        "http:\n  headers:\n    Access-Control-Allow-Origin: [\"{page_origin}\"]\n    \
         Access-Control-Allow-Methods: {}\n    Access-Control-Allow-Headers: {}\n    \
         Access-Control-Expose-Headers: {}\n",
        yaml_list(ALLOW_METHODS),
        yaml_list(ALLOW_HEADERS),
        yaml_list(EXPOSE_HEADERS)
    )
}

/// A Caddyfile site in front of the registry at `upstream`
/// (`http://127.0.0.1:5000`, `https://registry.example.com`), on port 5001.
pub fn caddy_config(page_origin: &str, upstream: &str) -> String {
    format!(
        ":5001 {{\n\
         \t@preflight method OPTIONS\n\
         \thandle @preflight {{\n\
         \t\theader Access-Control-Allow-Origin \"{page_origin}\"\n\
         \t\theader Access-Control-Allow-Methods \"{ALLOW_METHODS}\"\n\
         \t\theader Access-Control-Allow-Headers \"{ALLOW_HEADERS}\"\n\
         \t\theader Access-Control-Max-Age \"600\"\n\
         \t\trespond 204\n\
         \t}}\n\
         \thandle {{\n\
         \t\theader {{\n\
         \t\t\tAccess-Control-Allow-Origin \"{page_origin}\"\n\
         \t\t\tAccess-Control-Expose-Headers \"{EXPOSE_HEADERS}\"\n\
         \t\t\tdefer\n\
         \t\t}}\n\
         \t\treverse_proxy {upstream} {{\n\
         \t\t\tflush_interval -1\n\
         \t\t}}\n\
         \t}}\n\
         }}\n"
    )
}

/// Hosts of Ollama's own registry, which sends no CORS headers.
pub fn is_ollama_registry(host: &str) -> bool {
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    host == "registry.ollama.ai" || host == "ollama.com" || host.ends_with(".ollama.com")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What we tell users to paste is what the browser tests run against:
    /// every header line of the snippet is in the test registry's config.
    #[test]
    fn registry_snippet_is_the_config_the_browser_tests_use() {
        let tested =
            include_str!("../../../tests/registry/cors.yml").replace("@ORIGIN@", "http://o");
        let snippet = registry_config("http://o");
        for line in snippet.lines().filter(|l| l.contains("Access-Control")) {
            assert!(
                tested.contains(line),
                "{line:?} is not in tests/registry/cors.yml"
            );
        }
        assert_eq!(
            snippet
                .lines()
                .filter(|l| l.contains("Access-Control"))
                .count(),
            4
        );
    }

    /// The Caddy site we suggest is, line for line, the one the browser
    /// tests put in front of the login registry (tests/registry/Caddyfile).
    #[test]
    fn caddy_snippet_is_the_site_the_browser_tests_use() {
        let tested = include_str!("../../../tests/registry/Caddyfile");
        let snippet = caddy_config("@ORIGIN@", "@UPSTREAM@");
        let lines: Vec<&str> = snippet.lines().skip(1).map(str::trim).collect();
        for line in &lines {
            assert!(
                tested.lines().any(|t| t.trim() == *line),
                "{line:?} is not in tests/registry/Caddyfile"
            );
        }
        assert!(lines.contains(&"respond 204"));
        assert!(lines.contains(&"reverse_proxy @UPSTREAM@ {"));
    }

    #[test]
    fn knows_ollamas_registry() {
        assert!(is_ollama_registry("registry.ollama.ai"));
        assert!(is_ollama_registry("Registry.Ollama.AI:443"));
        assert!(!is_ollama_registry("127.0.0.1:5000"));
    }
}
