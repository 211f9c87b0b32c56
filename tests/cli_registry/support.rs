//! What the registry tests share: a real docker-registry per test (plain
//! CORS, or htpasswd behind Caddy), the fault proxy in front of it, the
//! fixture model and a generated bigger one, running the CLI, hashes. Every
//! server is stopped by a guard, also when the test fails.

pub use crate::common::tool;
use sha2::{Digest as _, Sha256};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";
pub const MODEL: &str = "gemma2:2b";
pub const MODEL_MANIFEST: &str = "models/manifests/registry.ollama.ai/library/gemma2/2b";

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The fixture `.ollama` folder holding `gemma2:2b`.
pub fn store() -> PathBuf {
    let dir = repo_path("tests/fixtures/generated/store/dot-ollama");
    assert!(
        dir.join(MODEL_MANIFEST).exists(),
        "missing fixture: run scripts/test (it runs tests/fixtures/store/make_store.py)"
    );
    dir
}

/// A running registry; stopped (and its data deleted) when dropped.
pub struct Registry {
    pub url: String,
    pub state: PathBuf,
    /// The login of an `--auth` registry.
    pub login: Option<(String, String)>,
}

impl Registry {
    /// `None` only when docker-registry is missing and skipping was asked
    /// for (see `common::tool`).
    pub fn start(test: &str) -> Option<Self> {
        Self::launch(test, false)
    }

    /// The htpasswd registry behind Caddy (`None` as for `start`).
    pub fn start_auth(test: &str) -> Option<Self> {
        if !tool(
            Path::new("/usr/bin/caddy").exists(),
            "caddy (Debian package caddy)",
            test,
        ) {
            return None;
        }
        Self::launch(test, true)
    }

    fn launch(test: &str, auth: bool) -> Option<Self> {
        if !tool(
            Path::new(REGISTRY_BIN).exists(),
            "docker-registry (Debian package docker-registry)",
            test,
        ) {
            return None;
        }
        let state = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("cli_registry")
            .join(format!("{test}-registry"));
        let _ = std::fs::remove_dir_all(&state);
        let mut cmd = Command::new(repo_path("tests/registry/start.sh"));
        if auth {
            cmd.arg("--auth");
        }
        let out = cmd
            .arg(&state)
            .output()
            .expect("run tests/registry/start.sh");
        assert!(
            out.status.success(),
            "the registry did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8(out.stdout).unwrap().trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        let read = |name: &str| std::fs::read_to_string(state.join(name)).unwrap();
        let login = auth.then(|| (read("user"), read("password")));
        Some(Self { url, state, login })
    }

    pub fn host(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = Command::new(repo_path("tests/registry/stop.sh"))
            .arg(&self.state)
            .status();
    }
}

/// tests/registry/fault_proxy.mjs in front of `target`; killed when dropped.
pub struct FaultProxy {
    pub url: String,
    child: Child,
}

impl FaultProxy {
    /// `None` only when node is missing and skipping was asked for.
    pub fn start(test: &str, target: &str) -> Option<Self> {
        let spawned = Command::new("node")
            .arg(repo_path("tests/registry/fault_proxy.mjs"))
            .arg(target)
            .stdout(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(_) => {
                tool(false, "node", test);
                return None;
            }
        };
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "proxy said {url:?}");
        Some(Self { url, child })
    }

    fn control(&self, method: &str, path: &str, body: Option<&str>) -> String {
        let mut cmd = Command::new("curl");
        cmd.args(["-sf", "--noproxy", "*", "-X", method]);
        if let Some(body) = body {
            cmd.args([
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                body,
            ]);
        }
        let out = cmd.arg(format!("{}{path}", self.url)).output().unwrap();
        assert!(out.status.success(), "{method} {path} {body:?} failed");
        String::from_utf8(out.stdout).unwrap()
    }

    /// Adds fault rules (a JSON object or array; see fault_proxy.mjs).
    pub fn fault(&self, rules: &str) {
        self.control("POST", "/__fault__", Some(rules));
    }

    pub fn clear_faults(&self) {
        self.control("DELETE", "/__fault__", None);
    }

    /// Response body bytes the proxy sent for paths containing `part`.
    pub fn body_bytes(&self, part: &str) -> u64 {
        self.stat(part, "body_bytes")
    }

    /// Requests the proxy forwarded for paths containing `part`.
    pub fn requests(&self, part: &str) -> u64 {
        self.stat(part, "requests")
    }

