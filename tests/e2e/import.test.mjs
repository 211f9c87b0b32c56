// Importing an archive into a folder that already has one of its models
// with other content: the page shows both IDs and offers keep (the
// default), replace, or import under another name (a free name suggested,
// typed names checked); the manifest is written byte for byte whatever the
// name, so the ID stays. Cancel in the middle of a large import: the store
// is left exactly as it was, and the page imports again afterwards. A blob
// the folder has with the wrong size is replaced by the verified copy. A
// full disk (the page's storage quota set short of the archive) stops the
// import with a message that says so, and nothing is left behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openApp, listOpfs, readOpfsFile, writeOpfsTree, limitStorage, openFolder } from './harness.mjs';
import { DIR, SOURCE, idOfBytes, openArchive, emptyStore, sourceModel } from './archives.mjs';
import { oneModelStore } from './stores.mjs';

let app;
before(async () => {
  app = await openApp();
});
after(async () => {
  await app?.close();
});

const TINY = 'localhost:5000/team/tiny:v1';
const TINY_PATH = 'manifests/localhost:5000/team/tiny/v1';

async function importAndWait(page, result) {
  await page.click('#archive-import');
  await page.waitForFunction((re) => new RegExp(re).test(document.querySelector('#import-result')?.innerText ?? ''), result.source, { timeout: 60_000 });
  // The folder is rescanned after every import.
  await page.locator('#summary').waitFor();
}

test('a model the folder has with other content: keep, import under another name, replace', async () => {
  const { page } = app;
  const original = readFileSync(path.join(SOURCE, TINY_PATH));
  const edited = Buffer.concat([original, Buffer.from(' ')]);
  const files = sourceModel(TINY).map((f) => (f.path === `models/${TINY_PATH}` ? { ...f, bytes: edited } : f));
  await writeOpfsTree(page, files, 'cstore');
  await openFolder(page, 'cstore', '#summary');
  await openArchive(page, path.join(DIR, 'peer/ollamazip-zstd.ollamazip'));

  const row = page.locator(`#import-conflicts tr[data-name="${TINY}"]`);
  assert.deepEqual(await row.locator('td.mono').allInnerTexts(), [idOfBytes(edited), idOfBytes(original)], 'folder ID, archive ID');
  assert.equal(await row.locator('.conflict-choice').inputValue(), 'keep', 'nothing is replaced unless chosen');
  await importAndWait(page, /kept as they were: localhost:5000\/team\/tiny:v1/);
  assert.deepEqual(await readOpfsFile(page, `cstore/models/${TINY_PATH}`), edited);

  await row.locator('.conflict-choice').selectOption('rename');
  const field = row.locator('.conflict-name');
  assert.equal(await field.inputValue(), `${TINY}-imported`, 'a free name is suggested');
  for (const [typed, why] of [['bad name', /not valid/], [TINY, /taken/], ['', /not valid/]]) {
    await field.fill(typed);
    assert.match(await row.locator('.conflict-error').innerText(), why, typed);
    assert.ok(await page.locator('#archive-import').isDisabled(), `Import waits for a good name instead of ${typed}`);
  }
  await field.fill('tiny:mine');
  assert.equal(await row.locator('.conflict-error').count(), 0);
  await importAndWait(page, new RegExp(`^Imported 1 model\\(s\\): tiny:mine \\(the archive's ${TINY}\\)`));
  assert.deepEqual(await readOpfsFile(page, 'cstore/models/manifests/registry.ollama.ai/library/tiny/mine'), original, 'byte for byte');
  assert.deepEqual(await readOpfsFile(page, `cstore/models/${TINY_PATH}`), edited, 'the folder\'s own left alone');
  assert.equal(await page.locator('#models tbody tr[data-name="tiny:mine"] td.id').innerText(), idOfBytes(original), 'same ID');

  await row.locator('.conflict-choice').selectOption('replace');
  await importAndWait(page, /replaced: localhost:5000\/team\/tiny:v1/);
  assert.deepEqual(await readOpfsFile(page, `cstore/models/${TINY_PATH}`), original);
  await page.waitForFunction(() => !document.querySelector('#import-conflicts'));
  const left = await listOpfs(page, 'cstore');
  assert.ok(!left.some((f) => f.endsWith('.tmp')), `no temporary file left: ${left}`);
  assert.equal(await page.locator('#problems').count(), 0, 'no manifest points at a missing blob');
  assert.deepEqual(app.errors, []);
});

/** A plain tar of a one-model store with `size` bytes of weights: the
 * config blob first (so it is final when the weights are cut off), the
 * weights, the manifest. */
function bigArchive(size) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ollama-pack-big-'));
  const files = oneModelStore(size, 3);
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    writeFileSync(path.join(dir, f.path), f.bytes);
  }
  const tar = path.join(dir, 'big.tar');
  const [manifest, config, big] = files.map((f) => f.path);
  execFileSync('tar', ['-cf', tar, '-C', dir, config, big, manifest]);
  const weights = path.basename(big);
  return { tar, dir, weights };
}

