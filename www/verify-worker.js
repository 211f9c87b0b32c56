// Verify worker: hashes one blob at a time with the app's own WASM SHA-256
// (hashFile in src/web/hash_worker.rs), reading a few MiB at a time: through
// a sync access handle when `handle` is an OPFS file, else from the File.
// Messages in: { id, file, handle? }. Out: { id, type: 'progress', bytes },
// { id, type: 'done', hex, bytes, via } or { id, type: 'error', message }.
import init, { hashFile } from './ollama_pack.js';

const ready = init();

self.onmessage = async (event) => {
  const { id, file, handle } = event.data;
  try {
    await ready;
    // Progress at most every 500 ms: each message re-renders the page, and
    // on a 2-core machine with a worker per core that time is taken from the
    // hashing (measured: 0.71 → 0.56 CPU-s of page, compositor and browser
    // work per 1 GiB verify with 2 workers, going from 200 to 500 ms).
    let last = 0;
    const progress = (bytes) => {
      const now = performance.now();
      if (now - last < 500) return;
      last = now;
      self.postMessage({ id, type: 'progress', bytes });
    };
    const result = await hashFile(file, handle, progress);
    self.postMessage({ id, type: 'done', hex: result.hex, bytes: result.bytes, via: result.via });
  } catch (error) {
    self.postMessage({ id, type: 'error', message: String(error?.message ?? error) });
  }
};