    fn stat(&self, part: &str, field: &str) -> u64 {
        let stats: serde_json::Value =
            serde_json::from_str(&self.control("GET", "/__stats__", None)).unwrap();
        let paths = stats["paths"].as_object().unwrap();
        paths
            .iter()
            .filter(|(p, _)| p.contains(part))
            .map(|(_, v)| v[field].as_u64().unwrap())
            .sum()
    }

    pub fn reset_stats(&self) {
        self.control("DELETE", "/__stats__", None);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An empty folder for one test.
pub fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_registry")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `ollama-pack ARGS` with no password set.
pub fn run(args: &[&str]) -> (i32, String, String) {
    run_with_password(args, None)
}

/// Runs `ollama-pack ARGS` with `$OLLAMA_PACK_PASSWORD` set (or not).
pub fn run_with_password(args: &[&str], password: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ollama-pack"));
    cmd.args(args)
        .env("NO_PROXY", "127.0.0.1")
        .env_remove("OLLAMA_PACK_PASSWORD");
    if let Some(p) = password {
        cmd.env("OLLAMA_PACK_PASSWORD", p);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run ollama-pack");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The digests (hex) of the config and layers of a manifest file.
pub fn blob_hexes(manifest: &[u8]) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    let mut all = vec![v["config"].clone()];
    all.extend(v["layers"].as_array().unwrap().iter().cloned());
    all.iter()
        .map(|l| {
            l["digest"]
                .as_str()
                .unwrap()
                .trim_start_matches("sha256:")
                .to_string()
        })
        .collect()
}

/// Pushes the fixture's gemma2:2b to `reference`.
pub fn push_model(reference: &str) {
    let store = store();
    let (code, out, err) = run(&[
        "push",
        store.to_str().unwrap(),
        MODEL,
        reference,
        "--chunk-size",
        "10000",
    ]);
    assert_eq!(code, 0, "push: {out}{err}");
    assert!(out.contains("pushed gemma2:2b to"), "{out}");
}

/// A models folder with one model, `big:latest`, whose weights are `size`
/// pseudo-random bytes.
pub struct BigModel {
    pub dir: PathBuf,
    pub manifest: Vec<u8>,
    pub weights: Vec<u8>,
    pub weights_hex: String,
}

impl BigModel {
    pub fn make(dir: &Path, size: usize) -> Self {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let weights: Vec<u8> = (0..size)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let config = br#"{"model_format":"gguf","model_family":"big","model_type":"1B"}"#;
        let (whex, chex) = (sha256_hex(&weights), sha256_hex(config));
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:{chex}","size":{}}},"layers":[{{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:{whex}","size":{}}}]}}"#,
            config.len(),
            weights.len()
        )
        .into_bytes();
        let blobs = dir.join("blobs");
        let mdir = dir.join("manifests/registry.ollama.ai/library/big");
        std::fs::create_dir_all(&blobs).unwrap();
        std::fs::create_dir_all(&mdir).unwrap();
        std::fs::write(blobs.join(format!("sha256-{whex}")), &weights).unwrap();
        std::fs::write(blobs.join(format!("sha256-{chex}")), config).unwrap();
        std::fs::write(mdir.join("latest"), &manifest).unwrap();
        Self {
            dir: dir.to_path_buf(),
            manifest,
            weights,
            weights_hex: whex,
        }
    }

    /// Pushes `big:latest` to `reference`.
    pub fn push(&self, reference: &str) {
        let (code, out, err) = run(&["push", self.dir.to_str().unwrap(), "big", reference]);
        assert_eq!(code, 0, "push: {out}{err}");
    }
}

pub fn curl_manifest_digest(reg: &Registry, repo: &str, tag: &str) -> String {
    let out = Command::new("curl")
        .args(["-sfI", "--noproxy", "*", "-H"])
        .arg(
            "Accept: application/vnd.docker.distribution.manifest.v2+json, \
             application/vnd.oci.image.manifest.v1+json",
        )
        .arg(format!("{}/v2/{repo}/manifests/{tag}", reg.url))
        .output()
        .expect("run curl");
    assert!(out.status.success(), "curl HEAD of the manifest failed");
    let head = String::from_utf8_lossy(&out.stdout).into_owned();
    head.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("docker-content-digest")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no Docker-Content-Digest in {head}"))
}

/// Names of the files in `dir`.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
