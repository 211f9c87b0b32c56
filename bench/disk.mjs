// Writes into a folder on this machine's disk, in a real Chromium window
// (tests/e2e/desktop.mjs: real dialogs and prompts), each beside the same
// work into OPFS and beside the browser's own ceiling for the same bytes
// through the same API, in one run:
//   - ceiling: a bare page loop writing 2 GiB through one
//     FileSystemWritableFileStream (4 MiB chunks), timed until close()
//     resolves, into a file on disk (chosen in the save dialog) and into
//     OPFS; close() alone is shown too (on disk Chromium moves its swap file
//     into place and, before that, reads the whole file to hash it); and on
//     disk the same loop under a temporary name in a picked folder, then
//     renamed with move() as an import or a pull must (a blob gets its name
//     only once verified): Chromium reads the file back to hash it again;
//   - pack: "Download archive" of 4 × 512 MiB models, from a folder on disk
//     into a file on disk (save dialog), and from OPFS into OPFS;
//   - import: "Import" of the GNU tar of those models into an empty models
//     folder on disk (edit prompt answered), and into OPFS;
//   - pull: a 1 GiB model from a loopback docker-registry (behind the
//     suite's proxy on 127.0.0.2:80, so its folder name has no ':') into a
//     models folder on disk, and into OPFS; beside the page's own fetch of
//     the blob read and dropped.
// Each app row: MB/s, the ratio to its ceiling, the page's peak memory,
// and its target beside them (a figure below target is shown, not failed);
// and the CPU all of Chromium used meanwhile (/proc, bench/cpu.mjs), with
// the most that much CPU allows on this machine's cores: where it is below
// the target, the work per byte (read, hash, write), not waiting, is what
// stands between the row and its target.
// Environment: BENCH_OUT.
import { execFileSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, stubDirectoryPicker, stubSaveFilePicker } from '../tests/e2e/harness.mjs';
import { openDesktopApp, pickFolder, answerPrompt, saveAs } from '../tests/e2e/desktop.mjs';
import { startRegistry, pushModel } from '../tests/e2e/registry.mjs';
import { startFaultProxy } from '../tests/registry/fault_proxy.mjs';
import { report } from './rows.mjs';
import { watchChromium } from './cpu.mjs';
import { availableParallelism } from 'node:os';

const MiB = 1 << 20;
const GiB = 1 << 30;
const out = process.env.BENCH_OUT || path.join(ROOT, 'bench/out');
const rows = [];
const failures = [];
const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);
const fmtMiB = (b) => `${(b / MiB).toFixed(0)} MiB`;
const cores = availableParallelism();
/** Starts counting Chromium's CPU; the returned function gives the seconds used since. */
const chromiumCpu = () => {
  const stop = watchChromium();
  return () => {
    const c = stop();
    return c.hasher + c.workers + c.page + c.rest;
  };
};

// ---- the data: 4 × 512 MiB models on disk, and their GNU tar -------------
const root = path.join(out, 'disk-bench');
rmSync(root, { recursive: true, force: true });
const store = path.join(root, 'store/models');
const MODELS = 4;
const BLOB = 512 * MiB;
for (let k = 0; k < MODELS; k += 1) {
  const data = randomFillSync(Buffer.alloc(BLOB));
  const digest = createHash('sha256').update(data).digest('hex');
  const config = Buffer.from(JSON.stringify({ model_family: 'bench', model_type: `${k}B`, file_type: 'F16' }));
  const cdigest = createHash('sha256').update(config).digest('hex');
  mkdirSync(path.join(store, 'blobs'), { recursive: true });
  writeFileSync(path.join(store, `blobs/sha256-${digest}`), data);
  writeFileSync(path.join(store, `blobs/sha256-${cdigest}`), config);
  const mdir = path.join(store, `manifests/registry.ollama.ai/library/bench${k}`);
  mkdirSync(mdir, { recursive: true });
  writeFileSync(path.join(mdir, 'latest'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${cdigest}`, size: config.length },
    layers: [{ mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${digest}`, size: data.length }] }));
}
const packBytes = MODELS * BLOB;
const tarPath = path.join(root, 'models.tar');
execFileSync('tar', ['-cf', tarPath, '-C', store, 'manifests', 'blobs']);
const emptyModels = (dir) => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'manifests'), { recursive: true });
  mkdirSync(path.join(dir, 'blobs'));
  return dir;
};