/** Opens an OPFS folder `name` holding gemma2:2b only; returns its files. */
async function openOneModelFolder(page, name) {
  await emptyStore(page, name);
  await writeOpfsTree(page, sourceModel('gemma2:2b'), name, { keep: true });
  await openFolder(page, name, '#summary');
  return listOpfs(page, name);
}

test('Cancel stops an import in the middle and leaves the store as it was; the page imports again', async () => {
  const { page } = app;
  const { tar, dir, weights } = bigArchive(384 << 20);
  try {
    const before = await openOneModelFolder(page, 'kstore');
    await openArchive(page, tar, 120_000);
    assert.match(await page.locator('#archive-verdict').innerText(), /^Intact/);

    await page.click('#archive-import');
    // The weights are being written under their temporary name: cancel now.
    await page.waitForFunction(async (temp) => {
      let d = await navigator.storage.getDirectory();
      for (const n of ['kstore', 'models', 'blobs']) d = await d.getDirectoryHandle(n);
      return d.getFileHandle(temp).then(() => true, () => false);
    }, `${weights}.ollama-pack.tmp`, { timeout: 60_000, polling: 20 });
    // A progress bar shows how far the import read the archive.
    await page.waitForFunction(() => {
      const bar = document.querySelector('#import-progress');
      return bar && bar.value > 0 && bar.value < bar.max;
    }, null, { timeout: 60_000, polling: 20 });
    assert.equal(Number(await page.locator('#import-progress').getAttribute('max')), statSync(tar).size);
    assert.match(await page.locator('#import-status').innerText(), /^Importing: [\d.]+ \S+ of [\d.]+ \S+ read · \d+ MB\/s/);
    await page.click('#import-cancel');
    await page.locator('#import-result').waitFor({ timeout: 60_000 });
    // Stopped mid-way: had Cancel not worked, the 384 MiB import would have finished.
    assert.match(await page.locator('#import-result').innerText(), /^Import cancelled: nothing was imported\. The folder is as it was: what this import had written was removed\.$/);
    await page.locator('#summary').waitFor();
    assert.deepEqual(await listOpfs(page, 'kstore'), before, 'no blob, temporary file or manifest left');
    assert.equal(await page.locator('#models tbody tr').count(), 1);

    await importAndWait(page, /^Imported 1 model\(s\): big:latest; 2 blob\(s\) written/);
    await page.waitForFunction(() => document.querySelectorAll('#models tbody tr').length === 2);
    assert.equal(await page.locator('#problems').count(), 0);
    assert.deepEqual(app.errors, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a full disk: the import stops with a message that says so, leaves the store as it was, and imports once there is room', async () => {
  const { page } = app;
  const { tar, dir } = bigArchive(64 << 20);
  try {
    const before = await openOneModelFolder(page, 'fstore');
    await openArchive(page, tar, 120_000);
    const lift = await limitStorage(app, 32 << 20);
    try {
      await page.click('#archive-import');
      await page.locator('#import-result').waitFor({ timeout: 60_000 });
    } finally {
      await lift();
    }
    const said = await page.locator('#import-result').innerText();
    assert.match(said, /the disk is full, or the browser's storage for this page is used up: free some space and try again\b.*\. The folder is as it was: what this import had written was removed\.$/);
    await page.locator('#summary').waitFor();
    assert.deepEqual(await listOpfs(page, 'fstore'), before, 'no blob, temporary file or manifest left');
    await importAndWait(page, /^Imported 1 model\(s\): big:latest; 2 blob\(s\) written/);
    assert.equal(await page.locator('#problems').count(), 0);
    assert.deepEqual(app.errors, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a blob the folder has with the wrong size is replaced by the archive\'s verified copy', async () => {
  const { page } = app;
  const files = sourceModel('gemma2:2b');
  const weights = files.reduce((a, b) => (b.bytes.length > a.bytes.length ? b : a));
  const cut = files.map((f) => (f === weights ? { ...f, bytes: f.bytes.subarray(0, 100) } : f));
  await writeOpfsTree(page, cut, 'rstore');
  await openFolder(page, 'rstore', '#problems');
  await openArchive(page, path.join(DIR, 'peer/ollamazip-gzip.ollamazip'));
  await importAndWait(page, /^Imported 0 model\(s\); 0 blob\(s\) written; 1 blob\(s\) of the wrong size replaced by the archive's verified copy; already there: gemma2:2b/);
  assert.deepEqual(await readOpfsFile(page, `rstore/${weights.path}`), weights.bytes);
  await page.waitForFunction(() => !document.querySelector('#problems'));
  assert.ok(!(await listOpfs(page, 'rstore')).some((f) => f.endsWith('.tmp')));
});
