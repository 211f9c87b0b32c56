// End-to-end harness: Debian Chromium driven by npm playwright-core (never
// `playwright install`), the built app (dist/, from scripts/build) served
// in-process on a free 127.0.0.1 port, and helpers that build a models folder
// in the Origin Private File System and stand in for the file pickers (which
// cannot be clicked headless) with handles into it.
//
//   const app = await openApp();            // server + browser + page
//   await writeOpfsTree(app.page, files, 'store');
//   await stubDirectoryPicker(app.page, 'store/models');
//   await app.page.click('#open-folder');
//   assert.deepEqual(app.errors, []);       // pageerror + console errors
//   await app.close();
//
// OPFS files get their lastModified from the write; it cannot be set. Read it
// back with `opfsFileInfo` (or `writeOpfsTree`'s result) to know what the app
// should show.

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = path.join(ROOT, 'dist');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

// Bytes the page can fetch at /__harness__/blob/<id> (how writeOpfsTree moves
// multi-MB files into the page without pushing them through the DevTools
// protocol as strings).
const BLOB_PREFIX = '/__harness__/blob/';
// ... and where the page POSTs files that readOpfsFile brings back.
const UPLOAD_PREFIX = '/__harness__/upload/';

// Harness servers by origin, so helpers can find the one serving a page.
const servers = new Map();

/**
 * Serves `dir` (default dist/) on a free 127.0.0.1 port.
 * Returns { url, port, blobs, close() }.
 */
