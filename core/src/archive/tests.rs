//! Packing a hand-built store in memory, fed in random chunk sizes, read
//! back with the `tar` crate's reader (and flate2's decoder for gzip):
//! shared blobs once, verbatim content, the planned size, long names, and
//! every way a blob can betray its name.

use super::*;
use crate::digest::Digest;
use crate::source::MemSource;
use crate::store::blob_dir::BlobDir;
use crate::store::{scan_store, StoreReport};
use crate::testing::manifest;
use crate::testing::random_chunks;
use crate::verify::PlanError;
use pollster::block_on;
use std::collections::BTreeMap;
use std::io::Read;

const T: i64 = 1_795_305_599_000;
const LONG: &str = "registry.ollama.ai/library/\
    mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm/\
    tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt";

fn noise(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

struct Store {
    src: MemSource,
    weights_a: Vec<u8>,
    template: Vec<u8>,
}

/// alpha:8b and beta share a template; gamma lacks a blob; delta's
/// weights are on disk at the right size with the wrong bytes; a model
/// with a 150-byte manifest path.
fn store() -> Store {
    let mut src = MemSource::new();
    let weights_a = noise(70_001, 1);
    let weights_b = noise(20_480, 2);
    let weights_d = noise(3_000, 3);
    let template = b"{{ .Prompt }}".to_vec();
    let (cfg_a, cfg_b) = (
        br#"{"model_family":"a"}"#.to_vec(),
        br#"{"model_family":"b"}"#.to_vec(),
    );
    let put = |src: &mut MemSource, rel: &str, bytes: &[u8], t: i64| {
        src.add_file(&format!("models/{rel}"), bytes.to_vec(), t)
    };
    let put_blob = |src: &mut MemSource, bytes: &[u8]| {
        put(
            src,
            &format!("blobs/{}", Digest::of(bytes).blob_file_name()),
            bytes,
            T + 5000,
        )
    };
    for b in [&weights_a, &weights_b, &template, &cfg_a, &cfg_b] {
        put_blob(&mut src, b);
    }
    let mut bad = weights_d.clone();
    bad[1234] ^= 1;
    put(
        &mut src,
        &format!("blobs/{}", Digest::of(&weights_d).blob_file_name()),
        &bad,
        T,
    );
    let m = "manifests/registry.ollama.ai/library";
    put(
        &mut src,
        &format!("{m}/alpha/8b"),
        &manifest(&cfg_a, &[&weights_a, &template]),
        T,
    );
    put(
        &mut src,
        &format!("{m}/beta/latest"),
        &manifest(&cfg_b, &[&weights_b, &template]),
        T - 1000,
    );
    put(
        &mut src,
        &format!("{m}/gamma/latest"),
        &manifest(&cfg_b, &[b"never written"]),
        T,
    );
    put(
        &mut src,
        &format!("{m}/delta/latest"),
        &manifest(&cfg_b, &[&weights_d]),
        T,
    );
    put(
        &mut src,
        &format!("manifests/{LONG}"),
        &manifest(&cfg_a, &[&template]),
        T,
    );
    Store {
        src,
        weights_a,
        template,
    }
}

fn scan(src: &MemSource) -> StoreReport {
    block_on(scan_store(src, "/home/u/.ollama")).unwrap()
}

fn names(list: &[&str]) -> Choice {
    Choice::Named(list.iter().map(|s| s.to_string()).collect())
}

fn plan_for(src: &MemSource, choice: &Choice) -> Result<PackPlan, PackPlanError> {
    let report = scan(src);
    let chosen = choose(&report, choice)?;
    let manifests = block_on(read_manifests(src, &chosen)).unwrap();
    PackPlan::new(&report, &chosen, &manifests)
}

fn blob_bytes(src: &MemSource, path: &str) -> Vec<u8> {
    block_on(crate::source::StoreSource::read(src, path, 0, usize::MAX)).unwrap()
}

/// Drives the writer as a browser would: blob by blob, in random chunks.
fn write(
    src: &MemSource,
    plan: PackPlan,
    opts: WriteOptions,
    seed: u64,
) -> Result<(Vec<u8>, Progress), PackError> {
    let mut w = ArchiveWriter::new(plan, opts)?;
    let mut out = w.head()?;
    while let Some(i) = w.next_blob() {
        let blob = w.plan().blobs()[i].clone();
        out.extend(w.begin_blob(i)?);
        for chunk in random_chunks(&blob_bytes(src, &blob.source_path), seed + i as u64, 9000) {
            out.extend(w.blob_data(chunk)?);
        }
        out.extend(w.end_blob()?);
    }
    out.extend(w.finish()?);
    Ok((out, w.progress()))
}

/// (path, mtime, content) of every entry, read by the tar crate.
fn entries(tar: &[u8]) -> Vec<(String, u64, Vec<u8>)> {
    let mut archive = tar::Archive::new(tar);
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let path = e.path().unwrap().to_string_lossy().into_owned();
            let mtime = e.header().mtime().unwrap();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            (path, mtime, data)
        })
        .collect()
}

