//! The pull machine's side of [`Exchange`]: answers routed to their job;
//! what they mean for the manifest (404, refusals, retries, the
//! Docker-Content-Digest check) and the token; 401s to the auth flow.
//! Blob parts: `blob_answers.rs`.

use super::*;
use crate::registry::http::colon;

impl Exchange for Pull {
    fn on_response(&mut self, id: RequestId, response: HttpResponse) -> BodyTarget {
        let Some(flight) = self.flights.get(&id) else {
            return BodyTarget::Discard;
        };
        let job = flight.job;
        if response.status == 401 && job != Job::Token {
            let flight = self.flights.remove(&id).expect("present");
            self.unauthorized(flight, &response);
            return BodyTarget::Discard;
        }
        if job != Job::Token {
            self.auth.on_success(flight.generation);
        }
        match job {
            Job::Part { blob, part } => self.part_response(id, blob, part, response),
            Job::Whole { blob } => self.whole_response(id, blob, response),
            Job::Manifest | Job::Token => {
                self.flights.get_mut(&id).expect("present").response = Some(response);
                BodyTarget::Buffer
            }
        }
    }

    fn on_body(&mut self, id: RequestId, chunk: &[u8]) {
        if let Some(f) = self.flights.get_mut(&id) {
            let limit = match f.job {
                Job::Manifest => MAX_MANIFEST_BYTES as usize + 1,
                _ => MAX_ERROR_BODY,
            };
            let room = limit.saturating_sub(f.buf.len());
            f.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
    }

    fn on_written(&mut self, id: RequestId, bytes: u64) {
        let Some(f) = self.flights.get_mut(&id) else {
            return;
        };
        let bytes = bytes.min(f.write_len - f.written);
        f.written += bytes;
        self.downloaded += bytes;
        if f.written - f.recorded < self.opts.record_every.max(1) || f.written >= f.write_len {
            return; // the body's end records it anyway
        }
        f.recorded = f.written;
        let (start, end) = (f.write_start, f.write_start + f.written);
        if let Job::Part { blob, .. } | Job::Whole { blob } = f.job {
            let digest = self.blobs[blob].digest.clone();
            for i in cover(&mut self.blobs[blob].parts, start, end) {
                let record = self.blobs[blob].parts[i];
                self.push(PullAction::SavePart {
                    digest: digest.clone(),
                    record,
                });
            }
        }
    }

    fn on_end(&mut self, id: RequestId) {
        let Some(flight) = self.flights.remove(&id) else {
            return;
        };
        match flight.job {
            Job::Manifest => self.manifest_end(flight),
            Job::Token => self.token_end(flight),
            Job::Part { blob, .. } | Job::Whole { blob } if flight.write_len > 0 => {
                let complete = flight.written >= flight.write_len;
                self.write_end(blob, &flight, complete, "the answer ended early".into());
            }
            Job::Part { blob, .. } | Job::Whole { blob } => self.blob_error(blob, flight),
        }
    }

    fn on_failed(&mut self, id: RequestId, error: TransportError) {
        let Some(flight) = self.flights.remove(&id) else {
            return;
        };
        match flight.job {
            Job::Manifest => self.manifest_retry(error.to_string(), None),
            Job::Token => {
                let failure = self.auth.on_token_failed(&error.to_string());
                self.fail(failure.into());
            }
            Job::Part { blob, .. } | Job::Whole { blob } => {
                self.write_end(blob, &flight, false, error.to_string());
            }
        }
    }
}

impl Pull {
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
            Job::Manifest if self.auth.is_fetching() => self.manifest_parked = true,
            Job::Manifest => self.send_manifest(0),
            Job::Part { blob, part } => self.blobs[blob].runs[part].flight = None,
            Job::Whole { blob } => self.blobs[blob].whole_run.flight = None,
            Job::Token => {}
        }
        self.fill();
    }

    fn token_end(&mut self, flight: Flight) {
        let status = flight.response.map_or(0, |r| r.status);
        if let Err(failure) = self.auth.on_token(status, &flight.buf) {
            return self.fail(failure.into());
        }
        if std::mem::take(&mut self.manifest_parked) {
            self.send_manifest(0);
        }
        self.fill();
    }

    fn manifest_end(&mut self, flight: Flight) {
        let Some(response) = flight.response else {
            return;
        };
        let reference = self.reference.to_string();
        let message = || registry_error_message(&flight.buf).unwrap_or_default();
        match response.status {
            200..=299 => {}
            404 => {
                return self.fail(PullError::NotFound {
                    reference,
                    message: message(),
                })
            }
            400 | 403 | 405 | 406 => {
                let status = response.status;
                let message = message();
                return self.fail(PullError::ManifestRefused {
                    reference,
                    status,
                    message,
                });
            }
            status => {
                let why = format!("HTTP {status}{}", colon(&message()));
                return self.manifest_retry(why, Some(&response));
            }
        }
        let announced = response
            .header("Docker-Content-Digest")
            .and_then(|d| Digest::parse(d).ok());
        if announced.is_some_and(|d| d != Digest::of(&flight.buf)) {
            let why = "the manifest did not match its Docker-Content-Digest".to_string();
            return self.manifest_retry(why, None);
        }
        let manifest = match check_manifest(&flight.buf) {
            Ok(m) => m,
            Err(ManifestProblem::NotAModel(media_type)) => {
                return self.fail(PullError::NotAModel {
                    reference,
                    media_type,
                })
            }
            Err(ManifestProblem::Invalid(detail)) => {
                return self.fail(PullError::BadManifest { reference, detail })
            }
        };
        let mut seen = std::collections::BTreeSet::new();
        let blobs = manifest
            .blobs()
            .filter(|l| seen.insert(l.digest.clone()))
            .map(|l| (l.digest.clone(), l.size))
            .collect();
        self.manifest = Some((flight.buf, manifest));
        self.phase = Phase::AwaitLocal;
        self.push(PullAction::CheckLocal { blobs });
    }

    fn manifest_retry(&mut self, why: String, response: Option<&HttpResponse>) {
        self.manifest_failures += 1;
        match self.opts.retry.next_delay(self.manifest_failures, response) {
            Some(delay) => self.send_manifest(delay),
            None => {
                let what = format!("the manifest of {}", self.reference);
                let attempts = self.manifest_failures;
                self.fail(PullError::GaveUp {
                    what,
                    attempts,
                    last: why,
                });
            }
        }
    }
}
