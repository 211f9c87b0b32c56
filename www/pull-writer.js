// Pull writer: writes a pull's partial files in the Origin Private File
// System through sync access handles (src/web/stream_hash.rs drives it),
// so the pull worker that hashes a blob does nothing but hash: with both on
// one thread, a 1 GiB pull spent as long copying into the page cache as
// hashing, one after the other. Each byte is in the file as soon as it is
// written (the part records follow: a closed tab loses little). No WASM.
// Messages in (`seq`: answered { type: 'ack', seq, ok, message? }, the
// message `Name: text` for a DOMException, e.g. QuotaExceededError):
//   { id, seq, type: 'open', handle, size }  open the partial file for
//                                         writes at `size` bytes
//                                         (NotSupportedError where the
//                                         browser cannot: the page writes);
//   { id, seq, type: 'write', offset, data, len }  write `len` bytes of
//                                         `data` (an ArrayBuffer, moved
//                                         here) at `offset`;
//   { id, seq, type: 'close' }            flush and close the file;
//   { id, seq, type: 'drop' }             close it if open and forget it.
// Out besides acks: { id, type: 'written', offset, len, data } before the
// write's ack (the buffer moves back, for the page to pass to the blob's
// hashing worker), or { type: 'spare', data } when the write failed.
import { errorText } from './worker-common.js';

/** id → FileSystemSyncAccessHandle */
const files = new Map();

function close(id) {
  const access = files.get(id);
  files.delete(id);
  if (!access) return;
  access.flush();
  access.close();
}

async function open(id, handle, size) {
  if (typeof handle.createSyncAccessHandle !== 'function') {
    throw new DOMException('this browser cannot write files from a worker', 'NotSupportedError');
  }
  close(id);
  const access = await handle.createSyncAccessHandle();
  files.set(id, access);
  try {
    access.truncate(size);
  } catch (error) {
    close(id); // else the file stays locked
    throw error;
  }
}

function write(id, offset, data, len) {
  const access = files.get(id);
  if (!access) throw new Error('the partial file is not open');
  const bytes = new Uint8Array(data, 0, len);
  let at = 0;
  while (at < len) {
    const n = access.write(bytes.subarray(at), { at: offset + at });
    if (n <= 0) throw new Error('the browser wrote nothing (is the disk full?)');
    at += n;
  }
}

self.onmessage = async (event) => {
  const { id, seq, type, handle, size, offset, data, len } = event.data;
  let ok = true;
  let message;
  try {
    switch (type) {
      case 'open':
        await open(id, handle, size);
        break;
      case 'write':
        write(id, offset, data, len);
        self.postMessage({ id, type: 'written', offset, len, data }, [data]);
        break;
      case 'close':
      case 'drop':
        close(id);
        break;
      default:
        throw new Error(`unknown message ${type}`);
    }
  } catch (error) {
    ok = false;
    message = errorText(error);
    if (type === 'write' && data.byteLength > 0) self.postMessage({ type: 'spare', data }, [data]);
  }
  self.postMessage({ type: 'ack', seq, ok, message });
};