const app = await openDesktopApp();
const { page } = app;
const cdp = await page.context().newCDPSession(page);

/** Runs `start`, waits for `done`, sampling the page's memory every 200 ms. */
async function timed(start, done) {
  const peaks = [];
  const cpu = chromiumCpu();
  const t0 = performance.now();
  await start();
  let finished = false;
  const wait = done().then(() => { finished = true; });
  while (!finished) {
    const heap = await cdp.send('Runtime.getHeapUsage');
    const wasm = await page.evaluate(async () => (await import('./ollama_pack.js')).wasmMemoryBytes()).catch(() => 0);
    peaks.push(heap.usedSize + heap.backingStorageSize + wasm);
    await new Promise((r) => setTimeout(r, 200));
  }
  await wait;
  return { ms: performance.now() - t0, peak: Math.max(0, ...peaks), cpu: cpu() };
}

// ---- ceilings: a bare writable loop, on disk and in OPFS -----------------
async function installLoop() {
  await page.evaluate(() => {
    window.__writeLoop = async (handle, bytes) => {
      const chunk = new Uint8Array(4 << 20);
      crypto.getRandomValues(chunk.subarray(0, 65536));
      for (let i = 65536; i < chunk.length; i += 65536) chunk.copyWithin(i, 0, 65536);
      const t0 = performance.now();
      const w = await handle.createWritable();
      for (let n = 0; n < bytes; n += chunk.length) await w.write(chunk);
      const t1 = performance.now();
      await w.close();
      return { ms: performance.now() - t0, closeMs: performance.now() - t1 };
    };
  });
}
await installLoop();
const CEILING_BYTES = 2 * GiB;
// On disk: the file comes from the real save dialog, on a click.
await page.evaluate((bytes) => {
  const b = document.createElement('button');
  b.id = 'bench-ceiling';
  b.textContent = 'ceiling';
  b.onclick = async () => { window.__ceiling = await window.__writeLoop(await showSaveFilePicker({ suggestedName: 'ceiling.bin' }), bytes); };
  document.body.prepend(b);
}, CEILING_BYTES);
let ceilingCpu = chromiumCpu();
await page.click('#bench-ceiling');
await saveAs(app, path.join(root, 'ceiling.bin'));
await page.waitForFunction(() => window.__ceiling, null, { timeout: 600_000, polling: 200 });
const diskCeiling = { ...(await page.evaluate(() => window.__ceiling)), cpu: ceilingCpu() };
rmSync(path.join(root, 'ceiling.bin'), { force: true });
ceilingCpu = chromiumCpu();
const opfsCeiling = await page.evaluate(async (bytes) => {
  const dir = await navigator.storage.getDirectory();
  const r = await window.__writeLoop(await dir.getFileHandle('ceiling.bin', { create: true }), bytes);
  await dir.removeEntry('ceiling.bin');
  return r;
}, CEILING_BYTES);
opfsCeiling.cpu = ceilingCpu();
// On disk, written under a temporary name, then renamed: a folder picked
// in the real dialog, write access asked on a click (the edit prompt).
const renameDir = path.join(root, 'rename-ceiling');
mkdirSync(renameDir, { recursive: true });
await page.evaluate((bytes) => {
  const pick = document.createElement('button');
  pick.id = 'bench-pick';
  pick.textContent = 'pick';
  pick.onclick = async () => { window.__dir = await showDirectoryPicker(); };
  const run = document.createElement('button');
  run.id = 'bench-rename-ceiling';
  run.textContent = 'rename ceiling';
  run.onclick = async () => {
    try {
      const dir = window.__dir;
      if ((await dir.requestPermission({ mode: 'readwrite' })) !== 'granted') throw new Error('write access denied');
      const file = await dir.getFileHandle('ceiling.tmp', { create: true });
      const r = await window.__writeLoop(file, bytes);
      const t = performance.now();
      await file.move(dir, 'ceiling');
      const moveMs = performance.now() - t;
      await dir.removeEntry('ceiling');
      window.__renameCeiling = { ms: r.ms + moveMs, closeMs: r.closeMs, moveMs };
    } catch (e) {
      window.__renameCeiling = { error: String(e) };
    }
  };
  document.body.prepend(pick, run);
}, CEILING_BYTES);
await pickFolder(app, renameDir, { button: '#bench-pick' });
await page.waitForFunction(() => window.__dir, null, { timeout: 60_000, polling: 200 });
ceilingCpu = chromiumCpu();
await page.click('#bench-rename-ceiling');
await answerPrompt(app, 'allow');
await page.waitForFunction(() => window.__renameCeiling, null, { timeout: 600_000, polling: 200 });
const renameCeiling = { ...(await page.evaluate(() => window.__renameCeiling)), cpu: ceilingCpu() };
if (renameCeiling.error) throw new Error(`rename ceiling: ${renameCeiling.error}`);
const ceiling = { disk: mbps(CEILING_BYTES, diskCeiling.ms), opfs: mbps(CEILING_BYTES, opfsCeiling.ms), renamed: mbps(CEILING_BYTES, renameCeiling.ms) };
rows.push(['ceiling: a page loop writing 2 GiB through one writable, until close(): folder on disk', `${(diskCeiling.ms / 1000).toFixed(1)} s`, `${ceiling.disk.toFixed(0)} MB/s; close() alone ${(diskCeiling.closeMs / 1000).toFixed(1)} s (Chromium reads the file back to hash it, then moves its swap file); Chromium CPU ${diskCeiling.cpu.toFixed(1)} s`, '']);
rows.push(['ceiling: the same into a picked folder on disk under a temporary name, then renamed (move()) as an import or a pull does', `${(renameCeiling.ms / 1000).toFixed(1)} s`, `${ceiling.renamed.toFixed(0)} MB/s; close() ${(renameCeiling.closeMs / 1000).toFixed(1)} s, move() ${(renameCeiling.moveMs / 1000).toFixed(1)} s (to a name without an extension Chromium reads the file back to hash it again); Chromium CPU ${renameCeiling.cpu.toFixed(1)} s`, '']);
rows.push(['ceiling: the same into OPFS', `${(opfsCeiling.ms / 1000).toFixed(1)} s`, `${ceiling.opfs.toFixed(0)} MB/s; close() alone ${(opfsCeiling.closeMs / 1000).toFixed(1)} s; Chromium CPU ${opfsCeiling.cpu.toFixed(1)} s`, '']);
/** Chromium's CPU for `r`, and the ratio to `bound` (MB/s) that much CPU allows on every core. */
const cpuWords = (bytes, r, bound) => {
  const most = mbps(bytes, (r.cpu / cores) * 1000);
  return `Chromium CPU ${r.cpu.toFixed(1)} s: on ${cores} cores at most ${most.toFixed(0)} MB/s = ${(most / bound).toFixed(2)}×`;
};
/** Beside the write-then-rename ceiling too, for what gives blobs their names on disk. */
const renamedWords = (rate, where, renames) => (renames && where === 'disk' ? ` (${(rate / ceiling.renamed).toFixed(2)}× the write-then-rename ceiling)` : '');
const appRow = (what, bytes, r, where, { renames = false } = {}) => {
  const rate = mbps(bytes, r.ms);
  rows.push([what, `${(r.ms / 1000).toFixed(1)} s`, `${rate.toFixed(0)} MB/s = ${(rate / ceiling[where]).toFixed(2)}× the ${where === 'disk' ? 'disk' : 'OPFS'} ceiling${renamedWords(rate, where, renames)}; page memory peak ${fmtMiB(r.peak)}; ${cpuWords(bytes, r, ceiling[where])}`, '≥ 0.8× ceiling, ≤ 256 MiB']);
};

