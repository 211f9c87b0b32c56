//! Test support for the reader: a small store packed by our own writer,
//! raw tar entries of any type (for hostile archives), gzip and zstd of
//! any bytes, and a driver that feeds an archive in random chunks.

use super::{ArchiveReader, OwnedEvent, ReadError, ReadOptions};
use crate::archive::header::{padding, BLOCK, END_OF_ARCHIVE};
use crate::archive::{choose, read_manifests, ArchiveWriter, Choice, PackPlan, WriteOptions};
use crate::digest::Digest;
use crate::source::{MemSource, StoreSource};
use crate::store::scan_store;
pub use crate::testing::manifest;
use crate::testing::random_chunks;
use pollster::block_on;
use std::io::Write;

pub const LONG_TAG: &str =
    "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt";

pub fn noise(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// The models of the test store: (path under manifests/, manifest, blobs).
pub fn models() -> Vec<(String, Vec<u8>, Vec<Vec<u8>>)> {
    let (wa, wb, tpl) = (
        noise(70_001, 1),
        noise(20_480, 2),
        b"{{ .Prompt }}".to_vec(),
    );
    let (ca, cb) = (
        br#"{"model_family":"a"}"#.to_vec(),
        br#"{"model_family":"b"}"#.to_vec(),
    );
    vec![
        (
            "registry.ollama.ai/library/alpha/8b".into(),
            manifest(&ca, &[&wa, &tpl]),
            vec![ca.clone(), wa, tpl.clone()],
        ),
        (
            "localhost:5000/team/beta/latest".into(),
            manifest(&cb, &[&wb, &tpl]),
            vec![cb.clone(), wb, tpl.clone()],
        ),
        (
            format!("registry.ollama.ai/library/{}/{LONG_TAG}", "m".repeat(70)),
            manifest(&ca, &[&tpl]),
            vec![ca, tpl],
        ),
    ]
}

/// The test store as the files of a models folder: (path, bytes).
pub fn store_files() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for (rel, m, blobs) in models() {
        files.push((format!("manifests/{rel}"), m));
        for b in blobs {
            files.push((format!("blobs/{}", Digest::of(&b).blob_file_name()), b));
        }
    }
    files.sort();
    files.dedup();
    files
}

/// The test store packed by our writer (gzip at `gzip`, if given).
pub fn packed(gzip: Option<u32>) -> Vec<u8> {
    let mut src = MemSource::new();
    for (path, bytes) in store_files() {
        src.add_file(&format!("models/{path}"), bytes, 1_700_000_000_000);
    }
    let report = block_on(scan_store(&src, "/s")).unwrap();
    let chosen = choose(&report, &Choice::Intact).unwrap();
    let manifests = block_on(read_manifests(&src, &chosen)).unwrap();
    let plan = PackPlan::new(&report, &chosen, &manifests).unwrap();
    let mut w = ArchiveWriter::new(plan, WriteOptions { gzip }).unwrap();
    let mut out = w.head().unwrap();
    while let Some(i) = w.next_blob() {
        let path = w.plan().blobs()[i].source_path.clone();
        let bytes = block_on(src.read(&path, 0, usize::MAX)).unwrap();
        out.extend(w.begin_blob(i).unwrap());
        out.extend_from_slice(w.blob_data(&bytes).unwrap());
        out.extend(w.end_blob().unwrap());
    }
    out.extend(w.finish().unwrap());
    out
}

/// A raw header: any name bytes, type and link name, ustar magic.
pub fn header(name: &[u8], size: u64, kind: u8, link: &[u8]) -> Vec<u8> {
    let mut h = tar::Header::new_ustar();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
    h.set_mode(0o644);
    h.set_mtime(1_700_000_000);
    h.set_size(size);
    h.set_entry_type(tar::EntryType::new(kind));
    h.set_cksum();
    h.as_bytes().to_vec()
}

/// A whole entry: header, data, padding.
pub fn entry(name: &str, data: &[u8], kind: u8) -> Vec<u8> {
    let mut out = header(name.as_bytes(), data.len() as u64, kind, b"");
    out.extend_from_slice(data);
    out.resize(out.len() + padding(data.len() as u64), 0);
    out
}

/// One PAX record, its length counting its own digits.
pub fn pax(key: &str, value: &str) -> Vec<u8> {
    let body = key.len() + value.len() + 3;
    let mut len = body + 1;
    while body + len.to_string().len() != len {
        len = body + len.to_string().len();
    }
    format!("{len} {key}={value}\n").into_bytes()
}

/// Entries followed by the end marker.
pub fn tar_of(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out: Vec<u8> = entries.concat();
    out.extend_from_slice(&END_OF_ARCHIVE);
    assert_eq!(out.len() % BLOCK, 0);
    out
}

/// The test store as plain files under `prefix`, with folder entries.
pub fn tree_tar(prefix: &str) -> Vec<u8> {
    let mut entries = vec![entry(&format!("{prefix}manifests/"), b"", b'5')];
    entries.push(entry(&format!("{prefix}blobs/"), b"", b'5'));
    for (path, bytes) in store_files() {
        let name = format!("{prefix}{path}");
        if name.len() > 100 {
            entries.push(entry("././@PaxHeader", &pax("path", &name), b'x'));
            entries.push(entry(&name[..100], &bytes, b'0'));
        } else {
            entries.push(entry(&name, &bytes, b'0'));
        }
    }
    tar_of(&entries)
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
}

/// Every event, the archive fed in random chunks (seed, up to `max`).
pub fn events(archive: &[u8], seed: u64, max: usize) -> Result<Vec<OwnedEvent>, ReadError> {
    let mut r = ArchiveReader::new(ReadOptions {
        input_size: Some(archive.len() as u64),
        ..ReadOptions::default()
    });
    let mut out = Vec::new();
    for chunk in random_chunks(archive, seed, max) {
        out.extend(r.feed_owned(chunk)?);
    }
    r.finish(&mut |e| out.push(e.into()))?;
    Ok(out)
}

/// (path, data) of each file entry, from events; data chunks joined.
pub fn files(events: &[OwnedEvent]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut open = false;
    for e in events {
        match e {
            OwnedEvent::Entry(i) if i.kind == super::EntryKind::File => {
                out.push((i.path.clone(), Vec::new()));
                open = true;
            }
            OwnedEvent::Entry(_) | OwnedEvent::EntryEnd => open = false,
            OwnedEvent::Data(d) => {
                assert!(open && !d.is_empty());
                out.last_mut().unwrap().1.extend_from_slice(d);
            }
            _ => {}
        }
    }
    out
}
