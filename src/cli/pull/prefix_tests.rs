//! Tests of the prefix hashers: the written-range bookkeeping, parts that
//! land out of order (and resumed bytes) hashing to the blob, bytes hashed
//! from memory and which are held, and the cases that are left to a
//! whole-file hash.

use super::*;
use std::sync::mpsc;
use std::time::Duration;

/// A blobs folder holding the partial file of `data`, all zeros.
fn setup(name: &str, data: &[u8]) -> (PathBuf, Digest) {
    let dir =
        std::env::temp_dir().join(format!("ollama-pack-prefix-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let digest = Digest::of(data);
    std::fs::write(partial_path(&dir, &digest), vec![0u8; data.len()]).unwrap();
    (dir, digest)
}

/// Writes `range` of `data` into the partial file, as a body write would.
fn land(dir: &Path, digest: &Digest, data: &[u8], range: std::ops::Range<usize>) {
    use std::io::{Seek, SeekFrom, Write};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(partial_path(dir, digest))
        .unwrap();
    file.seek(SeekFrom::Start(range.start as u64)).unwrap();
    file.write_all(&data[range]).unwrap();
}

fn verdict(rx: &mpsc::Receiver<Event>) -> (Digest, u64) {
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(Event::Verified(_, Ok(v))) => v,
        _ => panic!("no verdict"),
    }
}

#[test]
fn parts_landing_out_of_order_hash_to_the_blob() {
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + i / 999) as u8).collect();
    let (dir, digest) = setup("order", &data);
    let (tx, rx) = mpsc::channel();
    let mut p = Prefix::new(&dir, tx, Buffers::default());
    // Some writes are held, the others (beyond 1 MB ahead) read back.
    p.window = 1_000_000;
    // Ollama's records say the first 100 kB were there already.
    let resumed = [PartRecord {
        n: 0,
        offset: 0,
        size: 1_000_000,
        completed: 100_000,
    }];
    land(&dir, &digest, &data, 0..100_000);
    p.open(&digest, data.len() as u64, &resumed);
    for (id, range) in [
        (1, 2_000_000..3_000_000),
        (2, 100_000..1_000_000),
        (3, 1_000_000..2_000_000),
    ] {
        let target = BodyTarget::Write {
            digest: digest.clone(),
            offset: range.start as u64,
            len: range.len() as u64,
        };
        p.target(RequestId(id), &target);
        for start in range.clone().step_by(300_000) {
            let end = (start + 300_000).min(range.end);
            land(&dir, &digest, &data, start..end);
            p.written(RequestId(id), data[start..end].to_vec());
        }
    }
    // Everything was hashed while "downloading", before Verify.
    let shared = p.hashers.get(&digest).unwrap().clone();
    for _ in 0..1000 {
        if shared.lock().prefix.hashed() == data.len() as u64 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        shared.lock().prefix.hashed(),
        data.len() as u64,
        "hashed before Verify"
    );
    assert!(p.verify(&digest), "the prefix hasher answers");
    assert_eq!(verdict(&rx), (digest, data.len() as u64));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_write_over_hashed_bytes_or_a_cancel_leaves_it_to_a_whole_hash() {
    let data = vec![5u8; 1000];
    let (dir, digest) = setup("overlap", &data);
    let (tx, _rx) = mpsc::channel();
    let mut p = Prefix::new(&dir, tx, Buffers::default());
    p.open(&digest, 1000, &[]);
    let write = |offset, len| BodyTarget::Write {
        digest: digest.clone(),
        offset,
        len,
    };
    p.target(RequestId(1), &write(0, 500));
    p.written(RequestId(1), data[..500].to_vec());
    // The registry ignored Range: the whole body from 0 again.
    p.target(RequestId(2), &write(0, 1000));
    assert!(!p.verify(&digest));

    p.open(&digest, 1000, &[]);
    p.target(RequestId(3), &write(0, 1000));
    p.cancel(RequestId(3));
    assert!(!p.verify(&digest));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bytes_handed_over_are_hashed_from_memory() {
    let data: Vec<u8> = (0..2_500_000u32)
        .map(|i| (i * 13 + i / 777) as u8)
        .collect();
    // The partial file stays all zeros: only the handed-over bytes can
    // give the blob's digest.
    let (dir, digest) = setup("memory", &data);
    let (tx, rx) = mpsc::channel();
    let buffers = Buffers::default();
    let mut p = Prefix::new(&dir, tx, buffers.clone());
    p.open(&digest, data.len() as u64, &[]);
    let target = BodyTarget::Write {
        digest: digest.clone(),
        offset: 0,
        len: data.len() as u64,
    };
    p.target(RequestId(1), &target);
    for chunk in data.chunks(400_000) {
        p.written(RequestId(1), chunk.to_vec());
    }
    assert!(p.verify(&digest), "the prefix hasher answers");
    assert_eq!(verdict(&rx), (digest, data.len() as u64));
    let _ = std::fs::remove_dir_all(&dir);
}
