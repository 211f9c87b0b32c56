// Pull worker: writes and hashes a pull's blobs while they download
// (src/web/stream_hash.rs drives it; StreamVerifier in
// src/web/hash_worker.rs), with the engine module's WASM SHA-256. What
// arrives in order is hashed at once; the rest is read back from the
// complete partial file. In the Origin Private File System the worker also
// writes the partial file itself, through a sync access handle: no round
// trip through the browser process, and each byte is in the file as soon as
// it is written (the part records follow: a closed tab loses little).
// Messages in (`seq`: answered { type: 'ack', seq, ok, message? }, the
// message `Name: text` for a DOMException, e.g. QuotaExceededError):
//   { id, type: 'stream', budget }        a pull starts a blob's partial file;
//   { id, seq, type: 'open', handle, size }  open it (in OPFS) for writes
//                                         here (NotSupportedError where the
//                                         browser cannot: the page writes);
//   { id, seq, type: 'write', offset, data, len }  write `len` bytes of `data`
//                                         (an ArrayBuffer, moved here) at
//                                         `offset`, then hash them;
//   { id, type: 'chunk', offset, data, len }  the page wrote them: hash only,
//                                         answered { id, type: 'took', bytes };
//   { id, seq, type: 'close' }            flush and close the partial file;
//   { id, seq, type: 'drop' }             close it and forget the stream;
//   { id, type: 'finish', file, handle? } the partial file is complete: hash
//                                         what the chunks did not cover;
//   { id, type: 'hash', file, handle? }   hash a whole file.
// Out besides acks: { type: 'spare', data } (a buffer of a write or chunk,
// moved back for reuse), { id, type: 'progress', bytes },
// { id, type: 'done', hex, bytes, via } or { id, type: 'error', message }.
import init, { hashFile, StreamVerifier, finishStream } from './engine/ollama_pack.js';
import { errorText, progressOf } from './worker-common.js';

const ready = init();
/** id → { verifier, access } */
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

function closeAccess(stream) {
  if (!stream?.access) return;
  const access = stream.access;
  stream.access = null;
  access.flush();
  access.close();
}

// A buffer the page sent, hashed: back to the page for its next write (a
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
  const stream = streams.get(id);
  switch (type) {
    case 'stream':
      streams.set(id, { verifier: new StreamVerifier(event.data.budget), access: null });
      return;
    case 'open':
      return answer(seq, async () => {
        if (!stream) throw new Error('no such stream');
        if (typeof handle.createSyncAccessHandle !== 'function') {
          throw new DOMException('this browser cannot write files from a worker', 'NotSupportedError');
        }
        stream.access = await handle.createSyncAccessHandle();
        try {
          stream.access.truncate(event.data.size);
        } catch (error) {
          closeAccess(stream); // else the file stays locked
          throw error;
        }
      });
    case 'write': {
      const { offset, data, len } = event.data;
      const bytes = new Uint8Array(data, 0, len);
      let wrote = false;
      await answer(seq, () => {
        if (!stream?.access) throw new Error('the partial file is not open');
        let at = 0;
        while (at < len) {
          const n = stream.access.write(bytes.subarray(at), { at: offset + at });
          if (n <= 0) throw new Error('the browser wrote nothing (is the disk full?)');
          at += n;
        }
        wrote = true;
      });
      if (wrote) stream.verifier.add(offset, bytes);
      return giveBack(data);
    }
    case 'chunk': {
      const { offset, data, len } = event.data;
      stream?.verifier.add(offset, new Uint8Array(data, 0, len));
      self.postMessage({ id, type: 'took', bytes: len });
      return giveBack(data);
    }
    case 'close':
      return answer(seq, () => closeAccess(stream));
    case 'drop':
      return answer(seq, () => {
        streams.delete(id);
        try {
          closeAccess(stream);
        } finally {
          stream?.verifier.free();
        }
      });
    case 'finish':
      streams.delete(id);
      closeAccess(stream);
      return hash(id, file, handle, stream?.verifier);
    default:
      return hash(id, file, handle);
  }
};