// ---- pack -----------------------------------------------------------------
async function pack(run, into) {
  await page.click('#pack-select-intact');
  return timed(async () => {
    await page.click('#pack-download');
    await into();
  }, () => page.locator(`#pack-result[data-run="${run}"]`).waitFor({ timeout: 900_000 }));
}
await pickFolder(app, path.dirname(store));
await page.locator('#models tbody tr').first().waitFor();
const packDisk = await pack(1, () => saveAs(app, path.join(root, 'pack.tar')));
const packText = await page.locator('#pack-result').innerText();
if (!/^Saved/.test(packText)) failures.push(`pack on disk: ${packText}`);
rmSync(path.join(root, 'pack.tar'), { force: true });
appRow('app "Download archive", 2 GiB: folder on disk → file on disk', packBytes, packDisk, 'disk');

// The same models in OPFS (streamed there by the harness).
async function copyToOpfs(name) {
  await page.evaluate(async (name) => {
    const opfs = await navigator.storage.getDirectory();
    await opfs.removeEntry(name, { recursive: true }).catch(() => {});
  }, name);
  const { writeOpfsTree } = await import('../tests/e2e/harness.mjs');
  const { readdirSync, readFileSync, statSync } = await import('node:fs');
  const walk = (dir, rel = '') => readdirSync(path.join(dir, rel)).flatMap((n) => {
    const r = rel ? `${rel}/${n}` : n;
    return statSync(path.join(dir, r)).isDirectory() ? walk(dir, r) : [r];
  });
  for (const rel of walk(store)) await writeOpfsTree(page, [{ path: `models/${rel}`, bytes: readFileSync(path.join(store, rel)) }], name, { keep: true });
}
await copyToOpfs('dbench');
await page.reload();
await stubDirectoryPicker(page, 'dbench');
await page.click('#open-folder');
await page.locator('#models tbody tr').first().waitFor();
await stubSaveFilePicker(page, 'dbench-out/pack.tar');
const packOpfs = await pack(1, async () => {});
appRow('app "Download archive", 2 GiB: OPFS → OPFS (same window)', packBytes, packOpfs, 'opfs');
await page.evaluate(async () => {
  const opfs = await navigator.storage.getDirectory();
  for (const n of ['dbench', 'dbench-out']) await opfs.removeEntry(n, { recursive: true }).catch(() => {});
});

