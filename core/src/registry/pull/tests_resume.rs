//! The pull machine resuming: from its own part records, from Ollama's,
//! after a cancel; and pulling a model that is already here.

use super::*;

#[test]
fn resumes_from_the_parts_an_earlier_run_saved() {
    let m = model(&[8000], 13);
    let layer = m.order[1].clone();
    let total: u64 = m.blobs.values().map(|b| b.len() as u64).sum();
    let mut resumed = 0;
    for seed in 0..8 {
        // First run: the network dies after 5 part answers.
        let mut reg = registry(&m);
        reg.hook = Some(Box::new(|n, req| {
            (n > 6).then(|| {
                let mut r = Reply::status(200, &req.url);
                r.no_answer = true;
                r
            })
        }));
        let opts = PullOptions {
            retry: crate::registry::RetryPolicy {
                max_attempts: 1,
                ..Default::default()
            },
            ..small_parts()
        };
        let mut disk = Disk::default();
        let first = pull(opts, &mut reg, &mut disk, seed);
        assert!(first.result.is_err());
        let got_first = first.net.delays.len();
        assert!(got_first > 0);
        let records = disk
            .local_blobs()
            .partial
            .get(&layer)
            .cloned()
            .unwrap_or_default();
        let saved: u64 = records.iter().map(|r| r.completed).sum();
        // Second run continues: only the missing bytes travel.
        let mut reg = registry(&m);
        let second = pull(small_parts(), &mut reg, &mut disk, seed + 100);
        let summary = second.result.unwrap();
        assert_pulled(&m, &disk);
        let layer_partial_done = if records.is_empty() { 0 } else { saved };
        assert!(
            summary.downloaded_bytes <= total - layer_partial_done,
            "seed {seed}: {} > {total} - {saved}",
            summary.downloaded_bytes
        );
        assert!(disk.ops.iter().any(|o| o.contains("resume=true")) || records.is_empty());
        resumed += usize::from(saved > 0);
    }
    assert!(
        resumed >= 4,
        "only {resumed} runs had saved parts to resume from"
    );
}

#[test]
fn resumes_an_ollama_download_with_its_own_records() {
    let m = model(&[2500], 14);
    let layer = m.order[1].clone();
    let data = &m.blobs[&layer];
    let mut disk = Disk::default();
    // As Ollama would leave it: two parts, the first half done.
    let partial = format!("blobs/{}-partial", layer.blob_file_name());
    let mut file = vec![0u8; data.len()];
    file[..700].copy_from_slice(&data[..700]);
    disk.files.insert(partial.clone(), file);
    disk.files.insert(
        format!("{partial}-0"),
        b"{\"N\":0,\"Offset\":0,\"Size\":1250,\"Completed\":700}\n".to_vec(),
    );
    disk.files.insert(
        format!("{partial}-1"),
        b"{\"N\":1,\"Offset\":1250,\"Size\":1250,\"Completed\":0}\n".to_vec(),
    );
    let mut reg = registry(&m);
    pull(small_parts(), &mut reg, &mut disk, 1).result.unwrap();
    assert_pulled(&m, &disk);
    let ranges: Vec<&String> = reg.log.iter().filter(|l| l.contains(layer.hex())).collect();
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    assert!(ranges.iter().any(|l| l.ends_with("[bytes=700-1249]")));
    assert!(ranges.iter().any(|l| l.ends_with("[bytes=1250-2499]")));
}

#[test]
fn pulling_again_transfers_nothing() {
    let m = model(&[3000, 20], 15);
    let mut reg = registry(&m);
    let mut disk = Disk::default();
    pull(small_parts(), &mut reg, &mut disk, 1).result.unwrap();
    let before = reg.log.len();
    let run = pull(small_parts(), &mut reg, &mut disk, 2);
    let summary = run.result.unwrap();
    assert_eq!(summary.downloaded_bytes, 0);
    assert_eq!(summary.already_present, 3);
    assert_eq!(
        reg.log.len(),
        before + 1,
        "only the manifest: {:?}",
        &reg.log[before..]
    );
    assert_pulled(&m, &disk);
}

