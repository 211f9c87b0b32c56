//! The pull machine's answers for blob parts: 206 (checked against the
//! range asked for), 200 to a ranged request (the whole blob, the other
//! parts stopped), 404, 416, other errors, broken or short bodies, retries.

use super::*;
use crate::registry::http::colon;

impl Pull {
    pub(super) fn part_response(
        &mut self,
        id: RequestId,
        b: usize,
        p: usize,
        r: HttpResponse,
    ) -> BodyTarget {
        let (digest, size) = (self.blobs[b].digest.clone(), self.blobs[b].size);
        match r.status {
            206 => {
                let part = self.blobs[b].parts[p];
                let start = part.frontier();
                if let Some((first, total)) = content_range(r.header("Content-Range")) {
                    if let Some(actual) = total.filter(|t| *t != size) {
                        let expected = size;
                        self.fail(PullError::SizeMismatch {
                            digest,
                            expected,
                            actual,
                        });
                        return BodyTarget::Discard;
                    }
                    if first != start {
                        let flight = self.flights.remove(&id).expect("present");
                        let why = format!("asked for bytes from {start}, got from {first}");
                        self.write_end(b, &flight, false, why);
                        return BodyTarget::Discard;
                    }
                }
                self.start_write(id, r, start, part.end() - start)
            }
            200 => {
                // The registry ignores Range: take the whole body, stop the rest.
                self.blobs[b].whole = true;
                self.blobs[b].runs[p].flight = None;
                self.blobs[b].whole_run.flight = Some(id);
                let others: Vec<RequestId> =
                    self.blobs[b].runs.iter().filter_map(|r| r.flight).collect();
                for other in others {
                    self.flights.remove(&other);
                    self.push(PullAction::Cancel { id: other });
                }
                for run in &mut self.blobs[b].runs {
                    run.flight = None;
                }
                self.flights.get_mut(&id).expect("present").job = Job::Whole { blob: b };
                self.start_write(id, r, 0, size)
            }
            _ => self.buffer_error(id, r),
        }
    }

    pub(super) fn whole_response(
        &mut self,
        id: RequestId,
        b: usize,
        r: HttpResponse,
    ) -> BodyTarget {
        let starts_at_0 = content_range(r.header("Content-Range")).is_none_or(|(a, _)| a == 0);
        match r.status {
            200 | 206 if starts_at_0 => self.start_write(id, r, 0, self.blobs[b].size),
            _ => self.buffer_error(id, r),
        }
    }

    fn start_write(&mut self, id: RequestId, r: HttpResponse, offset: u64, len: u64) -> BodyTarget {
        let f = self.flights.get_mut(&id).expect("present");
        let digest = match f.job {
            Job::Part { blob, .. } | Job::Whole { blob } => self.blobs[blob].digest.clone(),
            _ => unreachable!("only blob jobs write"),
        };
        f.response = Some(r);
        f.write_start = offset;
        f.write_len = len;
        if len == 0 {
            return BodyTarget::Discard;
        }
        BodyTarget::Write {
            digest,
            offset,
            len,
        }
    }

    fn buffer_error(&mut self, id: RequestId, r: HttpResponse) -> BodyTarget {
        self.flights.get_mut(&id).expect("present").response = Some(r);
        BodyTarget::Buffer
    }

    /// A blob request answered with an error status.
    pub(super) fn blob_error(&mut self, b: usize, flight: Flight) {
        let Some(response) = flight.response.as_ref() else {
            return;
        };
        let digest = self.blobs[b].digest.clone();
        match response.status {
            404 => {
                let reference = self.reference.to_string();
                self.fail(PullError::BlobMissing { reference, digest })
            }
            416 => {
                let size = self.blobs[b].size;
                self.fail(PullError::RangeNotSatisfiable { digest, size })
            }
            status => {
                let message = registry_error_message(&flight.buf).unwrap_or_default();
                let why = format!("HTTP {status}{}", colon(&message));
                let response = response.clone();
                self.retry(b, flight.job, why, false, Some(&response));
            }
        }
    }

    /// A blob body ended (complete or not) or broke: records what was
    /// written, then goes on or retries.
    pub(super) fn write_end(&mut self, b: usize, flight: &Flight, complete: bool, why: String) {
        let end = flight.write_start + flight.written;
        let changed = cover(&mut self.blobs[b].parts, flight.write_start, end);
        let digest = self.blobs[b].digest.clone();
        for i in changed {
            let record = self.blobs[b].parts[i];
            self.push(PullAction::SavePart {
                digest: digest.clone(),
                record,
            });
        }
        if complete {
            let run = self.run(b, flight.job);
            run.flight = None;
            run.failures = 0;
            self.check_blob_done(b);
            self.fill();
        } else {
            self.retry(b, flight.job, why, flight.written > 0, None);
        }
    }

    fn run(&mut self, b: usize, job: Job) -> &mut Run {
        match job {
            Job::Part { part, .. } => &mut self.blobs[b].runs[part],
            _ => &mut self.blobs[b].whole_run,
        }
    }

    fn retry(
        &mut self,
        b: usize,
        job: Job,
        why: String,
        progressed: bool,
        r: Option<&HttpResponse>,
    ) {
        let policy = self.opts.retry.clone();
        let run = self.run(b, job);
        run.flight = None;
        if progressed {
            run.failures = 0;
        }
        run.failures += 1;
        let attempts = run.failures;
        match policy.next_delay(attempts, r) {
            Some(delay) => {
                self.run(b, job).delay_ms = delay;
                self.fill();
            }
            None => {
                let what = match job {
                    Job::Part { part, .. } => format!("blob {} part {part}", self.blobs[b].digest),
                    _ => format!("blob {}", self.blobs[b].digest),
                };
                self.fail(PullError::GaveUp {
                    what,
                    attempts,
                    last: why,
                });
            }
        }
    }
}

/// `bytes a-b/total` → (a, total if known).
fn content_range(header: Option<&str>) -> Option<(u64, Option<u64>)> {
    let rest = header?.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let first = range.split_once('-')?.0.trim().parse().ok()?;
    Some((first, total.trim().parse().ok()))
}