// ---- import ---------------------------------------------------------------
/** Opens the archive, then times "Import" (and `answer`, the edit prompt). */
async function importTar(answer = async () => {}) {
  await page.setInputFiles('#archive-input', tarPath);
  await page.locator('#archive-result[data-done="true"]').waitFor({ timeout: 900_000 });
  return timed(async () => {
    await page.click('#archive-import');
    await answer();
  }, () => page.locator('#import-result').waitFor({ timeout: 900_000 }));
}
const diskTarget = emptyModels(path.join(root, 'import/models'));
await page.reload();
await pickFolder(app, diskTarget);
await page.locator('#summary').waitFor();
const importDisk = await importTar(() => answerPrompt(app, 'allow'));
const importText = await page.locator('#import-result').innerText();
if (!/^Imported 4 model/.test(importText)) failures.push(`import on disk: ${importText}`);
appRow('app "Import" of a 2 GiB tar into a folder on disk', packBytes, importDisk, 'disk', { renames: true });
rmSync(diskTarget, { recursive: true, force: true });
await page.reload();
await page.evaluate(async () => {
  const opfs = await navigator.storage.getDirectory();
  await opfs.removeEntry('ibench', { recursive: true }).catch(() => {});
  const m = await (await opfs.getDirectoryHandle('ibench', { create: true })).getDirectoryHandle('models', { create: true });
  await m.getDirectoryHandle('manifests', { create: true });
  await m.getDirectoryHandle('blobs', { create: true });
});
await stubDirectoryPicker(page, 'ibench');
await page.click('#open-folder');
await page.locator('#summary').waitFor();
const importOpfs = await importTar();
appRow('app "Import" of the same tar into OPFS (same window)', packBytes, importOpfs, 'opfs');
await page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry('ibench', { recursive: true }));

