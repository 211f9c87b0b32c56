//! Login: the htpasswd registry behind Caddy (`start.sh --auth`). CLI push
//! and pull with `--user` and the right password work byte for byte; a
//! wrong or missing password is exit 2 with words that say what to do; and
//! Caddy answers a browser's preflight and exposes the headers a page needs.

use super::support::*;
use std::process::Command;

#[test]
fn push_and_pull_with_a_login_through_caddy() {
    let Some(reg) = Registry::start_auth("auth-roundtrip") else {
        return;
    };
    let (user, password) = reg.login.clone().unwrap();
    let reference = format!("{}/team/gemma:v1", reg.url);
    let store = store();
    let (code, out, err) = run_with_password(
        &[
            "push",
            store.to_str().unwrap(),
            MODEL,
            &reference,
            "--user",
            &user,
            "--chunk-size",
            "10000",
        ],
        Some(&password),
    );
    assert_eq!(code, 0, "push: {out}{err}");

    let dest = scratch("auth-roundtrip").join("pulled");
    let d = dest.to_str().unwrap();
    let args = ["pull", &reference, "-C", d, "--user", &user];
    let (code, out, err) = run_with_password(&args, Some(&password));
    assert_eq!(code, 0, "pull: {out}{err}");
    let source = std::fs::read(store.join(MODEL_MANIFEST)).unwrap();
    let pulled = dest
        .join("manifests")
        .join(reg.host())
        .join("team/gemma/v1");
    assert_eq!(std::fs::read(pulled).unwrap(), source, "manifest bytes");
    for hex in blob_hexes(&source) {
        let file = format!("sha256-{hex}");
        let want = std::fs::read(store.join("models/blobs").join(&file)).unwrap();
        assert!(
            std::fs::read(dest.join("blobs").join(&file)).unwrap() == want,
            "{file}"
        );
    }
}

#[test]
fn a_wrong_or_missing_password_is_exit_2_and_says_what_to_do() {
    let Some(reg) = Registry::start_auth("auth-refused") else {
        return;
    };
    let (user, password) = reg.login.clone().unwrap();
    let reference = format!("{}/team/gemma:v1", reg.url);
    let store = store();
    let s = store.to_str().unwrap();
    let push = ["push", s, MODEL, &reference, "--user", &user];
    let (code, out, err) = run_with_password(&push, Some("not-the-password"));
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("refused the login for push to team/gemma")
            && err.contains("check the user name and password"),
        "{err}"
    );

    // The model is there; pulling it with a wrong password is refused.
    let (code, out, err) = run_with_password(&push, Some(&password));
    assert_eq!(code, 0, "{out}{err}");
    let dest = scratch("auth-refused").join("pulled");
    let d = dest.to_str().unwrap();
    let pull = ["pull", &reference, "-C", d, "--user", &user];
    let (code, _, err) = run_with_password(&pull, Some("not-the-password"));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("refused the login for pull team/gemma")
            && err.contains("check the user name and password"),
        "{err}"
    );
    assert!(!dest.join("manifests").join(reg.host()).exists());

    let (code, _, err) = run(&["pull", &reference, "-C", d]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("requires a user name and password for pull team/gemma")
            && err.contains("--user USER, password in $OLLAMA_PACK_PASSWORD"),
        "{err}"
    );
}

/// `curl -si ARGS URL`: the head's lines, lower-cased.
fn head(args: &[&str], url: &str) -> Vec<String> {
    let out = Command::new("curl")
        .args(["-si", "--noproxy", "*"])
        .args(args)
        .arg(url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_lowercase();
    text.split("\r\n\r\n")
        .next()
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn caddy_answers_the_preflight_and_exposes_the_registry_headers() {
    let Some(reg) = Registry::start_auth("auth-cors") else {
        return;
    };
    let url = format!("{}/v2/team/gemma/blobs/uploads/", reg.url);
    let pre = head(
        &[
            "-X",
            "OPTIONS",
            "-H",
            "Origin: http://127.0.0.1:9",
            "-H",
            "Access-Control-Request-Method: PATCH",
            "-H",
            "Access-Control-Request-Headers: authorization, content-range",
        ],
        &url,
    );
    assert!(pre[0].contains(" 204"), "{pre:?}");
    let has = |lines: &[String], name: &str, words: &[&str]| {
        lines
            .iter()
            .any(|l| l.starts_with(name) && words.iter().all(|w| l.contains(w)))
    };
    assert!(has(&pre, "access-control-allow-origin:", &["*"]), "{pre:?}");
    let methods = ["get", "head", "post", "put", "patch"];
    assert!(
        has(&pre, "access-control-allow-methods:", &methods),
        "{pre:?}"
    );
    let request_headers = ["authorization", "range", "content-type", "content-range"];
    assert!(
        has(&pre, "access-control-allow-headers:", &request_headers),
        "{pre:?}"
    );

    let answer = head(
        &["-H", "Origin: http://127.0.0.1:9"],
        &format!("{}/v2/", reg.url),
    );
    assert!(answer[0].contains(" 401"), "{answer:?}");
    let exposed = [
        "docker-content-digest",
        "location",
        "range",
        "content-range",
        "content-length",
        "www-authenticate",
        "docker-upload-uuid",
    ];
    assert!(
        has(&answer, "access-control-expose-headers:", &exposed),
        "{answer:?}"
    );
    assert!(has(&answer, "www-authenticate:", &["basic"]), "{answer:?}");
}