export async function startServer(dir = DIST) {
  try {
    await stat(path.join(dir, 'index.html'));
  } catch {
    throw new Error(`${path.relative(ROOT, dir) || dir}/index.html not found: run scripts/build first`);
  }
  const blobs = new Map();
  const uploads = new Map();
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      if (req.method === 'POST' && url.pathname.startsWith(UPLOAD_PREFIX)) {
        const chunks = [];
        for await (const chunk of req) chunks.push(chunk);
        uploads.set(url.pathname.slice(UPLOAD_PREFIX.length), Buffer.concat(chunks));
        return send(res, 200, 'ok');
      }
      if (url.pathname.startsWith(BLOB_PREFIX)) {
        const bytes = blobs.get(url.pathname.slice(BLOB_PREFIX.length));
        if (!bytes) return send(res, 404, 'no such blob');
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': bytes.byteLength,
          'cache-control': 'no-store',
        });
        return res.end(bytes);
      }
      let rel = decodeURIComponent(url.pathname);
      if (rel.endsWith('/')) rel += 'index.html';
      const file = path.resolve(dir, '.' + rel);
      if (file !== dir && !file.startsWith(dir + path.sep)) return send(res, 403, 'forbidden');
      let info;
      try {
        info = await stat(file);
      } catch {
        return send(res, 404, 'not found');
      }
      if (!info.isFile()) return send(res, 404, 'not found');
      res.writeHead(200, {
        'content-type': MIME[path.extname(file).toLowerCase()] || 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-cache',
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch (err) {
      send(res, 500, String(err));
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;
  const handle = {
    url: `${origin}/`,
    port,
    blobs,
    uploads,
    close: () =>
      new Promise((resolve) => {
        servers.delete(origin);
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
  servers.set(origin, handle);
  return handle;
}

function serverOf(page) {
  const server = servers.get(new URL(page.url()).origin);
  if (!server) throw new Error(`page ${page.url()} is not served by a harness server (use openApp or startServer)`);
  return server;
}

function send(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/**
 * Starts Debian Chromium with a fresh user-data dir (so OPFS starts empty).
 * Returns { context, userDataDir, close() }.
 */
export async function launchBrowser() {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'ollama-pack-e2e-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    userDataDir,
    close: async () => {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Records uncaught page errors and console errors of `page` into an array.
 */
export function collectErrors(page) {
  const errors = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  return errors;
}

/**
 * Serves dist/, starts Chromium, opens the app and waits until its wasm has
 * started (the boot message is gone) or failed.
 * Returns { page, context, server, url, errors, close() }.
 */
export async function openApp({ path: urlPath = '', waitForApp = true } = {}) {
  const server = await startServer();
  let browser;
  try {
    browser = await launchBrowser();
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    const errors = collectErrors(page);
    await page.goto(server.url + urlPath);
    if (waitForApp) await waitForBoot(page);
    const app = {
      page,
      context: browser.context,
      server,
      url: server.url,
      errors,
      close: async () => {
        await browser.close();
        await server.close();
      },
    };
    return app;
  } catch (err) {
    await browser?.close();
    await server.close();
    throw err;
  }
}

/** Waits until index.html's loader finished: #boot removed (ok) or showing an error. */
export async function waitForBoot(page, timeout = 30_000) {
  await page.waitForFunction(
    () => {
      const boot = document.getElementById('boot');
      return !boot || boot.classList.contains('error');
    },
    null,
    { timeout },
  );
  const failure = await page.evaluate(() => document.getElementById('boot')?.textContent ?? null);
  if (failure) throw new Error(`the app failed to start: ${failure.trim()}`);
}

let blobCounter = 0;

function toBytes(file) {
  if (file.bytes !== undefined) {
    const b = file.bytes;
    return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : b);
  }
  if (file.base64 !== undefined) return Buffer.from(file.base64, 'base64');
  if (file.text !== undefined) return Buffer.from(file.text, 'utf8');
  throw new Error(`file ${file.path}: give bytes, base64 or text`);
}

/**
 * Writes files into OPFS under `navigator.storage.getDirectory()/<root>/`.
 * files: [{ path: 'models/blobs/sha256-…', bytes | base64 | text, lastModified? }]
 * (`lastModified` is ignored: OPFS sets it at write time.) The page streams
 * each file from the harness server into `createWritable()`, so multi-MB
 * files are written in chunks. Existing files are replaced; `root` is emptied
 * first unless `{ keep: true }`.
 * Returns [{ path, size, lastModified }] as OPFS reports them.
 */
export async function writeOpfsTree(page, files, root = 'fixture', { keep = false } = {}) {
  const server = serverOf(page);
  const items = [];
  for (const file of files) {
    const id = `${process.pid}-${++blobCounter}`;
    const bytes = toBytes(file);
    server.blobs.set(id, bytes);
    items.push({ path: file.path, url: BLOB_PREFIX + id, size: bytes.byteLength });
  }
  try {
    return await page.evaluate(
      async ({ root, items, keep }) => {
        const opfs = await navigator.storage.getDirectory();
        const parts = (p) => p.split('/').filter((s) => s !== '' && s !== '.');
        const rootParts = parts(root);
        if (!keep && rootParts.length) {
          let parent = opfs;
          for (const name of rootParts.slice(0, -1)) parent = await parent.getDirectoryHandle(name, { create: true });
          await parent.removeEntry(rootParts.at(-1), { recursive: true }).catch(() => {});
        }
        const out = [];
        for (const item of items) {
          const names = [...rootParts, ...parts(item.path)];
          let dir = opfs;
          for (const name of names.slice(0, -1)) dir = await dir.getDirectoryHandle(name, { create: true });
          const handle = await dir.getFileHandle(names.at(-1), { create: true });
          const response = await fetch(item.url, { cache: 'no-store' });
          if (!response.ok) throw new Error(`harness blob ${item.url}: HTTP ${response.status}`);
          const writable = await handle.createWritable({ keepExistingData: false });
          await response.body.pipeTo(writable); // closes (commits) the writable
          const file = await handle.getFile();
          if (file.size !== item.size) throw new Error(`${item.path}: wrote ${file.size} of ${item.size} bytes`);
          out.push({ path: item.path, size: file.size, lastModified: file.lastModified });
        }
        return out;
      },
      { root, items, keep },
    );
  } finally {
    for (const item of items) server.blobs.delete(item.url.slice(BLOB_PREFIX.length));
  }
}


/**
 * Bytes of the OPFS file at `path` (from the OPFS root, e.g.
 * 'fixture/out.tar'), as a Buffer. The page POSTs the file to the harness
 * server, so large files are fine.
 */
export async function readOpfsFile(page, filePath) {
  const server = serverOf(page);
  const id = `${process.pid}-${++blobCounter}`;
  await page.evaluate(
    async ({ filePath, url }) => {
      const names = filePath.split('/').filter((s) => s !== '' && s !== '.');
      let dir = await navigator.storage.getDirectory();
      for (const name of names.slice(0, -1)) dir = await dir.getDirectoryHandle(name);
      const file = await (await dir.getFileHandle(names.at(-1))).getFile();
      const response = await fetch(url, { method: 'POST', body: file });
      if (!response.ok) throw new Error(`upload of ${filePath}: HTTP ${response.status}`);
    },
    { filePath, url: UPLOAD_PREFIX + id },
  );
  const bytes = server.uploads.get(id);
  server.uploads.delete(id);
  return bytes;
}

/** { size, lastModified } of an OPFS file, or null if it does not exist. */
export async function opfsFileInfo(page, filePath) {
  return page.evaluate(async (filePath) => {
    const names = filePath.split('/').filter((s) => s !== '' && s !== '.');
    try {
      let dir = await navigator.storage.getDirectory();
      for (const name of names.slice(0, -1)) dir = await dir.getDirectoryHandle(name);
      const file = await (await dir.getFileHandle(names.at(-1))).getFile();
      return { size: file.size, lastModified: file.lastModified };
    } catch (err) {
      if (err.name === 'NotFoundError') return null;
      throw err;
    }
  }, filePath);
}

/** Sorted paths of every file under OPFS `root` (relative to it). */
export async function listOpfs(page, root = '') {
  return page.evaluate(async (root) => {
    let dir = await navigator.storage.getDirectory();
    for (const name of root.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(name);
    const out = [];
    async function walk(dir, prefix) {
      for await (const [name, handle] of dir.entries()) {
        if (handle.kind === 'directory') await walk(handle, prefix + name + '/');
        else out.push(prefix + name);
      }
    }
    await walk(dir, '');
    return out.sort();
  }, root);
}

// Installed in the page: window.__harness (picker stubs and their call log).
function installPickerStub({ picker, target, kind }) {
  const h = (window.__harness ??= { calls: [] });
  const describe = (value) => {
    if (value && typeof value === 'object' && 'kind' in value && 'name' in value) {
      return { handle: value.kind, name: value.name };
    }
    if (Array.isArray(value)) return value.map(describe);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, describe(v)]));
    }
    return value;
  };
  window[picker] = async (options) => {
    h.calls.push({ picker, options: options === undefined ? null : describe(options) });
    if (target === null) throw new DOMException('The user aborted a request.', 'AbortError');
    const names = target.split('/').filter((s) => s !== '' && s !== '.');
    let dir = await navigator.storage.getDirectory();
    if (kind === 'directory') {
      for (const name of names) dir = await dir.getDirectoryHandle(name, { create: true });
      return dir;
    }
    for (const name of names.slice(0, -1)) dir = await dir.getDirectoryHandle(name, { create: true });
    return dir.getFileHandle(names.at(-1), { create: true });
  };
}

/**
 * Replaces `window.showDirectoryPicker` with a function that resolves to the
 * OPFS directory at `dirPath` (e.g. 'fixture/models'), or, with null, rejects
 * like a cancelled picker (AbortError). Calls are logged: see pickerCalls().
 * Lasts until the page navigates; `{ persist: true }` re-installs it on
 * every navigation of the page.
 */
export async function stubDirectoryPicker(page, dirPath, { persist = false } = {}) {
  const arg = { picker: 'showDirectoryPicker', target: dirPath, kind: 'directory' };
  if (persist) await page.addInitScript(installPickerStub, arg);
  await page.evaluate(installPickerStub, arg);
}

/**
 * Opens the OPFS folder `dirPath` as a person would (the picker stubbed,
 * "Open models folder" clicked) and waits until the page shows `shows`.
 */
export async function openFolder(page, dirPath, shows = '#models tbody tr') {
  await stubDirectoryPicker(page, dirPath);
  await page.click('#open-folder');
  await page.locator(shows).first().waitFor();
}

/**
 * Replaces `window.showSaveFilePicker` with a function that resolves to the
 * OPFS file at `filePath` (created, with its folders, if missing), or with
 * null rejects with AbortError. Calls are logged: see pickerCalls().
 */
/**
 * Drops `dir`, a folder on this machine's disk, on `selector` as a person
 * would from a file manager: DevTools' drag events carry the path, and the
 * browser hands the page a real handle to the folder (read-only: a drop
 * grants no write access, and headless Chromium cannot answer the prompt
 * that would).
 */
export async function dropFromDisk(page, dir, selector) {
  const box = await page.locator(selector).boundingBox();
  const cdp = await page.context().newCDPSession(page);
  const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
  const data = { items: [], files: [dir], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop']) await cdp.send('Input.dispatchDragEvent', { type, x, y, data });
  await cdp.detach();
}

export async function stubSaveFilePicker(page, filePath, { persist = false } = {}) {
  const arg = { picker: 'showSaveFilePicker', target: filePath, kind: 'file' };
  if (persist) await page.addInitScript(installPickerStub, arg);
  await page.evaluate(installPickerStub, arg);
}

/**
 * How the stubbed pickers were called, oldest first:
 * [{ picker: 'showDirectoryPicker', options: { mode: 'read', id: … } | null }].
 * Handles inside options are shown as { handle: 'directory', name }.
 */
export async function pickerCalls(page) {
  return page.evaluate(() => window.__harness?.calls ?? []);
}

/** Removes `root` (a path from the OPFS root) and everything under it. */
export async function removeOpfs(page, root) {
  await page.evaluate(async (root) => {
    const names = root.split('/').filter(Boolean);
    let dir = await navigator.storage.getDirectory();
    for (const name of names.slice(0, -1)) dir = await dir.getDirectoryHandle(name);
    await dir.removeEntry(names.at(-1), { recursive: true }).catch((err) => {
      if (err.name !== 'NotFoundError') throw err;
    });
  }, root);
}

/**
 * A nearly full disk, as the page sees it: the browser's storage quota for
 * the page's origin is set (DevTools protocol) to what it uses now plus
 * `free` bytes, so writes beyond that fail with Chromium's own
 * QuotaExceededError. Returns a function that lifts the limit.
 */
export async function limitStorage(app, free) {
  const { page, context, url } = app;
  const cdp = await context.newCDPSession(page);
  const origin = new URL(url).origin;
  const { usage } = await page.evaluate(() => navigator.storage.estimate());
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + free });
  return async () => {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    await cdp.detach();
  };
}
