//! `ollama-pack pack` against the store written by
//! `tests/fixtures/store/make_store.py`, checked with other people's tools
//! only: GNU tar lists and extracts the archive, `sha256sum -c` verifies
//! it, Python's tarfile reads it (and bsdtar). Tests that
//! change the store work on their own copy.

mod common;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const LLAMA: &str = "llama3.2:latest";
const TINY: &str = "localhost:5000/team/tiny:v1";
const PHI: &str = "hf.co/bartowski/phi:Q4_K_M";

fn fixture() -> PathBuf {
    common::store_fixture()
}

fn store() -> PathBuf {
    fixture().join("dot-ollama")
}

fn expected() -> Value {
    common::store_expected()
}

/// An empty folder for one test's outputs (and copies).
fn scratch(test: &str) -> PathBuf {
    common::scratch("cli_pack", test)
}

fn pack(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ollama-pack"))
        .arg("pack")
        .args(args)
        .output()
        .expect("run ollama-pack");
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run(cmd: &str, args: &[&str], dir: &Path) -> Output {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect()
}

/// Entry names as Python's tarfile reads them.
fn python_names(archive: &Path) -> Vec<String> {
    let script = "import tarfile,sys\nfor m in tarfile.open(sys.argv[1]): print(m.name)";
    lines(&run("python3", &["-c", script, s(archive)], Path::new(".")))
}

fn has_bsdtar() -> bool {
    let found = Command::new("bsdtar").arg("--version").output().is_ok();
    common::tool(
        found,
        "bsdtar (Debian package libarchive-tools)",
        "cli_pack",
    )
}

/// Manifest paths (relative to models/) and blob digests of a model.
fn model_files(name: &str) -> (String, Vec<String>) {
    let e = expected();
    let m = e["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in expected.json"));
    let path = m["manifest_path"].as_str().unwrap().to_string();
    let manifest = std::fs::read(store().join("models").join(&path)).unwrap();
    let manifest: Value = serde_json::from_slice(&manifest).unwrap();
    let mut digests = vec![manifest["config"]["digest"].as_str().unwrap().to_string()];
    for l in manifest["layers"].as_array().unwrap() {
        digests.push(l["digest"].as_str().unwrap().to_string());
    }
    (path, digests)
}

fn blob_entry(digest: &str) -> String {
    format!("blobs/{}", digest.replacen(':', "-", 1))
}

