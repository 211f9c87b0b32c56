// What the app's workers (verify-worker.js, pull-worker.js, pull-writer.js) share: progress
// messages throttled for the page, and errors as text the page can classify.

// A progress callback for blob `id`: posts { id, type: 'progress', bytes }
// at most every 500 ms. Each message re-renders the page, and on a 2-core
// machine with a worker per core that time is taken from the hashing
// (measured: 0.71 → 0.56 CPU-s of page, compositor and browser work per
// 1 GiB verify with 2 workers, going from 200 to 500 ms).
export function progressOf(id) {
  let last = 0;
  return (bytes) => {
    const now = performance.now();
    if (now - last < 500) return;
    last = now;
    self.postMessage({ id, type: 'progress', bytes });
  };
}

// An error as text for the page: `Name: message` for a DOMException (the
// page tells a full disk or a file in use by the name: WebError::from_text).
export function errorText(error) {
  const name = error?.name;
  const message = String(error?.message ?? error);
  return name && name !== 'Error' ? `${name}: ${message}` : message;
}
