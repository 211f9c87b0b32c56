//! Hostile archives, made by hand: each is refused with the right error
//! kind, as soon as the offending header is read, before any of its data
//! (or any event for it) is handed on.

use super::testkit::*;
use super::*;

/// Feeds in random chunks; returns the events handed on and the error.
fn refused(archive: &[u8], options: ReadOptions) -> (Vec<OwnedEvent>, ReadError) {
    for seed in 0..4 {
        let mut r = ArchiveReader::new(options);
        let mut events = Vec::new();
        let mut error = None;
        for chunk in crate::testing::random_chunks(archive, seed, 700) {
            if let Err(e) = r.feed(chunk, &mut |e| events.push(OwnedEvent::from(e))) {
                error = Some(e);
                break;
            }
        }
        let error = error
            .or_else(|| r.finish(&mut |_| {}).err())
            .expect("refused");
        assert_eq!(
            r.feed(b"more", &mut |_| {}).unwrap_err(),
            ReadError::Finished
        );
        if seed == 3 {
            return (events, error);
        }
    }
    unreachable!()
}

fn kind_of(archive: &[u8]) -> &'static str {
    refused(archive, ReadOptions::default()).1.kind()
}

fn bad(name: &[u8], kind: u8, link: &[u8]) -> Vec<u8> {
    let mut h = header(name, 5, kind, link);
    h.extend_from_slice(b"data!");
    h.resize(1024, 0);
    tar_of(&[entry("blobs/", b"", b'5'), h])
}

#[test]
fn unsafe_names_and_types_are_refused_at_the_header() {
    for (name, kind, link, want) in [
        (&b"../evil"[..], b'0', &b""[..], "parent_path"),
        (b"./blobs/../../evil", b'0', b"", "parent_path"),
        (b"/etc/cron.d/evil", b'0', b"", "absolute_path"),
        (b"blobs/sha256-x", b'2', b"/etc/passwd", "symlink"),
        (b"blobs/sha256-x", b'1', b"blobs/y", "hard_link"),
        (b"dev/sda", b'4', b"", "device"),
        (b"dev/tty", b'3', b"", "device"),
        (b"blobs/pipe", b'6', b"", "fifo"),
        (b"blobs/sparse", b'S', b"", "unsupported_entry"),
        (b"blobs/odd", b'Z', b"", "unsupported_entry"),
    ] {
        let (events, e) = refused(&bad(name, kind, link), ReadOptions::default());
        assert_eq!(e.kind(), want, "{name:?}");
        assert!(e.to_string().contains(&path::display(name)), "{e}");
        assert_eq!(
            events.len(),
            3,
            "only the format and the folder entry were handed on: {events:?}"
        );
    }
}

#[test]
fn extended_headers_cannot_smuggle_names() {
    let nul = [
        entry("x", &pax("path", "blobs/a\0b"), b'x'),
        entry("blobs/a", b"1", b'0'),
    ];
    assert_eq!(kind_of(&tar_of(&nul)), "nul_in_name");
    let up = [
        entry("././@LongLink", b"../../.bashrc\0", b'L'),
        entry("x", b"1", b'0'),
    ];
    assert_eq!(kind_of(&tar_of(&up)), "parent_path");
    let link = [
        entry("x", &pax("linkpath", "/"), b'x'),
        entry("blobs/l", b"", b'2'),
    ];
    assert_eq!(kind_of(&tar_of(&link)), "symlink");
    let sparse = [
        entry("x", &pax("GNU.sparse.major", "1"), b'x'),
        entry("blobs/s", b"1", b'0'),
    ];
    assert_eq!(kind_of(&tar_of(&sparse)), "unsupported_entry");
    let mut huge = header(b"././@PaxHeader", 64 << 20, b'x', b"");
    huge.extend_from_slice(&[b'9'; 4096]);
    assert_eq!(kind_of(&huge), "header_too_large");
    let garbled = [
        entry("x", b"99 path=a\n", b'x'),
        entry("blobs/a", b"1", b'0'),
    ];
    assert_eq!(kind_of(&tar_of(&garbled)), "bad_header");
    let dangling = [entry("x", &pax("path", "a"), b'x')];
    assert_eq!(kind_of(&tar_of(&dangling)), "bad_header");
}

