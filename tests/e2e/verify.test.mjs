// Verify in the browser, as a person uses it: the Python-made store is copied
// into OPFS with one blob corrupted on the way (a flipped byte); it already
// has a missing and a wrong-size blob. "Verify all blobs" must name exactly
// those three (the corrupted one with the digest node computes of its
// bytes) and call every other blob intact. Also: quick check, "Verify this
// model", and Cancel in the middle of a large blob leaving the page usable.
// Large OPFS blobs are read through a sync access handle; a locked one
// through its File (both paths checked).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { filesUnder, oneModelStore, sha } from './stores.mjs';
import { openApp, writeOpfsTree, ROOT, openFolder } from './harness.mjs';

const FIXTURE = path.join(ROOT, 'tests/fixtures/generated/store');
const expected = JSON.parse(readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8'));

const gemma = expected.models.find((m) => m.name === 'gemma2:2b');
const corrupted = gemma.layers.find((l) => l.media_type.endsWith('.model')).digest;
let corruptedActual;

let app;
before(async () => {
  app = await openApp();
  const files = filesUnder(path.join(FIXTURE, 'dot-ollama')).map((f) => {
    if (!f.path.endsWith(corrupted.replace('sha256:', 'sha256-'))) return f;
    const bytes = Buffer.from(f.bytes);
    bytes[bytes.length >> 1] ^= 0x40;
    corruptedActual = sha(bytes);
    return { path: f.path, bytes };
  });
  assert.ok(corruptedActual, 'the fixture has the gemma weights blob');
  await writeOpfsTree(app.page, files, 'vstore');
});
after(async () => {
  await app?.close();
});

async function open(target) {
  const { page } = app;
  await page.reload();
  await openFolder(page, target);
}

/** Waits for the results of the n-th verify run of this page. */
async function waitRun(n, timeout = 60_000) {
  await app.page.locator(`#verify-results[data-run="${n}"] #verify-verdict`).waitFor({ timeout });
}

async function problems() {
  return app.page.locator('#verify-problems tbody tr').evaluateAll((rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.digest, { outcome: r.dataset.outcome, text: r.innerText }])),
  );
}

test('verify all names exactly the corrupted, missing and wrong-size blobs', async () => {
  await open('vstore');
  const { page } = app;
  await page.click('#verify-all');
  await waitRun(1);
  const found = await problems();
  const want = {
    [corrupted]: 'mismatch',
    ...Object.fromEntries(expected.blobs.missing.map((m) => [m.digest, 'missing'])),
    ...Object.fromEntries(expected.blobs.size_mismatch.map((m) => [m.digest, 'wrong size'])),
  };
  assert.deepEqual(Object.fromEntries(Object.entries(found).map(([d, v]) => [d, v.outcome])), want);
  assert.ok(found[corrupted].text.includes(corruptedActual), `${found[corrupted].text} names ${corruptedActual}`);
  const verdicts = await page.locator('#verify-models li').evaluateAll((li) => Object.fromEntries(li.map((l) => [l.dataset.model, l.className])));
  const broken = new Set(['gemma2:2b', expected.blobs.missing[0].model]);
  for (const m of expected.models) assert.equal(verdicts[m.name], broken.has(m.name) ? 'bad' : 'ok', m.name);
  assert.match(await page.locator('#verify-verdict').innerText(), /3 of \d+ blobs have a problem/);
  assert.deepEqual(app.errors, []);
});

test('quick check skips blobs verified since; verify this model checks only its blobs', async () => {
  const { page } = app;
  await page.check('#verify-quick');
  await page.click('#verify-all');
  await waitRun(2);
  // Only the mismatched blob is read again: the intact ones are remembered
  // (missing and wrong-size blobs are settled from the listing, unread).
  const gemmaWeights = gemma.layers.find((l) => l.digest === corrupted).size;
  assert.equal(await page.locator('#verify-scope').getAttribute('data-bytes'), String(gemmaWeights));
  assert.equal(Object.keys(await problems()).length, 3);
  await page.uncheck('#verify-quick');
  const llama = expected.models.find((m) => m.name === 'llama3.2:latest');
  await page.click(`#models tbody tr[data-name="${llama.name}"]`);
  await page.click('#verify-model');
  await waitRun(3);
  assert.match(await page.locator('#verify-verdict').innerText(), new RegExp(`All ${llama.layers.length + 1} blobs are intact`));
  assert.deepEqual(await page.locator('#verify-models li').evaluateAll((li) => li.map((l) => l.dataset.model)), [llama.name]);
});

test('cancel stops a large verify at once and leaves the page usable', async () => {
  const { page } = app;
  await writeOpfsTree(page, oneModelStore(768 << 20, 7), 'bigstore');
  await open('bigstore');
  await page.fill('#verify-workers', '1');
  await page.click('#verify-all');
  await page.waitForFunction(() => Number(document.querySelector('#verify-progress')?.value) > 0, null, { timeout: 30_000 });
  await page.click('#verify-cancel');
  await waitRun(1, 5_000);
  assert.match(await page.locator('#verify-verdict').innerText(), /Cancelled/);
  assert.equal(await page.locator('#verify-cancel').count(), 0);
  // The run's re-renders kept the worker count the user typed.
  assert.equal(await page.inputValue('#verify-workers'), '1');
  // Still usable: the table filters and a new run completes.
  await page.fill('#filter', 'big');
  assert.equal(await page.locator('#models tbody tr').count(), 1);
  await page.fill('#verify-workers', '2');
  await page.click('#verify-all');
  await waitRun(2);
  assert.match(await page.locator('#verify-verdict').innerText(), /All 2 blobs are intact/);
  // The weights (over the one-shot limit) were read through an OPFS sync
  // access handle, which the cancelled worker's end released; the config
  // went through WebCrypto.
  assert.equal(await page.locator('#verify-results').getAttribute('data-reads'), 'opfs-sync:1 webcrypto:1');
  assert.deepEqual(app.errors, []);
});

test('a blob held by a writer is read through its File instead, with the same result', async () => {
  const { page } = app;
  const files = oneModelStore(80 << 20, 9);
  const weights = files.find((f) => f.path.startsWith('models/blobs/') && f.bytes.length === 80 << 20);
  await writeOpfsTree(page, files, 'lockstore');
  await open('lockstore');
  // An open writable locks the file: no sync access handle can be opened on
  // it, so the worker falls back to File.slice().arrayBuffer().
  await page.evaluate(async (rel) => {
    let dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('lockstore');
    const parts = rel.split('/');
    for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p);
    window.__lock = await (await dir.getFileHandle(parts.at(-1))).createWritable();
  }, weights.path);
  await page.click('#verify-all');
  await waitRun(1);
  await page.evaluate(() => window.__lock.abort());
  assert.match(await page.locator('#verify-verdict').innerText(), /All 2 blobs are intact/);
  assert.equal(await page.locator('#verify-results').getAttribute('data-reads'), 'file:1 webcrypto:1');
  // Unlocked, the same blob goes through the sync access handle again.
  await page.click('#verify-all');
  await waitRun(2);
  assert.equal(await page.locator('#verify-results').getAttribute('data-reads'), 'opfs-sync:1 webcrypto:1');
  assert.deepEqual(app.errors, []);
});
