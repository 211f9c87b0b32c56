// Streamed downloads for browsers without showSaveFilePicker (Firefox,
// Safari): the page opens a MessageChannel to this worker, then navigates a
// hidden iframe to download/<id>; the worker answers with a ReadableStream
// fed by the page's messages, so an archive of any size reaches the disk
// with flat memory. Backpressure: the stream's pull() grants the page one
// chunk at a time ({type:'pull'}); the browser cancelling the download
// tells the page ({type:'cancel'}).
const pending = new Map();

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('message', (event) => {
  const { type, id, name, size } = event.data || {};
  if (type !== 'stream' || !event.ports[0]) return;
  const port = event.ports[0];
  const stream = new ReadableStream({
    start(controller) {
      port.onmessage = ({ data }) => {
        if (data.type === 'chunk') controller.enqueue(new Uint8Array(data.chunk));
        else if (data.type === 'end') controller.close();
        else if (data.type === 'abort') controller.error(new Error('the archive was discarded'));
      };
    },
    pull() {
      port.postMessage({ type: 'pull' });
    },
    cancel() {
      port.postMessage({ type: 'cancel' });
    },
  }, { highWaterMark: 1 });
  pending.set(String(id), { stream, name, size });
  port.postMessage({ type: 'ready' });
});

self.addEventListener('fetch', (event) => {
  const match = new URL(event.request.url).pathname.match(/\/download\/([^/]+)$/);
  const entry = match && pending.get(match[1]);
  if (!entry) return;
  pending.delete(match[1]);
  const headers = {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': `attachment; filename="${entry.name.replace(/["\\\r\n]/g, '_')}"`,
  };
  if (entry.size) headers['Content-Length'] = String(entry.size);
  event.respondWith(new Response(entry.stream, { headers }));
});