#[test]
fn cancel_stops_every_request() {
    let mut p = Pull::new(RegistryRef::parse(REF).unwrap(), small_parts());
    p.cancel();
    let actions: Vec<PullAction> = std::iter::from_fn(|| p.poll_action()).collect();
    assert!(matches!(actions[0], PullAction::Send { .. }));
    assert!(matches!(actions[1], PullAction::Cancel { .. }));
    assert_eq!(actions[2], PullAction::Finished(Err(PullError::Cancelled)));
    assert!(p.is_finished());
}

#[test]
fn a_cancelled_pull_records_what_it_had_written() {
    let m = model(&[3000], 18);
    let layer = m.order[1].clone();
    let (mut p, id) = layer_first_part_answered(&m, small_parts());
    // The layer's first part: 600 of its 1000 bytes arrive, then Ctrl-C.
    p.on_written(id, 600);
    p.cancel();
    let actions: Vec<PullAction> = std::iter::from_fn(|| p.poll_action()).collect();
    let saved = actions.iter().find_map(|a| match a {
        PullAction::SavePart { digest, record } if digest == &layer => Some(*record),
        _ => None,
    });
    assert_eq!(saved.map(|r| (r.n, r.completed)), Some((0, 600)));
    assert_eq!(
        actions.last(),
        Some(&PullAction::Finished(Err(PullError::Cancelled)))
    );
}

/// A pull of `m` with `opts` whose layer's first part (`bytes=0-999`) got
/// its answer's head: the machine now wants its 1000 bytes written.
fn layer_first_part_answered(m: &Model, opts: PullOptions) -> (Pull, RequestId) {
    let layer = m.order[1].clone();
    let mut reg = registry(m);
    let mut p = Pull::new(RegistryRef::parse(REF).unwrap(), opts);
    let Some(PullAction::Send { id, request, .. }) = p.poll_action() else {
        panic!()
    };
    answer(&mut p, &mut reg, id, &request);
    while p.poll_action().is_some() {}
    p.provide_local(LocalBlobs::default());
    let sends: Vec<(RequestId, HttpRequest)> = std::iter::from_fn(|| p.poll_action())
        .filter_map(|a| match a {
            PullAction::Send { id, request, .. } => Some((id, request)),
            _ => None,
        })
        .collect();
    let (id, req) = sends
        .iter()
        .find(|(_, r)| r.url.ends_with(layer.hex()) && r.get_header("Range") == Some("bytes=0-999"))
        .unwrap();
    let reply = reg.handle(req, b"");
    assert!(matches!(
        p.on_response(*id, reply.response),
        BodyTarget::Write {
            offset: 0,
            len: 1000,
            ..
        }
    ));
    (p, *id)
}

#[test]
fn a_long_body_saves_its_record_as_it_goes() {
    let m = model(&[3000], 18);
    let layer = m.order[1].clone();
    let opts = PullOptions {
        record_every: 250,
        ..small_parts()
    };
    let (mut p, id) = layer_first_part_answered(&m, opts);
    let saved = |p: &mut Pull| -> Vec<u64> {
        std::iter::from_fn(|| p.poll_action())
            .filter_map(|a| match a {
                PullAction::SavePart { digest, record } if digest == layer => {
                    Some(record.completed)
                }
                _ => None,
            })
            .collect()
    };
    p.on_written(id, 300);
    assert_eq!(saved(&mut p), [300], "saved once 250 bytes were written");
    p.on_written(id, 100);
    assert_eq!(
        saved(&mut p),
        Vec::<u64>::new(),
        "not again within 250 bytes"
    );
    p.on_written(id, 200);
    assert_eq!(saved(&mut p), [600]);
    p.on_written(id, 400);
    assert_eq!(
        saved(&mut p),
        Vec::<u64>::new(),
        "the last bytes: the end of the body records them"
    );
    p.on_end(id);
    assert_eq!(saved(&mut p), [1000]);
}
