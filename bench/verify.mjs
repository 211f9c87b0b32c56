// Verify benchmark (issue 3), side by side in one run:
//   1. streaming SHA-256 in headless Chromium over the same 512 MiB in
//      memory: ours (the app's WASM, Sha256Stream) vs npm hash-wasm
//      (streaming) vs WebCrypto subtle.digest (one-shot, not streamable);
//   2. read throughput through the File System Access API: File.slice +
//      arrayBuffer in 4 MiB steps (verify's path for picked folders) and an
//      OPFS sync access handle in a worker (its path for OPFS blobs);
//   3. the app's "Verify all blobs" wall time on 4 blobs of 256 MiB in OPFS,
//      1 worker vs navigator.hardwareConcurrency workers, taking turns;
//   4. native `ollama-pack verify` vs `sha256sum` over the same store on disk.
// Environment: BENCH_NATIVE_BIN, BENCH_OUT (a scratch folder), BENCH_RUNS.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { report } from './rows.mjs';
import { openApp, openFolder, ROOT } from '../tests/e2e/harness.mjs';
import { watchChromium } from './cpu.mjs';

const MiB = 1 << 20;
const runs = Math.max(1, Number(process.env.BENCH_RUNS || 5));
const nativeBin = process.env.BENCH_NATIVE_BIN;
const out = process.env.BENCH_OUT || path.join(ROOT, 'bench/out');
const rows = [];
const failures = [];
const best = (xs) => Math.min(...xs);
const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);

const app = await openApp();
const { page } = app;
await page.addScriptTag({ path: path.join(ROOT, 'node_modules/hash-wasm/dist/sha256.umd.min.js') });

// ---- 1. hash throughput, 512 MiB in memory -------------------------------
{
  const size = 512 * MiB;
  const samples = { ours: [], hashwasm: [], webcrypto: [] };
  for (let i = 0; i < runs; i += 1) {
    const r = await page.evaluate(async (size) => {
      const data = (window.__benchData ??= (() => {
        const d = new Uint8Array(size);
        for (let o = 0; o < size; o += 65536) crypto.getRandomValues(d.subarray(o, o + 65536));
        return d;
      })());
      const step = 4 << 20;
      const mod = await import('./ollama_pack.js');
      const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
      const time = async (fn) => { const t = performance.now(); const h = await fn(); return { ms: performance.now() - t, hex: h }; };
      const ours = await time(async () => {
        const h = new mod.Sha256Stream();
        for (let o = 0; o < size; o += step) h.update(data.subarray(o, o + step));
        return h.finish();
      });
      const hashwasm = await time(async () => {
        const h = await window.hashwasm.createSHA256();
        h.init();
        for (let o = 0; o < size; o += step) h.update(data.subarray(o, o + step));
        return h.digest('hex');
      });
      const webcrypto = await time(async () => hex(await crypto.subtle.digest('SHA-256', data)));
      return { ours, hashwasm, webcrypto };
    }, size);
    if (r.ours.hex !== r.hashwasm.hex || r.ours.hex !== r.webcrypto.hex) failures.push(`hashers disagree: ${JSON.stringify(r)}`);
    for (const k of Object.keys(samples)) samples[k].push(r[k].ms);
  }
  const ours = mbps(size, best(samples.ours));
  const hw = mbps(size, best(samples.hashwasm));
  const wc = mbps(size, best(samples.webcrypto));
  rows.push(['hash 512 MiB in Chromium: ours (WASM sha2, simd128, streaming)', `${ours.toFixed(0)} MB/s`, `${(ours / hw).toFixed(2)}× hash-wasm`, '≥ 1.1× hash-wasm']);
  rows.push(['hash 512 MiB in Chromium: npm hash-wasm (streaming)', `${hw.toFixed(0)} MB/s`, '', '']);
  rows.push(['hash 512 MiB in Chromium: WebCrypto digest (one-shot)', `${wc.toFixed(0)} MB/s`, `${(ours / wc).toFixed(2)}× ours/WebCrypto`, '(not streamable)']);
  await page.evaluate(() => { delete window.__benchData; });
  globalThis.oursHashRate = ours;
}

