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
    // Progress at most every 200 ms: each message re-renders the page, and
    // on a 2-core machine that time is taken from the hashing.
    let last = 0;
    const progress = (bytes) => {
      const now = performance.now();
      if (now - last < 200) return;
      last = now;
      self.postMessage({ id, type: 'progress', bytes });
    };
    const result = await hashFile(file, handle, progress);
    self.postMessage({ id, type: 'done', hex: result.hex, bytes: result.bytes, via: result.via });
  } catch (error) {
    self.postMessage({ id, type: 'error', message: String(error?.message ?? error) });
  }
};
