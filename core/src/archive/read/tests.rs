//! Our writer's archives read back: plain, gzip (one and several members)
//! and zstd (several frames, a skippable one), in random chunkings; the
//! verifier's verdicts; truncation at many offsets; a corrupted byte
//! naming its blob; data after the end.

use super::testkit::*;
use super::*;
use crate::digest::Digest;

fn expected_models() -> Vec<String> {
    let mut names: Vec<String> = models()
        .iter()
        .map(|(rel, ..)| {
            crate::name::ModelName::from_manifest_path(rel)
                .unwrap()
                .display_shortest()
        })
        .collect();
    names.sort();
    names
}

fn assert_intact(archive: &[u8], layout: Layout) {
    for chunk in [1, 7, 512, 4096, 1 << 20] {
        let (report, manifests) = verify_bytes(archive, chunk);
        assert!(report.is_intact(), "chunk {chunk}: {report:#?}");
        assert_eq!(report.layout, layout);
        let mut names: Vec<String> = report.models.iter().map(|m| m.name.clone()).collect();
        names.sort();
        assert_eq!(names, expected_models());
        for (rel, bytes, _) in models() {
            let m = manifests
                .iter()
                .find(|m| m.manifest_path == format!("manifests/{rel}"))
                .unwrap();
            assert_eq!(m.bytes, bytes);
            assert!(m.ok);
            let model = report
                .models
                .iter()
                .find(|r| r.manifest_path == m.manifest_path)
                .unwrap();
            assert_eq!(model.id, Digest::of(&bytes).short_id());
        }
        assert_eq!(report.blobs.len(), 5);
        assert!(report
            .blobs
            .iter()
            .all(|b| b.outcome.is_ok() && !b.models.is_empty()));
    }
}

#[test]
fn our_archive_reads_back_entry_for_entry_in_any_chunking() {
    let archive = packed(None);
    let whole = files(&events(&archive, 0, usize::MAX).unwrap());
    assert_eq!(whole[0].0, "ollama-pack.json");
    assert_eq!(whole[1].0, "SHA256SUMS");
    let mut body: Vec<(String, Vec<u8>)> = whole[2..].to_vec();
    body.sort();
    assert_eq!(body, store_files());
    for seed in 1..40 {
        let evs = events(&archive, seed, 3000).unwrap();
        assert_eq!(files(&evs), whole, "seed {seed}");
        assert_eq!(evs.last(), Some(&OwnedEvent::End));
    }
    assert_intact(&archive, Layout::OllamaPack);
}

#[test]
fn gzip_and_zstd_read_the_same() {
    let plain = packed(None);
    let want = files(&events(&plain, 0, usize::MAX).unwrap());
    let gz = packed(Some(6));
    let (half_a, half_b) = plain.split_at(12_345);
    let multi_gz = [gzip(half_a), gzip(half_b)].concat();
    let zst = zstd(&plain);
    let mut multi_zst = vec![0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3];
    multi_zst.extend(zstd(half_a));
    multi_zst.extend(zstd(half_b));
    for (what, archive, kind) in [
        ("gzip", &gz, Compression::Gzip),
        ("gzip members", &multi_gz, Compression::Gzip),
        ("zstd", &zst, Compression::Zstd),
        ("zstd frames", &multi_zst, Compression::Zstd),
    ] {
        for seed in 0..8 {
            assert_eq!(
                files(&events(archive, seed, 5000).unwrap()),
                want,
                "{what} {seed}"
            );
        }
        let mut r = ArchiveReader::new(ReadOptions::default());
        r.feed(&archive[..4], &mut |_| {}).unwrap();
        assert_eq!(r.compression(), Some(kind), "{what}");
        assert_intact(archive, Layout::OllamaPack);
    }
}

#[test]
fn a_cut_anywhere_is_an_error_never_an_intact_archive() {
    for (what, archive) in [
        ("plain", packed(None)),
        ("gzip", packed(Some(1))),
        ("zstd", zstd(&packed(None))),
    ] {
        let step = (archive.len() / 300).max(1);
        let cuts = (0..archive.len())
            .step_by(step)
            .chain([archive.len() - 1, 1, 511, 512, 513]);
        for cut in cuts {
            let (report, manifests) = verify_bytes(&archive[..cut], 4096);
            let kind = report.error.as_ref().map(|e| e.kind());
            assert!(
                matches!(
                    kind,
                    Some("truncated" | "not_an_archive" | "corrupt" | "beyond_archive")
                ),
                "{what} cut at {cut}: {kind:?}"
            );
            assert!(!report.is_intact());
            assert!(manifests.iter().all(|m| !m.ok), "{what} cut at {cut}");
        }
    }
}

#[test]
fn a_declared_size_past_the_end_of_a_plain_archive_is_refused_at_its_header() {
    let archive = packed(None);
    let (report, _) = verify_bytes(&archive[..archive.len() - 2048], 100);
    assert_eq!(report.error.unwrap().kind(), "beyond_archive");
}

#[test]
fn a_corrupted_blob_byte_names_the_blob_and_fails_only_its_models() {
    let archive = packed(None);
    let (_, _, blobs) = &models()[1];
    let weights = &blobs[1];
    let at = archive
        .windows(64)
        .position(|w| w == &weights[1000..1064])
        .unwrap();
    let mut bad = archive.clone();
    bad[at] ^= 0x40;
    let (report, manifests) = verify_bytes(&bad, 65_536);
    assert!(report.error.is_none() && !report.is_intact());
    let digest = Digest::of(weights);
    let beta = report.model("localhost:5000/team/beta:latest").unwrap();
    assert!(!beta.ok);
    assert!(
        beta.problems
            .iter()
            .any(|p| p.contains(&digest.to_string()) && p.contains("damaged")),
        "{beta:?}"
    );
    assert!(report.model("alpha:8b").unwrap().ok);
    let blob = report.blobs.iter().find(|b| b.digest == digest).unwrap();
    assert_eq!(blob.outcome.label(), "mismatch");
    assert_eq!(manifests.iter().filter(|m| m.ok).count(), 2);
}