#[test]
fn two_models_sharing_a_blob_pack_it_once() {
    let s = store();
    let plan = plan_for(&s.src, &names(&["alpha:8b", "beta"])).unwrap();
    assert_eq!(plan.model_names(), ["alpha:8b", "beta:latest"]);
    assert_eq!(plan.blobs().len(), 5);
    let template = plan
        .blobs()
        .iter()
        .find(|b| b.digest == Digest::of(&s.template))
        .unwrap();
    assert_eq!(template.models, ["alpha:8b", "beta:latest"]);
    let sizes: Vec<u64> = plan.blobs().iter().map(|b| b.size).collect();
    assert!(
        sizes.windows(2).all(|w| w[0] <= w[1]),
        "smallest first: {sizes:?}"
    );

    let (tar, progress) = write(&s.src, plan.clone(), WriteOptions::default(), 7).unwrap();
    assert_eq!(tar.len() as u64, plan.archive_size());
    assert_eq!(progress.tar_bytes, plan.archive_size());
    assert_eq!(progress.out_bytes, plan.archive_size());
    assert_eq!(progress.blob_bytes, plan.blob_bytes());
    assert_eq!(progress.blobs_done, 5);

    let got = entries(&tar);
    let paths: Vec<&str> = got.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        &paths[..4],
        [
            "ollama-pack.json",
            "SHA256SUMS",
            "manifests/registry.ollama.ai/library/alpha/8b",
            "manifests/registry.ollama.ai/library/beta/latest",
        ]
    );
    assert_eq!(paths.len(), 4 + 5);
    for (path, _, data) in &got[2..] {
        assert_eq!(
            data,
            &blob_bytes(&s.src, &format!("models/{path}")),
            "{path}"
        );
    }
    let index = PackIndex::parse(&got[0].2).unwrap();
    assert_eq!(index.totals.models, 2);
    assert_eq!(index.totals.blobs, 5);
    assert_eq!(index.totals.bytes, plan.blob_bytes());
    assert_eq!(index.models[1].manifest_path, paths[3]);
    let sums = format::parse_sha256sums(std::str::from_utf8(&got[1].2).unwrap()).unwrap();
    let listed: Vec<(Digest, String)> = got[2..]
        .iter()
        .map(|(p, _, d)| (Digest::of(d), p.clone()))
        .collect();
    assert_eq!(sums, listed);
    // Manifest times kept; index and sums take the newest manifest's.
    assert_eq!(
        (got[0].1, got[2].1, got[3].1),
        (1_795_305_599, 1_795_305_599, 1_795_305_598)
    );
    assert_eq!(got[4].1, 0, "no listing given: blob times unknown");
}

#[test]
fn same_input_same_bytes_whatever_the_chunking() {
    let s = store();
    let plan = plan_for(&s.src, &names(&["alpha:8b", "beta"])).unwrap();
    let first = write(&s.src, plan.clone(), WriteOptions::default(), 1)
        .unwrap()
        .0;
    for seed in 2..8 {
        assert_eq!(
            write(&s.src, plan.clone(), WriteOptions::default(), seed)
                .unwrap()
                .0,
            first
        );
    }
}

#[test]
fn blob_times_come_from_a_listing() {
    let s = store();
    let listing = BlobDir::from_listing(
        block_on(crate::source::StoreSource::list(&s.src, "models/blobs")).unwrap(),
    );
    let plan = plan_for(&s.src, &names(&["alpha:8b"]))
        .unwrap()
        .with_blob_times(&listing);
    let (tar, _) = write(&s.src, plan, WriteOptions::default(), 3).unwrap();
    assert!(entries(&tar)[3..].iter().all(|e| e.1 == 1_795_305_604));
}

#[test]
fn gzip_output_gunzips_to_the_same_tar() {
    let s = store();
    let plan = plan_for(&s.src, &names(&["alpha:8b", "beta"])).unwrap();
    let plain = write(&s.src, plan.clone(), WriteOptions::default(), 4)
        .unwrap()
        .0;
    for level in [0, 1, 6, 9] {
        let (gz, progress) =
            write(&s.src, plan.clone(), WriteOptions { gzip: Some(level) }, 5).unwrap();
        assert_eq!(progress.out_bytes, gz.len() as u64);
        assert_eq!(progress.tar_bytes, plain.len() as u64);
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, plain, "level {level}");
    }
    assert_eq!(
        ArchiveWriter::new(plan, WriteOptions { gzip: Some(10) }).err(),
        Some(PackError::GzipLevel(10))
    );
}

