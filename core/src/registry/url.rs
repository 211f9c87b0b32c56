//! URLs as registries use them. In: a base URL and a `Location` header, or
//! a URL and a query parameter. Out: the absolute URL (absolute,
//! scheme-relative, absolute-path and relative `Location`s all occur), the
//! URL with `?name=value` or `&name=value` added, percent-encoded.

/// Resolves a `Location` header against the URL that answered:
/// absolute, scheme-relative, absolute-path or relative.
pub fn resolve_location(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    if let Some(host_path) = location.strip_prefix("//") {
        return format!("{scheme}://{host_path}");
    }
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let origin = format!("{scheme}://{}", &rest[..authority_end]);
    if location.starts_with('/') {
        return format!("{origin}{location}");
    }
    let path = rest[authority_end..].split(['?', '#']).next().unwrap_or("");
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let dir = if dir.is_empty() { "/" } else { dir };
    format!("{origin}{dir}{location}")
}

/// Appends `name=value` (value percent-encoded) with `?` or `&`.
pub fn add_query(url: &str, name: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{name}={}", percent_encode(value))
}

/// Percent-encodes all but RFC 3986's unreserved characters.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_every_kind_of_location() {
        let base = "http://127.0.0.1:5000/v2/team/m/blobs/uploads/?mount=x";
        assert_eq!(
            resolve_location(base, "/v2/team/m/blobs/uploads/abc?_state=s"),
            "http://127.0.0.1:5000/v2/team/m/blobs/uploads/abc?_state=s"
        );
        assert_eq!(
            resolve_location(base, "https://s3.example.com/up?sig=1"),
            "https://s3.example.com/up?sig=1"
        );
        assert_eq!(
            resolve_location(base, "//cdn.example.com/x"),
            "http://cdn.example.com/x"
        );
        assert_eq!(
            resolve_location(base, "abc"),
            "http://127.0.0.1:5000/v2/team/m/blobs/uploads/abc"
        );
        assert_eq!(resolve_location("http://h:1", "x"), "http://h:1/x");
    }

    #[test]
    fn query_is_added_with_the_right_separator_and_encoded() {
        assert_eq!(
            add_query("http://h/u", "digest", "sha256:ab"),
            "http://h/u?digest=sha256%3Aab"
        );
        assert_eq!(
            add_query("http://h/u?_state=x", "digest", "a b/c"),
            "http://h/u?_state=x&digest=a%20b%2Fc"
        );
    }
}