// ---- 2 + 3. OPFS read throughput; verify 1 vs N workers -----------------
{
  const blobs = 4;
  const blobSize = 256 * MiB;
  const setup = await page.evaluate(async ({ blobs, blobSize }) => {
    const opfs = await navigator.storage.getDirectory();
    await opfs.removeEntry('vbench', { recursive: true }).catch(() => {});
    const root = await opfs.getDirectoryHandle('vbench', { create: true });
    const dir = async (parent, names) => { let d = parent; for (const n of names) d = await d.getDirectoryHandle(n, { create: true }); return d; };
    const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
    const write = async (d, name, bytes) => {
      const w = await (await d.getFileHandle(name, { create: true })).createWritable();
      await w.write(bytes);
      await w.close();
    };
    const blobDir = await dir(root, ['models', 'blobs']);
    const layers = [];
    for (let k = 0; k < blobs; k += 1) {
      const data = new Uint8Array(blobSize);
      for (let o = 0; o < blobSize; o += 65536) crypto.getRandomValues(data.subarray(o, o + 65536));
      const digest = hex(await crypto.subtle.digest('SHA-256', data));
      await write(blobDir, `sha256-${digest}`, data);
      layers.push({ mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${digest}`, size: blobSize });
    }
    const enc = new TextEncoder();
    for (let k = 0; k < blobs; k += 1) {
      const config = enc.encode(JSON.stringify({ model_family: 'bench', model_type: `${k}B`, file_type: 'F16' }));
      const cdigest = hex(await crypto.subtle.digest('SHA-256', config));
      await write(blobDir, `sha256-${cdigest}`, config);
      const manifest = { schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${cdigest}`, size: config.length },
        layers: [layers[k]] };
      await write(await dir(root, ['models', 'manifests', 'registry.ollama.ai', 'library', `bench${k}`]), 'latest', enc.encode(JSON.stringify(manifest)));
    }
    // Read throughput: every blob once, 4 MiB slices (verify's path for
    // picked folders), then through a read-only sync access handle in a
    // worker, 4 MiB reads into one buffer (verify's path for OPFS blobs).
    const handles = await Promise.all(layers.map((l) => blobDir.getFileHandle(l.digest.replace(':', '-'))));
    const t = performance.now();
    let read = 0;
    for (const h of handles) {
      const file = await h.getFile();
      for (let o = 0; o < file.size; o += 4 << 20) read += (await file.slice(o, o + (4 << 20)).arrayBuffer()).byteLength;
    }
    const readMs = performance.now() - t;
    const src = `self.onmessage = async (e) => {
      const buf = new Uint8Array(4 << 20);
      const t = performance.now();
      let read = 0;
      for (const h of e.data) {
        const a = await h.createSyncAccessHandle({ mode: 'read-only' });
        let at = 0;
        for (let n; (n = a.read(buf, { at })) > 0;) at += n;
        a.close();
        read += at;
      }
      self.postMessage({ read, ms: performance.now() - t });
    };`;
    const worker = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
    const sync = await new Promise((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage(handles);
    });
    worker.terminate();
    return { readMs, read, syncMs: sync.ms, syncRead: sync.read, cores: navigator.hardwareConcurrency };
  }, { blobs, blobSize });
  const readRate = mbps(setup.read, setup.readMs);
  const syncRate = mbps(setup.syncRead, setup.syncMs);
  if (setup.syncRead !== setup.read) failures.push(`sync access handles read ${setup.syncRead} bytes, not ${setup.read}`);
  const hashRate = globalThis.oursHashRate;
  rows.push(['read through File System Access (OPFS, File 4 MiB slices)', `${readRate.toFixed(0)} MB/s`, `${(readRate / hashRate).toFixed(2)}× our hash rate`, '≥ 2× hash rate']);
  rows.push(['read through OPFS sync access handle (worker, 4 MiB reads)', `${syncRate.toFixed(0)} MB/s`, `${(syncRate / hashRate).toFixed(2)}× our hash rate`, '≥ 2× hash rate']);

  // 1 worker and N workers take turns, so a burst of other load on the
  // machine hits both alike; best and median of each are shown.
  const counts = [1, setup.cores];
  const samples = Object.fromEntries(counts.map((w) => [w, []]));
  const cpu = Object.fromEntries(counts.map((w) => [w, []]));
  // The machine's own ceiling in the same turns: `sha256sum` of one file
  // twice in one process vs in two processes at once (this VM's second core
  // is sometimes worth far less than the first).
  const probe = path.join(out, 'cpu-probe.bin');
  mkdirSync(out, { recursive: true });
  writeFileSync(probe, createHash('sha512').update('probe').digest().toString('hex').repeat((128 * MiB) / 128));
  const machine = [];
  const shell = (script) => {
    const t = performance.now();
    spawnSync('sh', ['-c', script, 'sh', probe]);
    return performance.now() - t;
  };
  for (let i = 0; i < runs; i += 1) {
    machine.push(shell('sha256sum "$1" "$1" >/dev/null') / shell('sha256sum "$1" >/dev/null & sha256sum "$1" >/dev/null & wait'));
    for (const workers of counts) {
      await page.reload();
      await openFolder(page, 'vbench');
      await page.fill('#verify-workers', String(workers));
      const watch = watchChromium();
      const t = performance.now();
      await page.click('#verify-all');
      await page.locator('#verify-results[data-run="1"] #verify-verdict').waitFor({ timeout: 300_000 });
      samples[workers].push(performance.now() - t);
      cpu[workers].push(watch());
      const verdict = await page.locator('#verify-verdict').innerText();
      if (!/All \d+ blobs are intact/.test(verdict)) failures.push(`verify (${workers} workers): ${verdict}`);
      const reads = await page.locator('#verify-results').getAttribute('data-reads');
      if (!reads.includes(`opfs-sync:${blobs}`)) failures.push(`verify (${workers} workers) read ${reads}, not ${blobs} blobs through sync access handles`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const [one, n] = [samples[1], samples[setup.cores]];
  const total = blobs * blobSize;
  rows.push([`app "Verify all blobs", 4 × 256 MiB, 1 worker`, `${(best(one) / 1000).toFixed(2)} s`, `${mbps(total, best(one)).toFixed(0)} MB/s (median ${(median(one) / 1000).toFixed(2)} s)`, '']);
  // Each turn's 1-worker run and N-worker run are a pair measured seconds
  // apart; the median of the pairs' ratios is the figure (this machine's
  // CPU speed drifts by 1.5× over minutes, so a best-of-each ratio pairs
  // runs from different moments).
  const ratios = one.map((t, i) => t / n[i]).sort((a, b) => a - b);
  machine.sort((a, b) => a - b);
  rmSync(probe, { force: true });
  rows.push([`app "Verify all blobs", 4 × 256 MiB, ${setup.cores} workers`, `${(best(n) / 1000).toFixed(2)} s`, `${median(ratios).toFixed(2)}× 1 worker (median of ${ratios.length} paired turns; pairs ${ratios.map((r) => r.toFixed(2)).join(', ')}; best/best ${(best(one) / best(n)).toFixed(2)}×)`, '≥ 1.7× on 2 cores']);
  // Where the CPU went (medians): the hashing workers, the page, the rest of
  // Chromium. With N workers the run needs all of it on N cores, so the
  // 1-worker time over (that CPU / N) bounds the N-worker figure here.
  const cpuOf = (w) => {
    const m = (k) => median(cpu[w].map((c) => c[k]));
    const workersS = median(cpu[w].map((c) => c.hasher + c.workers));
    return { workersS, page: m('page'), rest: m('rest'), all: workersS + m('page') + m('rest') };
  };
  for (const w of counts) {
    const c = cpuOf(w);
    rows.push([`  CPU of a ${w}-worker verify (medians): workers + page + rest of Chromium`, `${c.all.toFixed(2)} s`, `${c.workersS.toFixed(2)} + ${c.page.toFixed(2)} + ${c.rest.toFixed(2)} s`, w === setup.cores ? `≤ ${(median(one) / 1000 / (c.all / setup.cores)).toFixed(2)}× 1 worker with this CPU on ${setup.cores} cores` : '']);
  }
  rows.push(['machine: 2 `sha256sum` at once vs one doing both (same turns)', '', `${median(machine).toFixed(2)}× (pairs ${machine.map((r) => r.toFixed(2)).join(', ')})`, 'the ceiling of any 2-worker figure']);
  await page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry('vbench', { recursive: true }));
}
await app.close();

// ---- 4. native verify vs sha256sum ---------------------------------------
if (nativeBin) {
  const store = path.join(out, 'verify-store');
  rmSync(store, { recursive: true, force: true });
  const blobsDir = path.join(store, 'models/blobs');
  mkdirSync(blobsDir, { recursive: true });
  const paths = [];
  for (let k = 0; k < 4; k += 1) {
    const data = Buffer.alloc(256 * MiB);
    for (let o = 0; o < data.length; o += 4096) data.writeUInt32LE((o * 2654435761 + k) >>> 0, o);
    const digest = createHash('sha256').update(data).digest('hex');
    const config = Buffer.from(JSON.stringify({ model_family: 'bench', model_type: `${k}B` }));
    const cdigest = createHash('sha256').update(config).digest('hex');
    writeFileSync(path.join(blobsDir, `sha256-${digest}`), data);
    writeFileSync(path.join(blobsDir, `sha256-${cdigest}`), config);
    paths.push(path.join(blobsDir, `sha256-${digest}`));
    const mdir = path.join(store, `models/manifests/registry.ollama.ai/library/bench${k}`);
    mkdirSync(mdir, { recursive: true });
    writeFileSync(path.join(mdir, 'latest'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${cdigest}`, size: config.length },
      layers: [{ mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${digest}`, size: data.length }] }));
  }
  const timeCmd = (cmd, args) => {
    const samples = [];
    for (let i = 0; i <= runs; i += 1) {
      const t = performance.now();
      const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
      if (r.status !== 0) failures.push(`${cmd} exited ${r.status}: ${(r.stderr || '').split('\n')[0]}`);
      if (i > 0) samples.push(performance.now() - t); // run 0 warms the page cache
    }
    return best(samples);
  };
  const ours = timeCmd(nativeBin, ['verify', store]);
  const theirs = timeCmd('sha256sum', paths);
  const bytes = 4 * 256 * MiB;
  rows.push(['native `ollama-pack verify`, 4 × 256 MiB (warm cache)', `${(ours / 1000).toFixed(2)} s`, `${mbps(bytes, ours).toFixed(0)} MB/s, ${(theirs / ours).toFixed(2)}× sha256sum`, '≥ 1× sha256sum']);
  rows.push(['`sha256sum` of the same blobs', `${(theirs / 1000).toFixed(2)} s`, `${mbps(bytes, theirs).toFixed(0)} MB/s`, '']);
  rmSync(store, { recursive: true, force: true });
}

report('verify', `Verify, best of ${runs} runs each`, rows, failures);
