// Opening an archive in the browser, as a person does: pick a file; the page
// names its kind, verifies every blob in one streaming pass and lists the
// models with their IDs. Archives come from real peer tools (GNU tar,
// Python tarfile, bsdtar, PyPI ollamazip, a Model-Manager-style tar.gz;
// tests/fixtures/archives/make_archives.py); IDs are checked against the
// SHA-256 node computes of the source manifests. A corrupted blob and a
// hostile archive are named, not swallowed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openApp, listOpfs, openFolder } from './harness.mjs';
import { DIR, peers, idOf, openArchive as open, emptyStore } from './archives.mjs';

let app;
before(async () => {
  app = await openApp();
});
after(async () => {
  await app?.close();
});

async function openArchive(file) {
  await open(app.page, file);
  return app.page;
}

for (const name of ['gnutar-pax-dot-ollama.tar', 'python-pax-contents.tar.gz', 'ollamazip-zstd.ollamazip', 'gemma2_2b_model.tar.gz', 'bsdtar-models.tar.zst']) {
  test(`${name} (${peers[name].tool}) is recognised, verified intact, with the right IDs`, async () => {
    const page = await openArchive(path.join(DIR, 'peer', name));
    assert.match(await page.locator('#archive-verdict').innerText(), /^Intact/);
    const rows = await page.locator('#archive-models tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.dataset.name, tr.children[1].innerText]));
    assert.deepEqual(rows.map(([n]) => n).sort(), [...peers[name].models].sort());
    for (const [model, id] of rows) assert.equal(id, idOf(model), `${model} ID`);
    assert.deepEqual(app.errors, []);
  });
}

test('a corrupted blob is named, and its model fails', async () => {
  const expected = JSON.parse(readFileSync(path.join(DIR, 'hostile/blob-corrupted.tar.json'), 'utf8'));
  const page = await openArchive(path.join(DIR, 'hostile/blob-corrupted.tar'));
  assert.match(await page.locator('#archive-verdict').innerText(), /^Problems/);
  const bad = await page.locator('#archive-models tbody tr.has-problem').allInnerTexts();
  assert.ok(bad.length >= 1 && bad.some((t) => t.includes(expected.problem)), `${bad} names ${expected.problem}`);
});

test('a hostile archive (a symlink) is refused with a clear message', async () => {
  const page = await openArchive(path.join(DIR, 'hostile/symlink.tar'));
  assert.match(await page.locator('#archive-verdict').innerText(), /^Problems/);
  assert.match(await page.locator('#archive-error').innerText(), /symbolic link/);
  assert.deepEqual(app.errors, []);
});

test('import into the open folder: blobs verified before they get their name, manifests last, same IDs', async () => {
  const { page } = app;
  await emptyStore(page, 'istore');
  await openFolder(page, 'istore', '#summary');
  const name = 'gnutar-pax-dot-ollama.tar';
  await openArchive(path.join(DIR, 'peer', name));
  await page.click('#archive-import');
  await page.locator('#import-result').waitFor({ timeout: 60_000 });
  assert.match(await page.locator('#import-result').innerText(), new RegExp(`^Imported ${peers[name].models.length} model`));
  await page.waitForFunction((n) => document.querySelectorAll('#models tbody tr').length === n, peers[name].models.length);
  for (const model of peers[name].models) {
    const id = await page.locator(`#models tbody tr[data-name="${model}"] td.id`).innerText();
    assert.equal(id, idOf(model), model);
  }
  const files = await listOpfs(page, 'istore');
  assert.ok(!files.some((f) => f.endsWith('.tmp')), `no temporary file left: ${files}`);
  assert.equal(await page.locator('#problems').count(), 0, 'the imported store has no missing or wrong-size blob');
  assert.deepEqual(app.errors, []);
});

test('importing an archive with a corrupted blob skips that model and writes nothing under the bad name', async () => {
  const { page } = app;
  const bad = JSON.parse(readFileSync(path.join(DIR, 'hostile/blob-corrupted.tar.json'), 'utf8')).problem;
  await emptyStore(page, 'istore2');
  await page.reload();
  await openFolder(page, 'istore2', '#summary');
  await openArchive(path.join(DIR, 'hostile/blob-corrupted.tar'));
  await page.click('#archive-import');
  await page.locator('#import-result').waitFor({ timeout: 60_000 });
  assert.match(await page.locator('#import-result').innerText(), /skipped, they did not verify/);
  const files = await listOpfs(page, 'istore2');
  assert.ok(!files.includes(`models/blobs/${bad.replace(':', '-')}`), 'the corrupted blob has no final name');
  assert.ok(!files.some((f) => f.endsWith('.tmp')), `no temporary file left: ${files}`);
  assert.equal(await page.locator('#problems').count(), 0, 'no manifest points at a missing blob');
});

test('an archive dropped on the panel opens as a picked one does', async () => {
  const { page } = app;
  const name = 'python-pax-contents.tar.gz';
  const run = await page.evaluate(() => Number(document.querySelector('#archive-result')?.dataset.run ?? 0));
  await page.evaluate(({ b64, name }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dropped = new DataTransfer();
    dropped.items.add(new File([bytes], name));
    document.querySelector('#archive h2').dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true }));
  }, { b64: readFileSync(path.join(DIR, 'peer', name)).toString('base64'), name });
  await page.locator(`#archive-result[data-run="${run + 1}"][data-done="true"]`).waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('#archive-result h3').innerText(), name);
  assert.match(await page.locator('#archive-verdict').innerText(), /^Intact/);
  const models = await page.locator('#archive-models tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.name));
  assert.deepEqual(models.sort(), [...peers[name].models].sort());
  assert.deepEqual(app.errors, []);
});
