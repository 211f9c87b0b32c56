use super::*;
use crate::registry::http::Method;

fn flow(creds: bool) -> AuthFlow {
    AuthFlow::new(
        creds.then(|| Credentials::new("u", "p")),
        "repository:team/m:pull".into(),
        "h:5000".into(),
        "pull team/m".into(),
    )
}

fn req() -> HttpRequest {
    HttpRequest::new(Method::Get, "http://h:5000/v2/team/m/manifests/v1")
}

#[test]
fn basic_with_credentials_resends_once_then_gives_up() {
    let mut f = flow(true);
    let g0 = f.authorize(&mut req());
    assert_eq!(
        f.on_unauthorized(g0, Some(r#"Basic realm="R""#)),
        AuthNext::Resend
    );
    let mut r = req();
    let g1 = f.authorize(&mut r);
    assert_eq!(r.get_header("Authorization"), Some("Basic dTpw"));
    // A request sent before the header changed is simply resent.
    assert_eq!(
        f.on_unauthorized(g0, Some(r#"Basic realm="R""#)),
        AuthNext::Resend
    );
    match f.on_unauthorized(g1, Some(r#"Basic realm="R""#)) {
        AuthNext::Fail(e) => assert!(e.to_string().contains("refused"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn basic_without_credentials_asks_for_them() {
    let mut f = flow(false);
    match f.on_unauthorized(0, Some(r#"Basic realm="R""#)) {
        AuthNext::Fail(e) => assert!(e.to_string().contains("requires a user name"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bearer_fetches_one_token_for_many_401s_and_refetches_when_it_expires() {
    let mut f = flow(false);
    let ch = r#"Bearer realm="http://h:5000/token",service="reg""#;
    let AuthNext::FetchToken(t) = f.on_unauthorized(0, Some(ch)) else {
        panic!()
    };
    assert_eq!(
        t.url,
        "http://h:5000/token?service=reg&scope=repository%3Ateam%2Fm%3Apull"
    );
    assert_eq!(f.on_unauthorized(0, Some(ch)), AuthNext::Wait);
    f.on_token(200, br#"{"token":"T1"}"#).unwrap();
    let mut r = req();
    let g = f.authorize(&mut r);
    assert_eq!(r.get_header("authorization"), Some("Bearer T1"));
    f.on_success(g);
    // Later the token expires: a proven header earns a new fetch.
    assert!(matches!(
        f.on_unauthorized(g, Some(ch)),
        AuthNext::FetchToken(_)
    ));
    f.on_token(200, br#"{"access_token":"T2"}"#).unwrap();
    let g2 = f.authorize(&mut req());
    // The fresh token is refused at once: give up instead of looping.
    assert!(matches!(
        f.on_unauthorized(g2, Some(ch)),
        AuthNext::Fail(AuthFailure::Refused { .. })
    ));
}

#[test]
fn token_service_refusals_and_odd_answers() {
    let mut f = flow(true);
    assert!(matches!(
        f.on_token(401, b""),
        Err(AuthFailure::Refused { .. })
    ));
    let mut f = flow(false);
    assert!(matches!(
        f.on_token(401, b""),
        Err(AuthFailure::NeedCredentials { .. })
    ));
    let e = flow(false).on_token(500, b"boom").unwrap_err().to_string();
    assert!(e.contains("500") && e.contains("boom"), "{e}");
    let e = flow(false).on_token(200, b"{}").unwrap_err().to_string();
    assert!(e.contains("without a token"), "{e}");
}

#[test]
fn unsupported_and_missing_challenges() {
    let mut f = flow(false);
    assert!(matches!(
        f.on_unauthorized(0, Some("Negotiate")),
        AuthNext::Fail(AuthFailure::Unsupported { .. })
    ));
    assert!(matches!(
        f.on_unauthorized(0, None),
        AuthNext::Fail(AuthFailure::NeedCredentials { .. })
    ));
    assert!(matches!(
        f.on_unauthorized(0, Some("Bearer service=x")),
        AuthNext::Fail(AuthFailure::Protocol { .. })
    ));
}