// ---- pull -----------------------------------------------------------------
const reg = startRegistry('*');
let proxy;
try {
  proxy = await startFaultProxy(reg.url, { host: '127.0.0.2', port: 80 });
  const weights = randomFillSync(Buffer.alloc(GiB));
  weights.write('GGUF', 0);
  const config = Buffer.from('{"model_format":"gguf","model_family":"bench"}');
  await pushModel(reg.url, 'bench/pull', 'v1', config, [{ mediaType: 'application/vnd.ollama.image.model', bytes: weights }]);
  const blobUrl = `${proxy.url}/v2/bench/pull/blobs/sha256:${createHash('sha256').update(weights).digest('hex')}`;
  const pull = async (afterClick) => {
    await page.fill('#pull-ref', `${proxy.url}/bench/pull:v1`);
    await page.click('#pull-lookup');
    await page.locator('#pull-manifest').waitFor({ timeout: 120_000 });
    const r = await timed(async () => {
      await page.click('#pull-to-folder');
      await afterClick();
    }, () => page.locator('#transfer[data-run="2"] #transfer-result, #transfer[data-run="2"] #transfer-failed').first().waitFor({ timeout: 900_000 }));
    const text = await page.locator('#transfer[data-run="2"]').innerText();
    if (!/Pulled/.test(text)) failures.push(`pull: ${text.slice(0, 300)}`);
    return r;
  };
  const pullDir = emptyModels(path.join(root, 'pull/models'));
  await page.reload();
  await pickFolder(app, pullDir);
  await page.locator('#summary').waitFor();
  const pullDisk = await pull(() => answerPrompt(app, 'allow'));
  rmSync(pullDir, { recursive: true, force: true });
  await page.reload();
  await page.evaluate(async () => {
    const opfs = await navigator.storage.getDirectory();
    await opfs.removeEntry('pbench', { recursive: true }).catch(() => {});
    const m = await (await opfs.getDirectoryHandle('pbench', { create: true })).getDirectoryHandle('models', { create: true });
    await m.getDirectoryHandle('manifests', { create: true });
    await m.getDirectoryHandle('blobs', { create: true });
  });
  await stubDirectoryPicker(page, 'pbench');
  await page.click('#open-folder');
  await page.locator('#summary').waitFor();
  const pullOpfs = await pull(async () => {});
  await page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry('pbench', { recursive: true }));
  const fetchMs = await page.evaluate(async (url) => {
    const t0 = performance.now();
    const reader = (await fetch(url, { cache: 'no-store' })).body.getReader();
    while (!(await reader.read()).done);
    return performance.now() - t0;
  }, blobUrl);
  const fetchRate = mbps(GiB, fetchMs);
  rows.push(['page `fetch` of the 1 GiB blob through the same proxy, read and dropped', `${(fetchMs / 1000).toFixed(1)} s`, `${fetchRate.toFixed(0)} MB/s`, '']);
  for (const [what, r, where] of [['app pull of a 1 GiB model into a folder on disk', pullDisk, 'disk'], ['app pull of the same into OPFS (same window)', pullOpfs, 'opfs']]) {
    const rate = mbps(GiB, r.ms);
    const bound = Math.min(fetchRate, ceiling[where]);
    rows.push([what, `${(r.ms / 1000).toFixed(1)} s`, `${rate.toFixed(0)} MB/s = ${(rate / bound).toFixed(2)}× the lower of fetch and the ${where === 'disk' ? 'disk' : 'OPFS'} write ceiling${renamedWords(rate, where, true)}; page memory peak ${fmtMiB(r.peak)}; ${cpuWords(GiB, r, bound)}`, '≥ 0.8× that, ≤ 256 MiB']);
  }
} finally {
  await proxy?.close();
  reg.stop();
  await app.close();
  rmSync(root, { recursive: true, force: true });
}

report('disk', 'A folder on disk (real window), beside OPFS and the browser\'s write ceiling', rows, failures);
