// Pack benchmark (issue 4), side by side in one run:
//   1. the app's "Download archive" (no gzip) in headless Chromium, OPFS to
//      OPFS, for a 2 GiB store (4 models × 512 MiB), next to GNU `tar -cf`
//      plus `sha256sum` of the same files on disk;
//   2. the page's peak memory while packing — JS heap + ArrayBuffers
//      (CDP Runtime.getHeapUsage) + WASM memory (WebAssembly.Memory size) —
//      sampled every 200 ms, in the first and second half of the run;
//   3. native `ollama-pack pack` next to PyPI `ollamazip pack --compress none`
//      on the same model, taking turns BENCH_RUNS times.
// Environment: BENCH_NATIVE_BIN, BENCH_OUT, BENCH_VENV, BENCH_RUNS.
import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openApp, stubDirectoryPicker, stubSaveFilePicker, ROOT } from '../tests/e2e/harness.mjs';
import { report } from './rows.mjs';

const MiB = 1 << 20;
const MODELS = 4;
const BLOB = 512 * MiB;
const out = process.env.BENCH_OUT || path.join(ROOT, 'bench/out');
const nativeBin = process.env.BENCH_NATIVE_BIN;
const venv = process.env.BENCH_VENV || path.join(ROOT, '.venv');
const rows = [];
const failures = [];
const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);
const fmtMiB = (b) => `${(b / MiB).toFixed(0)} MiB`;

// The same store on disk (for tar/sha256sum and the native CLI) and in OPFS.
const store = path.join(out, 'pack-store');
rmSync(store, { recursive: true, force: true });
const models = [];
for (let k = 0; k < MODELS; k += 1) {
  const data = randomFillSync(Buffer.alloc(BLOB));
  const digest = createHash('sha256').update(data).digest('hex');
  const config = Buffer.from(JSON.stringify({ model_format: 'gguf', model_family: 'bench', model_type: `${k}B`, file_type: 'F16' }));
  const cdigest = createHash('sha256').update(config).digest('hex');
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${cdigest}`, size: config.length },
    layers: [{ mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${digest}`, size: data.length }] }));
  mkdirSync(path.join(store, 'models/blobs'), { recursive: true });
  writeFileSync(path.join(store, `models/blobs/sha256-${digest}`), data);
  writeFileSync(path.join(store, `models/blobs/sha256-${cdigest}`), config);
  const mdir = path.join(store, `models/manifests/registry.ollama.ai/library/bench${k}`);
  mkdirSync(mdir, { recursive: true });
  writeFileSync(path.join(mdir, 'latest'), manifest);
  models.push({ name: `bench${k}:latest`, digest });
}
const totalBytes = MODELS * BLOB;

// ---- 1 + 2. browser pack, memory sampled ---------------------------------
const app = await openApp();
const { page } = app;
{
  // Copy the store into OPFS from the files on disk (streamed by the harness).
  const { readdirSync, readFileSync, statSync } = await import('node:fs');
  const walk = (dir, rel = '') => readdirSync(path.join(dir, rel)).flatMap((n) => {
    const r = rel ? `${rel}/${n}` : n;
    return statSync(path.join(dir, r)).isDirectory() ? walk(dir, r) : [r];
  });
  const { writeOpfsTree } = await import('../tests/e2e/harness.mjs');
  for (const rel of walk(store)) await writeOpfsTree(page, [{ path: rel, bytes: readFileSync(path.join(store, rel)) }], 'pbench', { keep: true });
  await page.reload();
  await stubDirectoryPicker(page, 'pbench');
  await page.click('#open-folder');
  await page.locator('#models tbody tr').first().waitFor();
  await page.click('#pack-select-intact');
  await stubSaveFilePicker(page, 'pbench-out/pack.tar');
  const cdp = await page.context().newCDPSession(page);
  const samples = [];
  const sample = async () => {
    const heap = await cdp.send('Runtime.getHeapUsage');
    const wasm = await page.evaluate(async () => (await import('./ollama_pack.js')).wasmMemoryBytes());
    samples.push({ t: performance.now(), bytes: heap.usedSize + heap.backingStorageSize + wasm, js: heap.usedSize, buffers: heap.backingStorageSize, wasm });
  };
  await sample();
  const t0 = performance.now();
  await page.click('#pack-download');
  let done = false;
  const result = page.locator('#pack-result[data-run="1"]').waitFor({ timeout: 600_000 }).then(() => { done = true; });
  while (!done) {
    await sample();
    await new Promise((r) => setTimeout(r, 200));
  }
  await result;
  const ms = performance.now() - t0;
  const text = await page.locator('#pack-result').innerText();
  if (!/^Saved/.test(text)) failures.push(`browser pack: ${text}`);
  const half = t0 + ms / 2;
  const peak = (xs) => Math.max(...xs.map((s) => s.bytes));
  const first = samples.filter((s) => s.t >= t0 && s.t < half);
  const second = samples.filter((s) => s.t >= half);
  if (process.env.BENCH_DEBUG) for (const x of samples.filter((_, i) => i % 10 === 0)) console.log(JSON.stringify({ t: Math.round(x.t - t0), js: x.js >> 20, buffers: x.buffers >> 20, wasm: x.wasm >> 20 }));
  globalThis.browserPack = { ms, peak: peak(samples), first: first.length ? peak(first) : 0, second: second.length ? peak(second) : 0, baseline: samples[0].bytes };
}
await page.evaluate(async () => {
  const opfs = await navigator.storage.getDirectory();
  for (const n of ['pbench', 'pbench-out']) await opfs.removeEntry(n, { recursive: true }).catch(() => {});
});
await app.close();