#[test]
fn a_manifest_path_over_100_bytes_survives() {
    let s = store();
    let long_name = format!("{}:{}", &LONG[27..27 + 72], &LONG[27 + 73..]);
    let plan = plan_for(&s.src, &names(&[&long_name])).unwrap();
    assert_eq!(plan.manifests()[0].entry.len(), 10 + LONG.len());
    assert!(plan.manifests()[0].entry.len() > 150);
    let (tar, _) = write(&s.src, plan.clone(), WriteOptions::default(), 9).unwrap();
    assert_eq!(tar.len() as u64, plan.archive_size());
    let got = entries(&tar);
    assert_eq!(got[2].0, format!("manifests/{LONG}"));
    assert_eq!(
        got[2].2,
        blob_bytes(&s.src, &format!("models/manifests/{LONG}"))
    );
}

#[test]
fn a_blob_that_betrays_its_name_stops_the_pack() {
    let s = store();
    let plan = plan_for(&s.src, &names(&["delta"])).unwrap();
    let e = write(&s.src, plan.clone(), WriteOptions::default(), 1).unwrap_err();
    let PackError::BlobMismatch {
        models,
        digest,
        actual,
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!(models, &["delta:latest"]);
    assert_eq!(digest, &plan.blobs().last().unwrap().digest);
    assert_ne!(actual, digest);
    let text = e.to_string();
    assert!(
        text.contains("delta:latest") && text.contains(&digest.to_string()),
        "{text}"
    );
}

#[test]
fn more_or_fewer_bytes_than_declared_are_refused() {
    let s = store();
    let plan = plan_for(&s.src, &names(&["alpha:8b"])).unwrap();
    let last = plan.blobs().len() - 1;
    let blob = plan.blobs()[last].clone();
    assert_eq!(blob.digest, Digest::of(&s.weights_a));
    let start = |w: &mut ArchiveWriter| {
        w.head().unwrap();
        for (i, b) in plan.blobs()[..last].iter().enumerate() {
            w.begin_blob(i).unwrap();
            w.blob_data(&blob_bytes(&s.src, &b.source_path)).unwrap();
            w.end_blob().unwrap();
        }
        w.begin_blob(last).unwrap();
    };
    let mut w = ArchiveWriter::new(plan.clone(), WriteOptions::default()).unwrap();
    start(&mut w);
    w.blob_data(&s.weights_a).unwrap();
    let e = w.blob_data(b"x").unwrap_err();
    assert!(
        matches!(
            e,
            PackError::BlobSize {
                actual: 70_002,
                expected: 70_001,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("more than 70001 bytes"), "{e}");
    assert_eq!(w.end_blob().unwrap_err(), PackError::Aborted);
    assert_eq!(w.finish().unwrap_err(), PackError::Aborted);

    let mut w = ArchiveWriter::new(plan.clone(), WriteOptions::default()).unwrap();
    start(&mut w);
    w.blob_data(&s.weights_a[..70_000]).unwrap();
    let e = w.end_blob().unwrap_err();
    assert!(
        matches!(e, PackError::BlobSize { actual: 70_000, .. }),
        "{e}"
    );
}

#[test]
fn calls_out_of_order_are_errors_not_panics() {
    let s = store();
    let plan = plan_for(&s.src, &names(&["alpha"])).unwrap_err();
    assert!(matches!(plan, PackPlanError::UnknownModels(_)));
    let plan = plan_for(&s.src, &names(&["alpha:8b"])).unwrap();
    let mut w = ArchiveWriter::new(plan.clone(), WriteOptions::default()).unwrap();
    assert_eq!(w.next_blob(), None);
    assert!(matches!(w.begin_blob(0), Err(PackError::OutOfOrder(_))));
    assert!(matches!(w.blob_data(b"x"), Err(PackError::OutOfOrder(_))));
    assert!(matches!(w.finish(), Err(PackError::OutOfOrder(_))));
    w.head().unwrap();
    assert!(matches!(w.head(), Err(PackError::OutOfOrder(_))));
    assert!(matches!(w.begin_blob(1), Err(PackError::OutOfOrder(_))));
    assert!(matches!(w.end_blob(), Err(PackError::OutOfOrder(_))));
    assert_eq!(w.next_blob(), Some(0));
    w.begin_blob(0).unwrap();
    assert_eq!(w.next_blob(), None);
    assert!(matches!(w.begin_blob(1), Err(PackError::OutOfOrder(_))));
}

#[test]
fn models_lacking_blobs_are_refused_by_name_or_skipped_by_intact() {
    let s = store();
    let e = plan_for(&s.src, &names(&["gamma", "alpha:8b"])).unwrap_err();
    let PackPlanError::Unpackable(problems) = &e else {
        panic!("{e}")
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].model, "gamma:latest");
    assert_eq!(problems[0].digest, Digest::of(b"never written"));
    assert_eq!(problems[0].problem, BlobProblem::Missing);
    assert!(e.to_string().contains("gamma:latest: blob sha256:"), "{e}");

    let plan = plan_for(&s.src, &Choice::Intact).unwrap();
    // delta looks intact to a scan (right size): only hashing finds it out.
    assert_eq!(plan.model_names().len(), 4);
    assert_eq!(plan.skipped().len(), 1);
    assert_eq!(plan.skipped()[0].what, "gamma:latest");
    assert!(plan.skipped()[0].reason.contains("is missing"));
}

#[test]
fn names_are_matched_as_typed_and_nothing_is_refused() {
    let s = store();
    let plan = plan_for(
        &s.src,
        &names(&["ALPHA:8B", "registry.ollama.ai/library/beta", "beta:latest"]),
    )
    .unwrap();
    assert_eq!(plan.model_names(), ["alpha:8b", "beta:latest"]);
    assert_eq!(
        plan_for(&s.src, &names(&[])).unwrap_err(),
        PackPlanError::NothingChosen
    );
    let e = plan_for(&s.src, &names(&["nope:1"])).unwrap_err();
    assert!(
        matches!(&e, PackPlanError::UnknownModels(PlanError::UnknownModels { unknown, .. }) if unknown == &["nope:1"])
    );

    let mut empty = MemSource::new();
    empty.add_dir("manifests");
    empty.add_dir("blobs");
    let e = plan_for(&empty, &Choice::Intact).unwrap_err();
    assert!(e.to_string().contains("holds no models"), "{e}");
}

#[test]
fn manifests_must_be_read_and_unchanged() {
    let s = store();
    let report = scan(&s.src);
    let chosen = choose(&report, &names(&["alpha:8b"])).unwrap();
    let to_read = chosen.manifests_to_read();
    assert_eq!(
        to_read[0].source_path,
        "models/manifests/registry.ollama.ai/library/alpha/8b"
    );
    let e = PackPlan::new(&report, &chosen, &BTreeMap::new()).unwrap_err();
    assert_eq!(
        e,
        PackPlanError::ManifestNotRead {
            model: "alpha:8b".into()
        }
    );
    let changed = BTreeMap::from([(to_read[0].manifest_path.clone(), b"{}".to_vec())]);
    let e = PackPlan::new(&report, &chosen, &changed).unwrap_err();
    assert_eq!(
        e,
        PackPlanError::ManifestChanged {
            model: "alpha:8b".into()
        }
    );
}

#[test]
fn suggested_names_and_sizes_before_writing() {
    let s = store();
    let one = plan_for(&s.src, &names(&["alpha:8b"])).unwrap();
    assert_eq!(one.suggested_file_name(false), "alpha_8b.ollama.tar");
    assert_eq!(one.suggested_file_name(true), "alpha_8b.ollama.tar.gz");
    let two = plan_for(&s.src, &names(&["alpha:8b", "beta"])).unwrap();
    assert_eq!(two.suggested_file_name(false), "ollama-models-2.ollama.tar");
    // Blob sizes counted once, plus headers, padding and the end blocks.
    assert!(two.archive_size() > two.blob_bytes() + 9 * 512 + 1024);
    assert!(two.archive_size() < two.blob_bytes() + 20 * 512 + 1024 + 4096);
}

#[test]
fn an_empty_blob_is_an_empty_entry() {
    let mut src = MemSource::new();
    let cfg = br#"{"model_family":"e"}"#.to_vec();
    for b in [&cfg[..], b""] {
        let path = format!("models/blobs/{}", Digest::of(b).blob_file_name());
        src.add_file(&path, b.to_vec(), T);
    }
    let m = "models/manifests/registry.ollama.ai/library/empty/latest";
    src.add_file(m, manifest(&cfg, &[b""]), T);
    let plan = plan_for(&src, &names(&["empty"])).unwrap();
    let (tar, _) = write(&src, plan.clone(), WriteOptions::default(), 1).unwrap();
    assert_eq!(tar.len() as u64, plan.archive_size());
    let got = entries(&tar);
    assert_eq!(
        got[3].0,
        format!("blobs/{}", Digest::of(b"").blob_file_name())
    );
    assert!(got[3].2.is_empty());
}