/// Every regular file under `dir`, relative, `/`-separated.
fn files_under(dir: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap();
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// Extracts with GNU tar, checks `sha256sum -c` and that every manifest
/// and blob is byte-identical to the models folder it came from.
fn extract_and_compare(archive: &Path, models: &Path, flags: &str) -> BTreeSet<String> {
    let into = archive.with_extension("x");
    std::fs::create_dir_all(&into).unwrap();
    run("tar", &[flags, s(archive), "-C", s(&into)], Path::new("."));
    run("sha256sum", &["-c", "--strict", "SHA256SUMS"], &into);
    let files = files_under(&into);
    for f in files
        .iter()
        .filter(|f| f.starts_with("manifests/") || f.starts_with("blobs/"))
    {
        assert_eq!(
            std::fs::read(into.join(f)).unwrap(),
            std::fs::read(models.join(f)).unwrap(),
            "{f} differs from the source"
        );
    }
    files
}

#[test]
fn two_models_sharing_blobs_extract_byte_identical() {
    let out = scratch("two_models");
    let archive = out.join("two.ollama.tar");
    let (code, _, stderr) = pack(&[s(&store()), LLAMA, TINY, "-o", s(&archive)]);
    assert_eq!(code, 0, "{stderr}");

    let listed = lines(&run("tar", &["-tf", s(&archive)], &out));
    assert_eq!(&listed[..2], ["ollama-pack.json", "SHA256SUMS"]);
    let (llama_manifest, llama_blobs) = model_files(LLAMA);
    let (tiny_manifest, tiny_blobs) = model_files(TINY);
    let shared: Vec<&String> = llama_blobs
        .iter()
        .filter(|d| tiny_blobs.contains(d))
        .collect();
    assert!(
        shared.len() >= 2,
        "the fixture's models share weights and template"
    );
    for d in &shared {
        let n = listed.iter().filter(|l| **l == blob_entry(d)).count();
        assert_eq!(n, 1, "shared blob {d} listed {n} times");
    }
    let mut wanted: BTreeSet<String> = llama_blobs
        .iter()
        .chain(&tiny_blobs)
        .map(|d| blob_entry(d))
        .collect();
    wanted.insert(llama_manifest);
    wanted.insert(tiny_manifest);
    wanted.insert("ollama-pack.json".into());
    wanted.insert("SHA256SUMS".into());
    assert_eq!(listed.len(), wanted.len(), "{listed:?}");
    assert_eq!(listed.iter().cloned().collect::<BTreeSet<_>>(), wanted);

    let extracted = extract_and_compare(&archive, &store().join("models"), "-xf");
    assert_eq!(extracted, wanted);
    assert_eq!(python_names(&archive), listed);
    if has_bsdtar() {
        assert_eq!(lines(&run("bsdtar", &["-tf", s(&archive)], &out)), listed);
    }
    let index: Value = serde_json::from_slice(
        &std::fs::read(archive.with_extension("x").join("ollama-pack.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(index["format"], "ollama-pack");
    assert_eq!(index["version"], 1);
    let names: Vec<&str> = index["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [TINY, LLAMA]);
    assert_eq!(index["totals"]["blobs"], listed.len() - 4);
}

#[test]
fn a_manifest_path_over_100_bytes_survives_gnu_tar_and_python() {
    let out = scratch("long_path");
    let copy = out.join("store");
    common::copy_dir(&store(), &copy);
    let (model, tag) = ("m".repeat(70), "t".repeat(70));
    let rel = format!("manifests/registry.ollama.ai/library/{model}/{tag}");
    assert!(rel.len() > 150);
    let gemma = copy.join("models/manifests/registry.ollama.ai/library/gemma2/2b");
    let long = copy.join("models").join(&rel);
    std::fs::create_dir_all(long.parent().unwrap()).unwrap();
    std::fs::copy(&gemma, &long).unwrap();

    let archive = out.join("long.ollama.tar");
    let name = format!("{model}:{tag}");
    let (code, _, stderr) = pack(&[s(&copy), &name, "-o", s(&archive)]);
    assert_eq!(code, 0, "{stderr}");
    let listed = lines(&run("tar", &["-tf", s(&archive)], &out));
    assert_eq!(listed[2], rel);
    assert_eq!(python_names(&archive), listed);
    if has_bsdtar() {
        assert_eq!(lines(&run("bsdtar", &["-tf", s(&archive)], &out)), listed);
    }
    let files = extract_and_compare(&archive, &copy.join("models"), "-xf");
    assert!(files.contains(&rel));
    // Python extracts it whole too.
    let py = out.join("py");
    let script = "import tarfile,sys\ntarfile.open(sys.argv[1]).extractall(sys.argv[2])";
    run("python3", &["-c", script, s(&archive), s(&py)], &out);
    assert_eq!(
        std::fs::read(py.join(&rel)).unwrap(),
        std::fs::read(&long).unwrap()
    );
}

#[test]
fn gzip_output_is_read_by_tar_xzf_and_verifies() {
    let out = scratch("gzip");
    let (plain, gz, fast) = (
        out.join("a.tar"),
        out.join("a.tar.gz"),
        out.join("b.tar.gz"),
    );
    assert_eq!(
        pack(&[s(&store()), "gemma2:2b", LLAMA, "-o", s(&plain)]).0,
        0
    );
    let (code, _, stderr) = pack(&[s(&store()), "gemma2:2b", LLAMA, "--gzip", "-o", s(&gz)]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = pack(&[s(&store()), "gemma2:2b", LLAMA, "--gzip=1", "-o", s(&fast)]);
    assert_eq!(code, 0, "{stderr}");
    extract_and_compare(&gz, &store().join("models"), "-xzf");
    for f in [&gz, &fast] {
        let unzipped = run("gzip", &["-dc", s(f)], &out).stdout;
        assert_eq!(unzipped, std::fs::read(&plain).unwrap(), "{}", f.display());
    }
    assert_eq!(pack(&[s(&store()), LLAMA, "--gzip=10", "-o", s(&gz)]).0, 2);
}

#[test]
fn a_corrupted_blob_stops_the_pack_and_leaves_no_file() {
    let out = scratch("corrupt");
    let copy = out.join("store");
    common::copy_dir(&store(), &copy);
    let (_, blobs) = model_files(LLAMA);
    let weights = blobs
        .iter()
        .max_by_key(|d| {
            std::fs::metadata(copy.join("models").join(blob_entry(d)))
                .unwrap()
                .len()
        })
        .unwrap();
    let path = copy.join("models").join(blob_entry(weights));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100] ^= 0x40;
    std::fs::write(&path, bytes).unwrap();

    let dest = out.join("dest");
    std::fs::create_dir_all(&dest).unwrap();
    let (code, _, stderr) = pack(&[s(&copy), LLAMA, "-o", s(&dest.join("x.tar"))]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(LLAMA) && stderr.contains(weights.as_str()),
        "{stderr}"
    );
    assert!(stderr.contains("damaged"), "{stderr}");
    assert_eq!(
        files_under(&dest),
        BTreeSet::new(),
        "no archive, no partial file"
    );

    // To stdout, the stream stops short and the exit code says so.
    let (code, stdout, stderr) = pack(&[s(&copy), LLAMA, "-o", "-"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("cut short"), "{stderr}");
    std::fs::write(out.join("cut.tar"), stdout).unwrap();
    let listing = Command::new("tar")
        .args(["-tf", "cut.tar"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(
        !listing.status.success(),
        "GNU tar must see a truncated archive"
    );
}

#[test]
fn a_model_with_a_missing_blob_is_refused_before_writing() {
    let out = scratch("missing");
    let archive = out.join("phi.tar");
    let (code, _, stderr) = pack(&[s(&store()), PHI, "gemma2:2b", "-o", s(&archive)]);
    assert_eq!(code, 1, "{stderr}");
    let missing = expected()["blobs"]["missing"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        stderr.contains(PHI) && stderr.contains(&missing),
        "{stderr}"
    );
    assert!(stderr.contains("No archive was written"), "{stderr}");
    assert!(
        !stderr.contains("Packing"),
        "refused before writing: {stderr}"
    );
    assert_eq!(files_under(&out), BTreeSet::new());
}

#[test]
fn all_packs_the_intact_models_and_names_the_skipped() {
    let out = scratch("all");
    let archive = out.join("all.tar");
    let (code, _, stderr) = pack(&[s(&store()), "--all", "-o", s(&archive)]);
    assert_eq!(code, 1, "something was skipped: {stderr}");
    assert!(stderr.contains(&format!("skipped {PHI}")), "{stderr}");
    assert!(
        stderr.contains("skipped manifests/registry.ollama.ai/library/broken/latest"),
        "{stderr}"
    );
    let files = extract_and_compare(&archive, &store().join("models"), "-xf");
    let index: Value = serde_json::from_slice(
        &std::fs::read(archive.with_extension("x").join("ollama-pack.json")).unwrap(),
    )
    .unwrap();
    let names: BTreeSet<&str> = index["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["gemma2:2b", LLAMA, "llama3.2:1b", TINY])
    );
    assert!(files
        .iter()
        .all(|f| !f.contains("phi") && !f.contains("broken")));

    // A folder with nothing broken: exit 0.
    let copy = out.join("clean");
    common::copy_dir(&store(), &copy);
    std::fs::remove_dir_all(copy.join("models/manifests/hf.co")).unwrap();
    std::fs::remove_dir_all(copy.join("models/manifests/registry.ollama.ai/library/broken"))
        .unwrap();
    let (code, _, stderr) = pack(&[s(&copy), "--all", "-o", s(&out.join("clean.tar"))]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn stdout_output_equals_the_file() {
    let out = scratch("stdout");
    let file = out.join("f.tar");
    assert_eq!(
        pack(&[s(&store()), LLAMA, "gemma2:2b", "-o", s(&file)]).0,
        0
    );
    let (code, stdout, stderr) = pack(&[s(&store()), LLAMA, "gemma2:2b", "-o", "-"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, std::fs::read(&file).unwrap());
}

#[test]
fn what_cannot_run_exits_2_and_writes_nothing() {
    let out = scratch("cannot_run");
    let models = store().join("models");
    let inside = models.join("x.tar");
    let (code, _, stderr) = pack(&[s(&store()), LLAMA, "-o", s(&inside)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("inside the models folder"), "{stderr}");
    assert!(!inside.exists());
    let (code, _, stderr) = pack(&[s(&store()), "nope:1", "-o", s(&out.join("n.tar"))]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no model named \"nope:1\""), "{stderr}");
    let (code, _, _) = pack(&[s(&store()), "-o", s(&out.join("n.tar"))]);
    assert_eq!(code, 2, "a model or --all is required");
    let (code, _, _) = pack(&[s(&out), LLAMA, "-o", s(&out.join("n.tar"))]);
    assert_eq!(code, 2, "not a models folder");
    assert_eq!(files_under(&out), BTreeSet::new());
}

#[test]
fn a_70_gb_blob_header_reads_right_in_gnu_tar_and_python() {
    use ollama_pack::core::archive::header::file_header;
    let out = scratch("huge_header");
    let size: u64 = 70_000_000_000;
    let name = format!("blobs/sha256-{}", "ab".repeat(32));
    // The header alone: readers list the entry, then hit the end of the file.
    std::fs::write(out.join("h.tar"), file_header(&name, size, 1_700_000_000)).unwrap();
    let gnu = Command::new("tar")
        .args(["-tvf", "h.tar"])
        .current_dir(&out)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&gnu.stdout);
    assert!(
        listing.contains(" 70000000000 ") && listing.contains(&name),
        "{listing}"
    );
    let script = "import tarfile,sys\nm=tarfile.open(sys.argv[1]).next()\nprint(m.name, m.size)";
    let py = run("python3", &["-c", script, "h.tar"], &out);
    assert_eq!(lines(&py), [format!("{name} {size}")]);
    if has_bsdtar() {
        let bsd = Command::new("bsdtar")
            .args(["-tvf", "h.tar"])
            .current_dir(&out)
            .output()
            .unwrap();
        let listing = String::from_utf8_lossy(&bsd.stdout);
        assert!(listing.contains(" 70000000000 "), "{listing}");
    }
}