// GNU tar -cf + sha256sum of the same files (warm cache, after one warm-up).
const time = (cmd, args, opts = {}) => {
  const t = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) failures.push(`${cmd} ${args.join(' ')}: exit ${r.status} ${(r.stderr || '').split('\n')[0]}`);
  return performance.now() - t;
};
const tarOut = path.join(out, 'pack-gnu.tar');
time('tar', ['-cf', tarOut, '-C', path.join(store, 'models'), 'manifests', 'blobs']);
const tarMs = time('tar', ['-cf', tarOut, '-C', path.join(store, 'models'), 'manifests', 'blobs']);
const blobPaths = models.map((m) => path.join(store, `models/blobs/sha256-${m.digest}`));
const shaMs = time('sha256sum', blobPaths);
rmSync(tarOut, { force: true });
const bp = globalThis.browserPack;
const browserRate = mbps(totalBytes, bp.ms);
const gnuRate = mbps(totalBytes, tarMs + shaMs);
rows.push(['app "Download archive", 2 GiB, OPFS → OPFS', `${(bp.ms / 1000).toFixed(1)} s`, `${browserRate.toFixed(0)} MB/s, ${(browserRate / gnuRate).toFixed(2)}× tar+sha256sum`, 'ratio ≥ 0.5']);
rows.push(['GNU tar -cf + sha256sum, same files', `${((tarMs + shaMs) / 1000).toFixed(1)} s`, `${gnuRate.toFixed(0)} MB/s (tar ${(tarMs / 1000).toFixed(1)} s + sha ${(shaMs / 1000).toFixed(1)} s)`, '']);
rows.push(['page memory while packing (JS heap + ArrayBuffers + WASM)', `peak ${fmtMiB(bp.peak)}`, `first half ${fmtMiB(bp.first)}, second half ${fmtMiB(bp.second)}, idle ${fmtMiB(bp.baseline)}`, '≤ 256 MiB, flat']);
if (bp.peak > 256 * MiB) failures.push(`page memory peaked at ${fmtMiB(bp.peak)}`);

// ---- 3. native pack vs ollamazip -------------------------------------------
// Both take turns, BENCH_RUNS times after one warm-up each (warm page cache),
// so a burst of other load on the machine hits both alike. Shown: best and
// median wall time, the median of the per-turn ratios, and the CPU seconds
// each used (user + sys, from /usr/bin/time when present): ours also hashes
// every byte, so it needs more CPU and wins on a machine with a core to spare.
if (nativeBin) {
  const one = models[0];
  const zipBin = path.join(venv, 'bin/ollamazip');
  if (existsSync(zipBin)) {
    const runs = Math.max(1, Number(process.env.BENCH_RUNS || 5));
    const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
    const env = { ...process.env, OLLAMA_MODELS: path.join(store, 'models') };
    const tools = {
      ours: (o) => [nativeBin, ['pack', path.join(store, 'models'), '-o', o, one.name], {}],
      ollamazip: (o) => [zipBin, ['pack', one.name, '-o', o, '--compress', 'none'], { env }],
    };
    const samples = { ours: [], ollamazip: [] };
    const timed = (name) => {
      const o = path.join(out, `pack-${name}.tar`);
      const [cmd, args, opts] = tools[name](o);
      const t = performance.now();
      const r = timeBin
        ? spawnSync(timeBin, ['-f', 'cpu %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, ...opts })
        : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
      const ms = performance.now() - t;
      if (r.status !== 0) failures.push(`${name} pack: exit ${r.status} ${(r.stderr || '').split('\n')[0]}`);
      rmSync(o, { force: true });
      const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr || '');
      return { ms, cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN };
    };
    timed('ours');
    timed('ollamazip');
    for (let i = 0; i < runs; i += 1) {
      const order = i % 2 ? ['ollamazip', 'ours'] : ['ours', 'ollamazip'];
      for (const name of order) samples[name].push(timed(name));
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const ms = (name) => samples[name].map((x) => x.ms);
    const cpu = (name) => median(samples[name].map((x) => x.cpu));
    const cpuText = (name) => (Number.isNaN(cpu(name)) ? '' : `, CPU ${cpu(name).toFixed(2)} s`);
    const turns = samples.ours.map((x, i) => samples.ollamazip[i].ms / x.ms);
    const [oursBest, zipBest] = [Math.min(...ms('ours')), Math.min(...ms('ollamazip'))];
    rows.push(['native `ollama-pack pack`, one 512 MiB model', `${(oursBest / 1000).toFixed(2)} s`, `${mbps(BLOB, oursBest).toFixed(0)} MB/s, ${(zipBest / oursBest).toFixed(2)}× faster than ollamazip (median of turns ${median(turns).toFixed(2)}×); median ${(median(ms('ours')) / 1000).toFixed(2)} s${cpuText('ours')}`, 'faster than ollamazip']);
    rows.push(['PyPI `ollamazip pack --compress none`, same model', `${(zipBest / 1000).toFixed(2)} s`, `${mbps(BLOB, zipBest).toFixed(0)} MB/s; median ${(median(ms('ollamazip')) / 1000).toFixed(2)} s${cpuText('ollamazip')}`, '']);
  } else {
    failures.push('ollamazip is not installed in the venv (scripts/lib.sh ensure_venv installs it)');
  }
}
rmSync(store, { recursive: true, force: true });

report('pack', 'Pack', rows, failures);
