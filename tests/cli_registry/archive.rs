//! `ollama-pack pull REF -o ARCHIVE`: straight into an archive. GNU tar
//! lists it (index and sums first), `sha256sum -c SHA256SUMS` passes, and
//! `unpack` of it gives the pushed bytes; `-o -` writes the same entries to
//! stdout. A failed pull writes no archive; one that failed mid-transfer
//! keeps its download folder and the same command then finishes it.

use super::support::*;
use std::path::Path;
use std::process::Command;

fn tar_list(archive: &Path) -> Vec<String> {
    let out = Command::new("tar")
        .arg("-tf")
        .arg(archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "GNU tar could not list {}",
        archive.display()
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn pull_into_an_archive_gives_what_pack_would() {
    let Some(reg) = Registry::start("archive") else {
        return;
    };
    let reference = format!("{}/team/gemma:v1", reg.url);
    push_model(&reference);
    let base = scratch("archive");
    let archive = base.join("gemma.tar");
    let a = archive.to_str().unwrap();
    let (code, out, err) = run(&["pull", &reference, "-o", a]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.is_empty(), "stdout stays free for -o -: {out}");
    assert!(err.contains("Packed into"), "{err}");
    assert_eq!(
        file_names(&base),
        ["gemma.tar"],
        "the download folder is gone"
    );

    let source = std::fs::read(store().join(MODEL_MANIFEST)).unwrap();
    let manifest_entry = format!("manifests/{}/team/gemma/v1", reg.host());
    let listed = tar_list(&archive);
    assert_eq!(
        listed[..3],
        ["ollama-pack.json", "SHA256SUMS", manifest_entry.as_str()]
    );
    assert_eq!(listed.len(), 3 + blob_hexes(&source).len(), "{listed:?}");

    let extracted = base.join("extracted");
    std::fs::create_dir_all(&extracted).unwrap();
    let tar = Command::new("tar")
        .args(["-xf", a, "-C"])
        .arg(&extracted)
        .status();
    assert!(tar.unwrap().success());
    let sums = Command::new("sha256sum")
        .args(["--quiet", "-c", "SHA256SUMS"])
        .current_dir(&extracted)
        .output()
        .unwrap();
    assert!(
        sums.status.success(),
        "{}",
        String::from_utf8_lossy(&sums.stdout)
    );

    let models = base.join("models");
    let (code, out, err) = run(&["unpack", a, "-C", models.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(std::fs::read(models.join(&manifest_entry)).unwrap(), source);
    for hex in blob_hexes(&source) {
        let file = format!("sha256-{hex}");
        let want = std::fs::read(store().join("models/blobs").join(&file)).unwrap();
        assert!(
            std::fs::read(models.join("blobs").join(&file)).unwrap() == want,
            "{file}"
        );
    }

    // `-o -`: the same entries on stdout; the download folder in the cwd.
    let piped = base.join("piped");
    std::fs::create_dir_all(&piped).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ollama-pack"))
        .args(["pull", &reference, "-o", "-"])
        .current_dir(&piped)
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(base.join("piped.tar"), &out.stdout).unwrap();
    assert_eq!(tar_list(&base.join("piped.tar")), listed);
    assert!(file_names(&piped).is_empty(), "{:?}", file_names(&piped));

    // `--gzip`: the same entries, gzip-compressed.
    let gz = base.join("gemma.tar.gz");
    let (code, out, err) = run(&["pull", &reference, "-o", gz.to_str().unwrap(), "--gzip=1"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        std::fs::read(&gz).unwrap()[..2],
        [0x1f, 0x8b],
        "a gzip stream"
    );
    assert_eq!(tar_list(&gz), listed, "GNU tar reads it as gzip");
    let (code, _, err) = run(&["pull", &reference, "-C", base.to_str().unwrap(), "--gzip"]);
    assert_eq!(code, 2, "--gzip needs -o: {err}");
}

#[test]
fn a_failed_pull_writes_no_archive_and_the_same_command_finishes_it() {
    let Some(reg) = Registry::start("archive-fail") else {
        return;
    };
    let base = scratch("archive-fail");
    let archive = base.join("big.tar");
    let a = archive.to_str().unwrap();
    let (code, _, err) = run(&["pull", &format!("{}/team/none:v1", reg.url), "-o", a]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("No archive was written"), "{err}");
    assert!(file_names(&base).is_empty(), "{:?}", file_names(&base));

    let model = BigModel::make(&base.join("source"), 3_000_000);
    model.push(&format!("{}/team/big:v1", reg.url));
    let Some(proxy) = FaultProxy::start("archive-fail", &reg.url) else {
        return;
    };
    let path = format!("/blobs/sha256:{}", model.weights_hex);
    proxy.fault(&format!(
        r#"[{{"kind":"drop","path":"{path}","after_bytes":500000,"times":3}},
            {{"kind":"drop","path":"{path}","after_bytes":0,"times":1000}}]"#
    ));
    let reference = format!("{}/team/big:v1", proxy.url);
    let pull = [
        "pull",
        &reference,
        "-o",
        a,
        "--part-size",
        "1000000",
        "--attempts",
        "2",
    ];
    let (code, _, err) = run(&pull);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("No archive was written") && err.contains("big.tar.pulling"),
        "{err}"
    );
    assert!(!archive.exists());
    assert!(file_names(&base).contains(&"big.tar.pulling".to_string()));

    proxy.clear_faults();
    let (code, out, err) = run(&pull);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!base.join("big.tar.pulling").exists());
    let listed = tar_list(&archive);
    assert!(
        listed.contains(&format!("blobs/sha256-{}", model.weights_hex)),
        "{listed:?}"
    );
    let extracted = base.join("x");
    std::fs::create_dir_all(&extracted).unwrap();
    let tar = Command::new("tar")
        .args(["-xf", a, "-C"])
        .arg(&extracted)
        .status();
    assert!(tar.unwrap().success());
    let blob = extracted.join(format!("blobs/sha256-{}", model.weights_hex));
    assert!(std::fs::read(blob).unwrap() == model.weights);
}

/// Ctrl-C while `pull -o -` packs: the archive stops (exit 130, the stream
/// cut short) and the verified download stays for the next run. The pack
/// is held on a full pipe (its reader reads nothing yet) when the signal
/// comes, so it is surely in the pack stage then.
#[cfg(unix)]
#[test]
fn ctrl_c_while_pull_into_an_archive_packs_stops_the_pack() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;
    let Some(reg) = Registry::start("archive-interrupt") else {
        return;
    };
    let base = scratch("archive-interrupt");
    let big = BigModel::make(&base.join("source"), 8 << 20);
    let reference = format!("{}/team/big:v1", reg.url);
    big.push(&reference);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ollama-pack"))
        .args(["pull", &reference, "-o", "-"])
        .current_dir(&base)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let said = std::thread::spawn(move || {
        let mut all = String::new();
        for line in stderr.lines().map_while(Result::ok) {
            if line.starts_with("Packing") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .expect("the pack stage began");
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut archive = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut archive)
        .unwrap();
    let status = child.wait().unwrap();
    let err = said.join().unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(
        archive.len() < big.weights.len(),
        "cut short: {} bytes",
        archive.len()
    );
    assert!(err.contains("interrupted"), "{err}");
    let staged: Vec<String> = file_names(&base)
        .into_iter()
        .filter(|n| n.ends_with(".pulling"))
        .collect();
    assert_eq!(
        staged.len(),
        1,
        "the download stays: {:?}",
        file_names(&base)
    );
}
