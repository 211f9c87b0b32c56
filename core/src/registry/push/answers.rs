//! The push machine's side of [`Exchange`]: what each answer means for the
//! step a blob is at (HEAD, mount, POST, PATCH, PUT) and for the manifest.

use super::*;
use crate::registry::http::colon;

impl Exchange for Push {
    fn on_response(&mut self, id: RequestId, response: HttpResponse) -> BodyTarget {
        let Some(flight) = self.flights.get_mut(&id) else {
            return BodyTarget::Discard;
        };
        if response.status == 401 && flight.job != Job::Token {
            let flight = self.flights.remove(&id).expect("present");
            self.unauthorized(flight, &response);
            return BodyTarget::Discard;
        }
        if flight.job != Job::Token {
            let generation = flight.generation;
            flight.response = Some(response);
            self.auth.on_success(generation);
        } else {
            flight.response = Some(response);
        }
        BodyTarget::Buffer
    }

    fn on_body(&mut self, id: RequestId, chunk: &[u8]) {
        if let Some(f) = self.flights.get_mut(&id) {
            let room = MAX_BODY.saturating_sub(f.buf.len());
            f.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
    }

    fn on_written(&mut self, _id: RequestId, _bytes: u64) {}

    fn on_end(&mut self, id: RequestId) {
        let Some(flight) = self.flights.remove(&id) else {
            return;
        };
        match flight.job {
            Job::Blob(i) => self.blob_answer(i, flight),
            Job::Manifest => self.manifest_answer(flight),
            Job::Token => {
                let status = flight.response.map_or(0, |r| r.status);
                match self.auth.on_token(status, &flight.buf) {
                    Ok(()) => self.fill(),
                    Err(failure) => self.fail(failure.into()),
                }
            }
        }
    }

    fn on_failed(&mut self, id: RequestId, error: TransportError) {
        let Some(flight) = self.flights.remove(&id) else {
            return;
        };
        match flight.job {
            Job::Blob(i) => self.blob_retry(i, error.to_string(), None),
            Job::Manifest => self.manifest_retry(error.to_string(), None),
            Job::Token => {
                let failure = self.auth.on_token_failed(&error.to_string());
                self.fail(failure.into());
            }
        }
    }
}

fn transient(status: u16) -> bool {
    matches!(status, 408 | 425 | 429 | 500..=599)
}

impl Push {
    fn unauthorized(&mut self, flight: Flight, response: &HttpResponse) {
        let next = self
            .auth
            .on_unauthorized(flight.generation, response.header("WWW-Authenticate"));
        match next {
            AuthNext::Fail(failure) => return self.fail(failure.into()),
            AuthNext::FetchToken(request) => {
                self.send(Job::Token, request, 0);
            }
            AuthNext::Resend | AuthNext::Wait => {}
        }
        match flight.job {
            Job::Blob(i) => self.blobs[i].flight = None,
            Job::Manifest => self.manifest_flight = None,
            Job::Token => {}
        }
        self.fill();
    }

    fn blob_answer(&mut self, i: usize, flight: Flight) {
        let Some(response) = flight.response else {
            return;
        };
        self.blobs[i].flight = None;
        let status = response.status;
        let location = response
            .header("Location")
            .map(|l| resolve_location(&response.url, l));
        let b = &self.blobs[i];
        match (&b.step, status) {
            (Step::Head, 200) => self.blobs[i].step = Step::Existed,
            (Step::Head, 404) => {
                self.blobs[i].step = if b.from.is_some() {
                    Step::Mount
                } else {
                    Step::Start
                };
            }
            (Step::Mount, 201) => self.blobs[i].step = Step::Mounted,
            (Step::Mount | Step::Start, 202) => {
                let Some(location) = location else {
                    let what = format!("the upload start of blob {}", b.digest);
                    return self.fail(PushError::NoLocation { what });
                };
                let size = b.size;
                self.blobs[i].step = if size == 0 {
                    Step::Finish { location }
                } else {
                    Step::Patch {
                        location,
                        offset: 0,
                    }
                };
            }
            (Step::Mount, s) if !transient(s) => self.blobs[i].step = Step::Start,
            (
                Step::Patch {
                    location: old,
                    offset,
                },
                202 | 204,
            ) => {
                let (old, offset) = (old.clone(), *offset);
                let len = self.opts.chunk_size.max(1).min(b.size - offset);
                let next = offset + len;
                let stored = response.header("Range").and_then(range_end);
                if stored.is_some_and(|end| end != next) {
                    let why = format!(
                        "the registry holds {} bytes, {next} were sent",
                        stored.unwrap_or(0)
                    );
                    return self.blob_retry(i, why, None);
                }
                self.uploaded += len;
                let location = location.unwrap_or(old);
                let b = &mut self.blobs[i];
                b.failures = 0;
                b.step = if next >= b.size {
                    Step::Finish { location }
                } else {
                    Step::Patch {
                        location,
                        offset: next,
                    }
                };
            }
            (Step::Finish { .. }, 200..=204) => {
                let stored = response
                    .header("Docker-Content-Digest")
                    .and_then(|d| Digest::parse(d).ok());
                if let Some(actual) = stored.filter(|d| d != &b.digest) {
                    let digest = b.digest.clone();
                    let message = format!("it stored {actual}");
                    return self.fail(PushError::DigestRejected { digest, message });
                }
                self.blobs[i].step = Step::Uploaded;
            }
            (Step::Finish { .. }, 400) => {
                let digest = b.digest.clone();
                let message = registry_error_message(&flight.buf).unwrap_or_default();
                return self.fail(PushError::DigestRejected { digest, message });
            }
            (Step::Patch { .. } | Step::Finish { .. }, 404) => {
                let why = "the upload session was gone (HTTP 404)".to_string();
                return self.blob_retry(i, why, Some(&response));
            }
            (_, s) if transient(s) => {
                let message = registry_error_message(&flight.buf).unwrap_or_default();
                let why = format!("HTTP {s}{}", colon(&message));
                return self.blob_retry(i, why, Some(&response));
            }
            (step, status) => {
                let what = describe(step, &b.digest);
                let message = registry_error_message(&flight.buf).unwrap_or_default();
                return self.fail(PushError::Refused {
                    what,
                    status,
                    message,
                });
            }
        }
        self.fill();
    }

