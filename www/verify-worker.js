// Verify worker: hashes one blob at a time with the app's own WASM SHA-256
// (hashFile in src/web/hash_worker.rs), reading a few MiB at a time: through
// a sync access handle when `handle` is an OPFS file, else from the File.
// Messages in: { id, file, handle? }. Out: { id, type: 'progress', bytes },
// { id, type: 'done', hex, bytes, via } or { id, type: 'error', message }.
import init, { hashFile } from './ollama_pack.js';
import { errorText, progressOf } from './worker-common.js';

const ready = init();

self.onmessage = async (event) => {
  const { id, file, handle } = event.data;
  try {
    await ready;
    const result = await hashFile(file, handle, progressOf(id));
    self.postMessage({ id, type: 'done', hex: result.hex, bytes: result.bytes, via: result.via });
  } catch (error) {
    self.postMessage({ id, type: 'error', message: errorText(error) });
  }
};