#[test]
fn a_corrupted_manifest_byte_fails_its_model_through_index_and_sums() {
    let archive = packed(None);
    let (rel, bytes, _) = &models()[0];
    let at = archive
        .windows(bytes.len())
        .position(|w| w == bytes.as_slice())
        .unwrap();
    let mut bad = archive.clone();
    // Still JSON: change a digit of the config size.
    let digit = bytes.windows(7).position(|w| w == b"\"size\":").unwrap() + 7;
    bad[at + digit] = if bad[at + digit] == b'1' { b'2' } else { b'1' };
    let (report, _) = verify_bytes(&bad, 4096);
    let model = report
        .models
        .iter()
        .find(|m| m.entry == format!("manifests/{rel}"))
        .unwrap();
    assert!(!model.ok);
    let text = model.problems.join("\n");
    assert!(
        text.contains("ollama-pack.json lists") && text.contains("SHA256SUMS"),
        "{text}"
    );
}

#[test]
fn a_damaged_header_is_a_checksum_error() {
    let mut archive = packed(None);
    let sums = archive
        .windows(11)
        .position(|w| w == b"SHA256SUMS\0")
        .unwrap();
    archive[sums + 3] ^= 1;
    let (report, _) = verify_bytes(&archive, 4096);
    assert_eq!(report.error.unwrap().kind(), "bad_checksum");
    archive[0] ^= 1;
    let (report, _) = verify_bytes(&archive[..2048], 4096);
    assert_eq!(report.error.unwrap().kind(), "not_an_archive");
}

#[test]
fn data_after_the_end_is_reported_once() {
    let mut plain = packed(None);
    plain.extend_from_slice(&[0; 10240]);
    assert!(
        verify_bytes(&plain, 999).0.is_intact(),
        "zero padding is fine"
    );
    plain.extend_from_slice(b"garbage");
    plain.extend_from_slice(&[7; 5000]);
    let evs = events(&plain, 3, 4000).unwrap();
    let trailing: Vec<_> = evs
        .iter()
        .filter(|e| matches!(e, OwnedEvent::Trailing { .. }))
        .collect();
    assert_eq!(trailing.len(), 1);
    let (report, _) = verify_bytes(&plain, 999);
    assert!(report.error.is_none() && !report.is_intact());
    assert!(
        report.problems[0].message.contains("follows the end"),
        "{:?}",
        report.problems
    );

    let mut gz = packed(Some(1));
    gz.extend_from_slice(b"not gzip at all");
    let (report, _) = verify_bytes(&gz, 999);
    assert!(report.error.is_none() && report.problems[0].message.contains("follows the end"));
    let mut zst = zstd(&packed(None));
    zst.extend_from_slice(&[0; 100]);
    let (report, _) = verify_bytes(&zst, 999);
    assert!(report.error.is_none() && report.problems[0].message.contains("follows the end"));
}

#[test]
fn a_lone_zero_block_ends_the_archive_like_gnu_tar() {
    let mut archive = tar_of(&[entry("manifests/", b"", b'5')]);
    archive.truncate(archive.len() - 1024);
    archive.extend_from_slice(&[0; 512]);
    archive.extend(entry("blobs/x", b"data", b'0'));
    archive.extend_from_slice(&[0; 1024]);
    let evs = events(&archive, 1, 100).unwrap();
    assert!(evs.contains(&OwnedEvent::End));
    assert!(evs
        .iter()
        .any(|e| matches!(e, OwnedEvent::Trailing { offset: 512 })));
}

/// The one `Trailing` offset of an archive fed in random chunks.
fn trailing_offsets(archive: &[u8]) -> Vec<u64> {
    let mut seen = Vec::new();
    for seed in 0..12 {
        let evs = events(archive, seed, 3000).unwrap();
        let offsets: Vec<u64> = evs
            .iter()
            .filter_map(|e| match e {
                OwnedEvent::Trailing { offset } => Some(*offset),
                _ => None,
            })
            .collect();
        assert_eq!(offsets.len(), 1, "seed {seed}: {offsets:?}");
        seen.push(offsets[0]);
    }
    seen.dedup();
    seen
}

#[test]
fn data_after_a_compressed_stream_is_located_in_bytes_of_the_file() {
    let plain = packed(None);
    let (half_a, half_b) = plain.split_at(20_000);
    let gz = gzip(&plain);
    let members = [gzip(half_a), gzip(half_b)].concat();
    let zst = zstd(&plain);
    let mut frames = zstd(half_a);
    frames.extend(zstd(half_b));
    frames.extend([0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9]);
    for (what, stream, padding) in [
        ("gzip", &gz, 0),
        ("gzip members", &members, 0),
        ("gzip, zero padding", &gz, 700),
        ("zstd", &zst, 0),
        ("zstd frames, skippable last", &frames, 0),
    ] {
        let mut file = stream.clone();
        file.resize(file.len() + padding, 0);
        file.extend_from_slice(b"garbage, not compressed data");
        file.extend_from_slice(&[0x55; 9000]);
        let at = (stream.len() + padding) as u64;
        assert_eq!(trailing_offsets(&file), [at], "{what}");
        let (report, _) = verify_bytes(&file, 4096);
        let text = &report.problems[0].message;
        assert!(text.contains(&format!("at byte {at})")), "{what}: {text}");
    }
}
