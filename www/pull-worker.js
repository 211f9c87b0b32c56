// Pull worker: hashes a pull's blobs while they download
// (src/web/stream_hash.rs drives it; StreamVerifier in
// src/web/hash_worker.rs), with the engine module's WASM SHA-256. What
// arrives in order is hashed at once; the rest is read back from the
// complete partial file. The bytes reach it once written (by
// pull-writer.js in the Origin Private File System, else by the page).
// Messages in (`seq`: answered { type: 'ack', seq, ok, message? }):
//   { id, type: 'stream', budget }        a pull starts a blob's partial file;
//   { id, type: 'chunk', offset, data, len }  `len` bytes of `data` (an
//                                         ArrayBuffer, moved here) were
//                                         written at `offset`: hash them,
//                                         answered { id, type: 'took', bytes };
//   { id, seq, type: 'drop' }             forget the stream;
//   { id, type: 'finish', file, handle? } the partial file is complete: hash
//                                         what the chunks did not cover;
//   { id, type: 'hash', file, handle? }   hash a whole file.
// Out besides acks: { type: 'spare', data } (a chunk's buffer, moved back
// for reuse), { id, type: 'progress', bytes },
// { id, type: 'done', hex, bytes, via } or { id, type: 'error', message }.
import init, { hashFile, StreamVerifier, finishStream } from './engine/ollama_pack.js';
import { errorText, progressOf } from './worker-common.js';

const ready = init();
/** id → StreamVerifier */
const streams = new Map();

async function hash(id, file, handle, verifier) {
  try {
    const result = verifier
      ? await finishStream(verifier, file, handle, progressOf(id))
      : await hashFile(file, handle, progressOf(id));
    self.postMessage({ id, type: 'done', hex: result.hex, bytes: result.bytes, via: result.via });
  } catch (error) {
    self.postMessage({ id, type: 'error', message: errorText(error) });
  }
}

// A chunk's buffer, hashed: back to the page for its next read (a
// fresh one would cost the page a page fault per 4 KiB).
function giveBack(data) {
  self.postMessage({ type: 'spare', data }, [data]);
}

async function answer(seq, work) {
  try {
    await work();
    self.postMessage({ type: 'ack', seq, ok: true });
  } catch (error) {
    self.postMessage({ type: 'ack', seq, ok: false, message: errorText(error) });
  }
}

self.onmessage = async (event) => {
  const { id, seq, type, file, handle } = event.data;
  await ready;
  const verifier = streams.get(id);
  switch (type) {
    case 'stream':
      streams.set(id, new StreamVerifier(event.data.budget));
      return;
    case 'chunk': {
      const { offset, data, len } = event.data;
      verifier?.add(offset, new Uint8Array(data, 0, len));
      self.postMessage({ id, type: 'took', bytes: len });
      return giveBack(data);
    }
    case 'drop':
      return answer(seq, () => {
        streams.delete(id);
        verifier?.free();
      });
    case 'finish':
      streams.delete(id);
      return hash(id, file, handle, verifier);
    default:
      return hash(id, file, handle);
  }
};