#[test]
fn damaged_and_lying_headers() {
    let mut sum = tar_of(&[entry("blobs/", b"", b'5'), entry("blobs/a", b"1", b'0')]);
    sum[512 + 100] ^= 1; // the mode field, after the checksum was set
    assert_eq!(kind_of(&sum), "bad_checksum");
    let mut lying = header(b"blobs/sha256-big", 1 << 40, b'0', b"");
    lying.extend_from_slice(&[0; 4096]);
    let options = ReadOptions {
        input_size: Some(lying.len() as u64),
        ..ReadOptions::default()
    };
    assert_eq!(refused(&lying, options).1.kind(), "beyond_archive");
    assert_eq!(kind_of(&lying), "truncated");
    let mut cut = tar_of(&[entry("blobs/a", &[1; 600], b'0')]);
    cut.truncate(700);
    assert_eq!(
        refused(&cut, ReadOptions::default()).1,
        ReadError::Truncated {
            entry: Some("blobs/a".into())
        }
    );
    assert_eq!(kind_of(b""), "not_an_archive");
    assert_eq!(
        kind_of(b"%PDF-1.7 and so on, far more than a block"),
        "truncated"
    );
    assert_eq!(kind_of(&[b'%'; 2048]), "not_an_archive");
}

#[test]
fn decompression_is_bounded() {
    let bomb = gzip(&tar_of(&[entry("blobs/zeros", &vec![0; 8 << 20], b'0')]));
    let tight = ReadOptions {
        max_ratio: 10,
        ratio_margin: 1 << 20,
        ..ReadOptions::default()
    };
    assert_eq!(refused(&bomb, tight).1.kind(), "bomb");
    let zbomb = zstd(&tar_of(&[entry("blobs/zeros", &vec![0; 8 << 20], b'0')]));
    assert_eq!(refused(&zbomb, tight).1.kind(), "bomb");
    let capped = ReadOptions {
        max_output: Some(1 << 20),
        ..ReadOptions::default()
    };
    assert_eq!(refused(&bomb, capped).1.kind(), "too_large");
    // A zstd frame asking for a 2 TiB window.
    let window = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0, 0, 0, 0];
    assert_eq!(kind_of(&window), "zstd_window");
    let mut flipped = zstd(&packed(None));
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0xff;
    // Without a checksum in the frame, the damage may show only in a blob.
    assert!(!verify_bytes(&flipped, 1000).0.is_intact());
    let mut gz = gzip(&packed(None));
    let n = gz.len();
    gz[n - 6] ^= 1; // the CRC
    assert_eq!(kind_of(&gz), "corrupt");
}

#[test]
fn an_index_whose_blob_sizes_overflow_u64_is_a_problem_not_a_panic() {
    // Found by fuzzing: summing the index's blob sizes overflowed u64.
    let (rel, manifest, blobs) = &models()[1];
    let digests: Vec<String> = blobs
        .iter()
        .map(|b| crate::digest::Digest::of(b).to_string())
        .collect();
    let index = format!(
        r#"{{"format":"ollama-pack","version":1,"created_by":"test",
        "models":[{{"name":"x","manifest_path":"manifests/{rel}","manifest_digest":"{}","size":1}}],
        "blobs":[{{"digest":"{}","size":{max}}},{{"digest":"{}","size":{max}}},{{"digest":"{}","size":2}}],
        "totals":{{"models":1,"blobs":3,"bytes":{max}}}}}"#,
        crate::digest::Digest::of(manifest),
        digests[0],
        digests[1],
        digests[2],
        max = u64::MAX
    );
    let mut entries = vec![
        entry("ollama-pack.json", index.as_bytes(), b'0'),
        entry(&format!("manifests/{rel}"), manifest, b'0'),
    ];
    for (b, d) in blobs.iter().zip(&digests) {
        entries.push(entry(&format!("blobs/{}", d.replace(':', "-")), b, b'0'));
    }
    let (report, _) = verify_bytes(&tar_of(&entries), 1000);
    let problems: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
    let wrong_size = format!("says blob {} has {} bytes", digests[0], u64::MAX);
    assert!(
        problems.iter().any(|p| p.contains(&wrong_size)),
        "{problems:?}"
    );
    assert!(!report.is_intact());
}
