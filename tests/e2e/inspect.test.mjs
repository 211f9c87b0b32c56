// The inspector, driven as a person would: a real Ollama-shaped store (made
// by tests/fixtures/store/make_store.py with hashlib and gguf-py) is copied
// into the Origin Private File System, the folder picker hands it over, and
// every figure the page shows is checked against expected.json, which Python
// computed itself. Also: the models folder itself, a wrong folder, a
// cancelled picker, the file-input fallback, sorting, filtering and the demo.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { filesUnder } from './stores.mjs';
import { openApp, writeOpfsTree, stubDirectoryPicker, pickerCalls, listOpfs, readOpfsFile, ROOT, openFolder } from './harness.mjs';

const FIXTURE = path.join(ROOT, 'tests/fixtures/generated/store');
if (!existsSync(path.join(FIXTURE, 'expected.json'))) {
  throw new Error(`missing fixture: run .venv/bin/python tests/fixtures/store/make_store.py ${FIXTURE}`);
}
const expected = JSON.parse(readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8'));

let app;
before(async () => {
  app = await openApp();
  await writeOpfsTree(app.page, filesUnder(path.join(FIXTURE, 'dot-ollama')), 'store');
});
after(async () => {
  await app?.close();
});
beforeEach(async () => {
  await app.page.reload();
  await app.page.locator('#open-folder').waitFor();
});

async function openStore(target) {
  const { page } = app;
  await openFolder(page, target);
}

async function rowCells(name) {
  const row = app.page.locator(`#models tbody tr[data-name="${name}"]`);
  const cells = await row.locator('td').allTextContents();
  return { row, cells: cells.map((c) => c.trim()) };
}

test('opening ~/.ollama lists every model as Ollama would, with IDs Python computed', async () => {
  await openStore('store');
  const { page } = app;
  const calls = await pickerCalls(page);
  assert.equal(calls.at(-1).options.mode, 'read', 'the folder is opened read-only');
  assert.equal(await page.locator('#models tbody tr').count(), expected.models.length);
  for (const m of expected.models) {
    const { cells } = await rowCells(m.name);
    const [name, id, size, , family, params, quant] = cells;
    assert.ok(name.startsWith(m.name), `${m.name}: name cell ${name}`);
    assert.equal(id, m.id, `${m.name}: ID`);
    assert.equal(size, m.size_human, `${m.name}: size`);
    assert.deepEqual([family, params, quant], [m.family, m.parameter_size, m.quantization], m.name);
  }
  assert.match(await page.locator('#summary h2').innerText(), /store\/models/);
  assert.deepEqual(app.errors, []);
});

test('the summary names the missing, wrong-size, orphaned and partial blobs and unreadable files', async () => {
  await openStore('store');
  const { page } = app;
  const problems = await page.locator('#problems').innerText();
  for (const m of expected.blobs.missing) {
    assert.ok(problems.includes(m.digest), `missing ${m.digest}`);
    assert.ok(problems.includes(m.model), `missing names ${m.model}`);
  }
  for (const m of expected.blobs.size_mismatch) {
    assert.ok(problems.includes(m.digest) && problems.includes(String(m.actual)) && problems.includes(String(m.expected)), problems);
  }
  await page.click('#orphaned summary');
  const orphaned = await page.locator('#orphaned').innerText();
  for (const o of expected.blobs.orphaned) assert.ok(orphaned.includes(o.digest), orphaned);
  await page.click('#partial summary');
  const partial = await page.locator('#partial').innerText();
  for (const p of expected.blobs.partial) assert.ok(partial.includes(p), partial);
  const notes = await page.locator('#notes').innerText();
  for (const p of expected.error_paths) assert.ok(notes.includes(p), `${p} in ${notes}`);
  assert.equal(await page.locator('#fig-models .value').innerText(), String(expected.models.length));
  assert.equal(await page.locator('#fig-blobs .value').innerText(), String(expected.blobs.count));
  assert.equal(await page.locator('#disk-chart .chart-row').count(), expected.models.length);
  // The broken model is marked in the table.
  const phi = expected.blobs.missing[0].model;
  assert.equal(await app.page.locator(`#models tbody tr[data-name="${phi}"] .badge.bad`).count(), 1);
});

test('model detail shows layers, sharing, GGUF header, config and text, read from the blob heads', async () => {
  await openStore('store');
  const { page } = app;
  const m = expected.models.find((x) => x.gguf && x.name.startsWith('llama3.2:latest'));
  await page.click(`#models tbody tr[data-name="${m.name}"]`);
  assert.equal(await page.locator('#detail-id').innerText(), m.id);
  for (const l of m.layers) {
    const row = page.locator(`#layers tr[data-digest="${l.digest}"]`);
    const shared = (await row.locator('.shared').innerText()).trim();
    assert.deepEqual(shared === '–' ? [] : shared.split(', ').sort(), l.shared_with, `${l.media_type} shared_with`);
  }
  await page.locator('#gguf tr').first().waitFor();
  for (const [key, value] of Object.entries(m.gguf)) {
    const cell = (await page.locator(`#gguf tr[data-key="${key}"] td`).innerText()).trim();
    assert.equal(cell, String(value), `gguf ${key}`);
  }
  assert.match(await page.locator('#config-json').innerText(), new RegExp(`"model_family": "${m.family}"`));
  await page.locator('.layer-text pre').first().waitFor();
  assert.match(await page.locator('#detail').innerText(), /You are a concise assistant\./);
  assert.deepEqual(app.errors, []);
});

test('an unknown layer type is shown, not hidden', async () => {
  await openStore('store');
  await app.page.click('#models tbody tr[data-name="localhost:5000/team/tiny:v1"]');
  assert.match(await app.page.locator('#layers').innerText(), /unknown type application\/vnd\.example\.future/);
});

test('the models folder itself opens too', async () => {
  await openStore('store/models');
  assert.equal(await app.page.locator('#models tbody tr').count(), expected.models.length);
});

test('sorting and filtering', async () => {
  await openStore('store');
  const { page } = app;
  const sizeHeader = page.locator('#models th', { hasText: 'Size' });
  await sizeHeader.locator('button').click();
  assert.equal(await sizeHeader.getAttribute('aria-sort'), 'ascending');
  const bySize = [...expected.models].sort((a, b) => a.size - b.size || a.name.localeCompare(b.name));
  const names = await page.locator('#models tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.name));
  assert.deepEqual(names, bySize.map((m) => m.name));
  await sizeHeader.locator('button').click();
  assert.equal(await sizeHeader.getAttribute('aria-sort'), 'descending');
  await page.fill('#filter', 'gemma');
  const shown = await page.locator('#models tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.name));
  assert.deepEqual(shown, expected.models.filter((m) => /gemma/i.test(m.name + m.family)).map((m) => m.name));
});

test('a wrong folder says what was expected and what was found', async () => {
  const { page } = app;
  await writeOpfsTree(page, [{ path: 'Documents/notes.txt', text: 'hi' }, { path: 'photo.jpg', text: 'x' }], 'wrong');
  await stubDirectoryPicker(page, 'wrong');
  await page.click('#open-folder');
  const error = await page.locator('#error').innerText();
  assert.match(error, /not an Ollama models folder/);
  assert.match(error, /manifests/);
  assert.match(error, /Documents\/, photo\.jpg/);
  assert.deepEqual(app.errors, []);
});

test('a cancelled picker changes nothing, shows no error, and says why no folder opened', async () => {
  const { page } = app;
  await stubDirectoryPicker(page, null);
  await page.click('#open-folder');
  await page.locator('#picker-closed').waitFor();
  assert.match(await page.locator('#picker-closed').innerText(), /^No folder was opened: the dialog was closed, or the browser was not allowed/);
  assert.equal(await page.locator('#error').count(), 0);
  assert.equal(await page.locator('.welcome').count(), 1);
  assert.deepEqual(app.errors, []);
});

test('the file-input fallback reads the same store, read-only', async () => {
  const { page } = app;
  await page.setInputFiles('#folder-input', path.join(FIXTURE, 'dot-ollama'));
  await page.locator('#models tbody tr').first().waitFor();
  for (const m of expected.models) {
    const { cells } = await rowCells(m.name);
    assert.equal(cells[1], m.id, m.name);
  }
  assert.match(await page.locator('.warning[role=status]').innerText(), /read-only/);
});

test('the demo folder opens, with IDs that hash its manifests', async () => {
  const { page } = app;
  await page.click('#open-demo');
  await page.locator('#models tbody tr').first().waitFor();
  const manifests = await listOpfs(page, 'ollama-pack-demo/models/manifests');
  assert.ok(manifests.length >= 3, JSON.stringify(manifests));
  assert.equal(await page.locator('#models tbody tr').count(), manifests.length);
  const ids = await page.locator('#models tbody td.id').allTextContents();
  for (const f of manifests) {
    const bytes = await readOpfsFile(page, `ollama-pack-demo/models/manifests/${f}`);
    const id = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
    assert.ok(ids.includes(id), `${f}: ${id} in ${ids}`);
  }
  assert.ok(await page.locator('#orphaned').count(), 'the demo shows an orphan');
  assert.ok(await page.locator('#partial').count(), 'the demo shows a partial download');
  await page.locator('#models tbody tr').first().click();
  await page.locator('#gguf tr').first().waitFor();
  assert.deepEqual(app.errors, []);
});

test('dropping a file instead of a folder says what was found', async () => {
  const { page } = app;
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['hello'], 'notes.txt', { type: 'text/plain' }));
    const bar = document.querySelector('.toolbar');
    bar.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    bar.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  const error = await page.locator('#error').innerText();
  assert.match(error, /not an Ollama models folder/);
  assert.match(error, /notes\.txt/);
  assert.deepEqual(app.errors, []);
});

test('a denied permission says what happened and what to do', async () => {
  const { page } = app;
  await page.evaluate(() => {
    window.showDirectoryPicker = async () => { throw new DOMException('The request is not allowed by the user agent.', 'NotAllowedError'); };
  });
  await page.click('#open-folder');
  const error = await page.locator('#error').innerText();
  assert.match(error, /did not allow reading that folder/);
  assert.match(error, /Open it again and answer Allow/);
  assert.deepEqual(app.errors, []);
});

test('a browser without showDirectoryPicker is told so and offered the folder input', async () => {
  const { page } = app;
  await page.addInitScript(() => { delete Window.prototype.showDirectoryPicker; window.showDirectoryPicker = undefined; });
  await page.reload();
  await page.locator('#open-folder').waitFor();
  assert.match(await page.locator('.toolbar .fallback').innerText(), /cannot open folders directly/);
  await page.click('#open-folder');
  assert.match(await page.locator('#error').innerText(), /cannot open folders \(no showDirectoryPicker\)/);
  assert.deepEqual(app.errors, []);
});
