// Archive benchmark (issue 5), side by side in one run:
//   1. "Open an archive" in headless Chromium on a 2 GiB tar (4 × 512 MiB
//      blobs, made by GNU tar), until the verdict shows, next to native
//      `sha256sum` over the same blobs;
//   2. "Import" of that archive into an empty OPFS models folder;
//   3. the page's peak memory during both (JS heap + ArrayBuffers + WASM).
// Environment: BENCH_OUT.
import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openApp, stubDirectoryPicker, ROOT } from '../tests/e2e/harness.mjs';
import { report } from './rows.mjs';

const MiB = 1 << 20;
const BLOBS = 4;
const BLOB = 512 * MiB;
const out = process.env.BENCH_OUT || path.join(ROOT, 'bench/out');
const rows = [];
const failures = [];
const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);
const fmtMiB = (b) => `${(b / MiB).toFixed(0)} MiB`;

const store = path.join(out, 'archive-store');
rmSync(store, { recursive: true, force: true });
const blobPaths = [];
for (let k = 0; k < BLOBS; k += 1) {
  const data = randomFillSync(Buffer.alloc(BLOB));
  const digest = createHash('sha256').update(data).digest('hex');
  const config = Buffer.from(JSON.stringify({ model_family: 'bench', model_type: `${k}B`, file_type: 'F16' }));
  const cdigest = createHash('sha256').update(config).digest('hex');
  mkdirSync(path.join(store, 'models/blobs'), { recursive: true });
  writeFileSync(path.join(store, `models/blobs/sha256-${digest}`), data);
  writeFileSync(path.join(store, `models/blobs/sha256-${cdigest}`), config);
  blobPaths.push(path.join(store, `models/blobs/sha256-${digest}`));
  const mdir = path.join(store, `models/manifests/registry.ollama.ai/library/bench${k}`);
  mkdirSync(mdir, { recursive: true });
  writeFileSync(path.join(mdir, 'latest'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${cdigest}`, size: config.length },
    layers: [{ mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${digest}`, size: data.length }] }));
}
const tarPath = path.join(out, 'archive-bench.tar');
const tar = spawnSync('tar', ['-cf', tarPath, '-C', path.join(store, 'models'), 'manifests', 'blobs']);
if (tar.status !== 0) failures.push(`tar -cf failed: ${tar.stderr}`);
const total = BLOBS * BLOB;

const app = await openApp();
const { page } = app;
const cdp = await page.context().newCDPSession(page);
async function sampled(action, done) {
  const samples = [];
  const t0 = performance.now();
  await action();
  let finished = false;
  const wait = done().then(() => { finished = true; });
  while (!finished) {
    const heap = await cdp.send('Runtime.getHeapUsage');
    const wasm = await page.evaluate(async () => (await import('./ollama_pack.js')).wasmMemoryBytes());
    samples.push(heap.usedSize + heap.backingStorageSize + wasm);
    await new Promise((r) => setTimeout(r, 200));
  }
  await wait;
  return { ms: performance.now() - t0, peak: Math.max(...samples) };
}

// Open an empty OPFS models folder first, so the import can follow.
await page.evaluate(async () => {
  const opfs = await navigator.storage.getDirectory();
  await opfs.removeEntry('abench', { recursive: true }).catch(() => {});
  const models = await (await opfs.getDirectoryHandle('abench', { create: true })).getDirectoryHandle('models', { create: true });
  await models.getDirectoryHandle('manifests', { create: true });
  await models.getDirectoryHandle('blobs', { create: true });
});
await stubDirectoryPicker(page, 'abench');
await page.click('#open-folder');
await page.locator('#summary').waitFor();

const check = await sampled(() => page.setInputFiles('#archive-input', tarPath),
  () => page.locator('#archive-result[data-run="1"][data-done="true"]').waitFor({ timeout: 600_000 }));
const verdict = await page.locator('#archive-verdict').innerText();
if (!/^Intact/.test(verdict)) failures.push(`archive verdict: ${verdict}`);
const imp = await sampled(() => page.click('#archive-import'),
  () => page.locator('#import-result').waitFor({ timeout: 600_000 }));
const result = await page.locator('#import-result').innerText();
if (!/^Imported 4 model/.test(result)) failures.push(`import: ${result}`);
await page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry('abench', { recursive: true }));
await app.close();

const t = performance.now();
const sum = spawnSync('sha256sum', blobPaths);
const shaMs = performance.now() - t;
if (sum.status !== 0) failures.push('sha256sum failed');
rmSync(store, { recursive: true, force: true });
rmSync(tarPath, { force: true });

rows.push(['app "Open an archive", 2 GiB tar: read + verify every blob', `${(check.ms / 1000).toFixed(1)} s`, `${mbps(total, check.ms).toFixed(0)} MB/s, ${(shaMs / check.ms).toFixed(2)}× sha256sum`, '(side by side)']);
rows.push(['native `sha256sum` of the same blobs', `${(shaMs / 1000).toFixed(1)} s`, `${mbps(total, shaMs).toFixed(0)} MB/s`, '']);
rows.push(['app "Import" of that archive into OPFS', `${(imp.ms / 1000).toFixed(1)} s`, `${mbps(total, imp.ms).toFixed(0)} MB/s`, '']);
rows.push(['page memory (JS heap + ArrayBuffers + WASM): check / import', `${fmtMiB(check.peak)} / ${fmtMiB(imp.peak)}`, '', '≤ 256 MiB']);
if (Math.max(check.peak, imp.peak) > 256 * MiB) failures.push(`page memory peaked at ${fmtMiB(Math.max(check.peak, imp.peak))}`);

report('archive', 'Archives: check and import in the browser', rows, failures);
