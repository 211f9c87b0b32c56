use super::*;

#[test]
fn docker_hub_bearer() {
    let h = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull""#;
    assert_eq!(
        parse_challenges(h).unwrap(),
        vec![Challenge::Bearer {
            realm: "https://auth.docker.io/token".into(),
            service: Some("registry.docker.io".into()),
            scope: Some("repository:library/ubuntu:pull".into()),
            error: None,
        }]
    );
}

#[test]
fn registry2_htpasswd_basic() {
    let h = r#"Basic realm="Registry Realm""#;
    assert_eq!(
        parse_challenges(h).unwrap(),
        vec![Challenge::Basic {
            realm: Some("Registry Realm".into())
        }]
    );
}

#[test]
fn harbor_with_comma_inside_quotes_and_error() {
    let h = r#"Bearer realm="https://harbor.example.com/service/token",service="harbor-registry",scope="repository:team/a:pull,push repository:lib/b:pull",error="insufficient_scope""#;
    match &parse_challenges(h).unwrap()[0] {
        Challenge::Bearer { scope, error, .. } => {
            assert_eq!(
                scope.as_deref(),
                Some("repository:team/a:pull,push repository:lib/b:pull")
            );
            assert_eq!(error.as_deref(), Some("insufficient_scope"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn several_challenges_spaces_case_and_escapes() {
    let h = r#"basic REALM="a \"quoted\" realm" , BEARER  realm = "https://t.example/tok?x=1" ,service=svc, Negotiate"#;
    let c = parse_challenges(h).unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(
        c[0],
        Challenge::Basic {
            realm: Some("a \"quoted\" realm".into())
        }
    );
    assert_eq!(
        c[1],
        Challenge::Bearer {
            realm: "https://t.example/tok?x=1".into(),
            service: Some("svc".into()),
            scope: None,
            error: None,
        }
    );
    assert_eq!(
        c[2],
        Challenge::Other {
            scheme: "Negotiate".into()
        }
    );
}

#[test]
fn malformed_headers_are_errors() {
    for h in [
        "",
        "   ",
        r#"Bearer realm="unterminated"#,
        r#"Bearer service="x""#,
        r#"Bearer realm="ftp://x""#,
        r#"=x"#,
    ] {
        assert!(parse_challenges(h).is_err(), "{h}");
    }
}

#[test]
fn token_request_carries_service_scopes_and_credentials() {
    let c = Credentials::new("alice", "s3cret:pw");
    let r = token_request(
        "https://auth.example/token",
        Some("registry.example"),
        Some("repository:team/a:pull,push repository:lib/b:pull"),
        "unused",
        Some(&c),
    );
    assert_eq!(
        r.url,
        "https://auth.example/token?service=registry.example\
         &scope=repository%3Ateam%2Fa%3Apull%2Cpush&scope=repository%3Alib%2Fb%3Apull"
    );
    assert_eq!(
        r.get_header("authorization"),
        Some("Basic YWxpY2U6czNjcmV0OnB3")
    );
    let anon = token_request("https://a/t?x=1", None, None, "repository:n/m:pull", None);
    assert_eq!(anon.url, "https://a/t?x=1&scope=repository%3An%2Fm%3Apull");
    assert_eq!(anon.get_header("authorization"), None);
    assert!(!format!("{c:?}").contains("s3cret"));
}

#[test]
fn token_or_access_token() {
    assert_eq!(
        parse_token(br#"{"token":"abc","expires_in":300}"#).unwrap(),
        "abc"
    );
    assert_eq!(parse_token(br#"{"access_token":"xyz"}"#).unwrap(), "xyz");
    assert_eq!(
        parse_token(br#"{"token":"","access_token":"xyz"}"#).unwrap(),
        "xyz"
    );
    assert!(parse_token(br#"{"nothing":1}"#).is_err());
    assert!(parse_token(b"<html>").is_err());
}

#[test]
fn base64_matches_known_vectors() {
    for (raw, enc) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(raw.as_bytes()), enc);
    }
}