    /// Starts the blob again (a new upload session) after a wait, or gives up.
    fn blob_retry(&mut self, i: usize, why: String, response: Option<&HttpResponse>) {
        let policy = self.opts.retry.clone();
        let b = &mut self.blobs[i];
        b.flight = None;
        b.failures += 1;
        match policy.next_delay(b.failures, response) {
            Some(delay) => {
                b.delay_ms = delay;
                if !matches!(b.step, Step::Head | Step::Mount) {
                    b.step = Step::Start;
                }
                self.fill();
            }
            None => {
                let what = format!("the upload of blob {}", b.digest);
                let attempts = b.failures;
                self.fail(PushError::GaveUp {
                    what,
                    attempts,
                    last: why,
                });
            }
        }
    }

    fn manifest_answer(&mut self, flight: Flight) {
        self.manifest_flight = None;
        let Some(response) = flight.response else {
            return;
        };
        let expected = Digest::of(&self.manifest_bytes);
        match response.status {
            200..=204 => {
                let stored = response
                    .header("Docker-Content-Digest")
                    .and_then(|d| Digest::parse(d).ok());
                if let Some(actual) = stored.filter(|d| d != &expected) {
                    return self.fail(PushError::ManifestChanged { expected, actual });
                }
                let summary = PushSummary {
                    reference: self.reference.to_string(),
                    manifest_digest: expected,
                    blobs: self.blobs.len(),
                    already_there: self
                        .blobs
                        .iter()
                        .filter(|b| b.step == Step::Existed)
                        .count(),
                    mounted: self
                        .blobs
                        .iter()
                        .filter(|b| b.step == Step::Mounted)
                        .count(),
                    uploaded_bytes: self.uploaded,
                };
                self.finished = true;
                self.actions.push_back(PushAction::Finished(Ok(summary)));
            }
            s if transient(s) => {
                let message = registry_error_message(&flight.buf).unwrap_or_default();
                self.manifest_retry(format!("HTTP {s}{}", colon(&message)), Some(&response));
            }
            status => {
                let what = format!("the manifest of {}", self.reference);
                let message = registry_error_message(&flight.buf).unwrap_or_default();
                self.fail(PushError::Refused {
                    what,
                    status,
                    message,
                });
            }
        }
    }

    fn manifest_retry(&mut self, why: String, response: Option<&HttpResponse>) {
        self.manifest_failures += 1;
        match self.opts.retry.next_delay(self.manifest_failures, response) {
            Some(delay) => {
                self.manifest_delay = delay;
                self.fill();
            }
            None => {
                let what = format!("the manifest of {}", self.reference);
                let attempts = self.manifest_failures;
                self.fail(PushError::GaveUp {
                    what,
                    attempts,
                    last: why,
                });
            }
        }
    }
}

fn describe(step: &Step, digest: &Digest) -> String {
    match step {
        Step::Head => format!("the check for blob {digest}"),
        Step::Mount => format!("the mount of blob {digest}"),
        Step::Start => format!("an upload of blob {digest}"),
        Step::Patch { .. } => format!("a chunk of blob {digest}"),
        _ => format!("blob {digest}"),
    }
}

/// The end of a `Range: 0-N` (or `bytes=0-N`) answer, exclusive.
fn range_end(header: &str) -> Option<u64> {
    let range = header.trim().trim_start_matches("bytes=");
    let (_, end) = range.split_once('-')?;
    end.trim().parse::<u64>().ok().map(|e| e + 1)
}
