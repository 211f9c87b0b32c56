// The benchmark proper (scripts/bench prepares everything and calls this).
// Times, side by side:
//   - native: `ollama-pack inspect <store>` on the full store (sparse 1 GiB
//     weights), RUNS times after one warm-up;
//   - browser: in headless Chromium, with the OPFS copy of the store behind a
//     stubbed showDirectoryPicker, the time from clicking
//     <button id="open-folder"> until <table id="models"> has one
//     <tbody><tr> per model, RUNS times, reloading the page before each run;
// and prints them with the gzipped wasm size against its budget.
// Exits 1 with a clear message if a part could not be measured.
//
// Environment: BENCH_STORE (dir with models/ and opfs-models/ from
// make_store.py), BENCH_NATIVE_BIN, BENCH_RUNS (default 5),
// WASM_GZ_BYTES, WASM_RAW_BYTES, WASM_GZIP_BUDGET_BYTES.

import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openApp, stubDirectoryPicker, waitForBoot, writeOpfsTree } from '../tests/e2e/harness.mjs';
import { report } from './rows.mjs';

const store = process.env.BENCH_STORE;
const nativeBin = process.env.BENCH_NATIVE_BIN;
const runs = Number(process.env.BENCH_RUNS || 5);
const info = JSON.parse(await readFile(path.join(store, 'store.json'), 'utf8'));
const expected = info.models;
const TIMEOUT_MS = 60_000;

const rows = []; // [what, runs, min, median, max, note]
const failures = [];

const ms = (x) => (x === undefined ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1));
function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median, max: s.at(-1) };
}

// ---- native CLI --------------------------------------------------------
{
  const modelsDir = path.join(store, 'models');
  const samples = [];
  let failed = null;
  let foundProblems = false;
  for (let i = 0; i <= runs && !failed; i += 1) {
    const t0 = performance.now();
    const r = spawnSync(nativeBin, ['inspect', modelsDir], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const dt = performance.now() - t0;
    // Exit codes: 0 = fine, 1 = ran and found problems, 2 = could not run.
    if (r.status !== 0 && r.status !== 1) {
      failed = `exit ${r.status}: ${(r.stderr || r.error || '').toString().trim().split('\n')[0]}`;
    } else {
      if (r.status === 1) foundProblems = true;
      if (i > 0) samples.push(dt); // run 0 is the warm-up
    }
  }
  if (failed) {
    rows.push(['native `ollama-pack inspect` (full store)', 0, , , , 'FAILED']);
    failures.push(`native inspect failed: ${failed}`);
  } else {
    const s = stats(samples);
    rows.push(['native `ollama-pack inspect` (full store)', samples.length, s.min, s.median, s.max, foundProblems ? 'warm page cache; reported problems (exit 1)' : 'warm page cache']);
  }
}

// ---- browser -------------------------------------------------------------
async function filesUnder(dir, prefix = '') {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) out.push(...(await filesUnder(path.join(dir, entry.name), rel + '/')));
    else out.push({ path: rel, bytes: await readFile(path.join(dir, entry.name)) });
  }
  return out;
}

// Runs in the page: click, then wait (MutationObserver) for the rows.
async function clickAndWaitForRows({ expected, timeout }) {
  const button = document.querySelector('#open-folder');
  if (!button) return { error: 'the page has no <button id="open-folder"> (the inspector UI has not landed yet?)' };
  const count = () => document.querySelectorAll('#models tbody tr').length;
  const t0 = performance.now();
  button.click();
  return new Promise((resolve) => {
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      observer.disconnect();
      clearTimeout(timer);
      resolve(result);
    };
    const check = () => {
      if (count() >= expected) finish({ ms: performance.now() - t0, rows: count() });
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    const timer = setTimeout(() => {
      const table = document.querySelector('#models');
      const box = document.querySelector('.error');
      finish({
        error: !table
          ? `no <table id="models"> appeared within ${timeout / 1000} s`
          : `<table id="models"> has ${count()} <tbody><tr> rows after ${timeout / 1000} s, expected ${expected}`,
        message: box ? box.textContent.trim().slice(0, 300) : undefined,
      });
    }, timeout);
    check();
  });
}

{
  const label = `browser: click "Open models folder" → ${expected} rows (OPFS)`;
  let app;
  try {
    app = await openApp();
    const files = await filesUnder(path.join(store, 'opfs-models'));
    const t0 = performance.now();
    await writeOpfsTree(app.page, files, 'bench/models');
    const copyMs = performance.now() - t0;
    const mib = files.reduce((n, f) => n + f.bytes.length, 0) / 2 ** 20;
    rows.push([`setup: copy store into OPFS (${files.length} files, ${mib.toFixed(1)} MiB)`, 1, copyMs, copyMs, copyMs, 'not part of the figure below']);

    const samples = [];
    for (let i = 0; i < runs; i += 1) {
      if (i > 0) {
        await app.page.reload();
        await waitForBoot(app.page);
      }
      await stubDirectoryPicker(app.page, 'bench/models');
      const r = await app.page.evaluate(clickAndWaitForRows, { expected, timeout: TIMEOUT_MS });
      if (r.error) {
        throw new Error(r.error + (r.message ? ` (the page says: ${r.message})` : ''));
      }
      samples.push(r.ms);
    }
    const s = stats(samples);
    rows.push([label, samples.length, s.min, s.median, s.max, 'page reloaded before each run']);
    if (app.errors.length) failures.push(`page errors during the browser bench:\n  ${app.errors.join('\n  ')}`);
  } catch (err) {
    rows.push([label, 0, , , , 'FAILED']);
    failures.push(`browser bench: ${err.message}`);
  } finally {
    await app?.close();
  }
}

// ---- report --------------------------------------------------------------
const gz = Number(process.env.WASM_GZ_BYTES);
const raw = Number(process.env.WASM_RAW_BYTES);
const budget = Number(process.env.WASM_GZIP_BUDGET_BYTES);
const regGz = Number(process.env.ENGINE_WASM_GZ_BYTES);
const regBudget = Number(process.env.ENGINE_WASM_GZIP_BUDGET_BYTES);
const n = (x) => x.toLocaleString('en-US');
const storeWords = `${info.models} models, ${(info.declared_bytes / 1e9).toFixed(1)} GB declared, sparse weights`;
const target = (what) => (what.startsWith('browser') ? '< 300 ms median' : '');
const out = rows.map(([what, runs, min, median, max, note]) => [
  `${what} (${storeWords})`,
  runs ? `${ms(median)} ms median` : 'FAILED',
  runs ? `${ms(min)}–${ms(max)} ms over ${runs} runs; ${note}` : note,
  target(what),
]);
out.push(['app wasm, gzip -9, after wasm-opt -Oz', `${n(gz)} B`, `${((gz / budget) * 100).toFixed(0)}% of the budget; ${n(raw)} B raw`, `< ${n(budget)} B`]);
if (regGz) out.push(['engine module wasm (loaded on the first archive check, look-up or push), gzip -9', `${n(regGz)} B`, `${((regGz / regBudget) * 100).toFixed(0)}% of its budget`, `< ${n(regBudget)} B`]);
report('open', 'Opening a 50-model store, and the app\'s size', out, failures);
