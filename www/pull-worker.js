// Pull worker: hashes a pull's blobs while they download
// (src/web/stream_hash.rs drives it; StreamVerifier in
// src/web/hash_worker.rs), with the registry module's WASM SHA-256. What
// arrives in order is hashed at once; the rest is read back from the
// complete partial file (a sync access handle for OPFS files, else the File).
// Messages in:
//   { id, type: 'hash', file, handle? }   hash a whole file;
//   { id, type: 'stream', budget }        a pull starts a blob's partial file;
//   { id, type: 'chunk', offset, data, len }  `len` bytes of `data` (an
//                                         ArrayBuffer, moved here) written at
//                                         `offset`, answered
//                                         { id, type: 'took', bytes };
//   { id, type: 'finish', file, handle? } the partial file is complete: hash
//                                         what the chunks did not cover;
//   { id, type: 'drop' }                  forget the stream.
// Out: { id, type: 'progress', bytes }, { id, type: 'done', hex, bytes, via }
// or { id, type: 'error', message }.
import init, { hashFile, StreamVerifier, finishStream } from './registry/ollama_pack.js';

const ready = init();
const streams = new Map();

// Progress at most every 500 ms: each message re-renders the page, and on a
// 2-core machine with a worker per core that time is taken from the hashing
// (measured: 0.71 → 0.56 CPU-s of page, compositor and browser work per
// 1 GiB verify with 2 workers, going from 200 to 500 ms).
function progressOf(id) {
  let last = 0;
  return (bytes) => {
    const now = performance.now();
    if (now - last < 500) return;
    last = now;
    self.postMessage({ id, type: 'progress', bytes });
  };
}

async function hash(id, file, handle, stream) {
  try {
    const result = stream
      ? await finishStream(stream, file, handle, progressOf(id))
      : await hashFile(file, handle, progressOf(id));
    self.postMessage({ id, type: 'done', hex: result.hex, bytes: result.bytes, via: result.via });
  } catch (error) {
    self.postMessage({ id, type: 'error', message: String(error?.message ?? error) });
  }
}

self.onmessage = async (event) => {
  const { id, type, file, handle } = event.data;
  await ready;
  switch (type) {
    case 'stream':
      streams.set(id, new StreamVerifier(event.data.budget));
      return;
    case 'chunk': {
      const { offset, data, len } = event.data;
      streams.get(id)?.add(offset, new Uint8Array(data, 0, len));
      self.postMessage({ id, type: 'took', bytes: len });
      return;
    }
    case 'drop':
      streams.get(id)?.free();
      streams.delete(id);
      return;
    case 'finish': {
      const stream = streams.get(id);
      streams.delete(id);
      return hash(id, file, handle, stream);
    }
    default:
      return hash(id, file, handle);
  }
};
