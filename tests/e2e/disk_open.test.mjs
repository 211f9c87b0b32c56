// A models folder on this machine's disk, opened as a person does in a real
// Chromium window: "Open models folder", the desktop's folder dialog,
// Chromium's "Allow this site to view and copy files?" (harness
// desktop.mjs; no picker is replaced). The store is the Python-made
// fixture copied to a temporary folder. Chromium hides names holding ':'
// from a handle on disk, so the model of a registry with a port
// (manifests/localhost:5000/…) is not listed at first, and the blobs only
// it uses are not called orphaned; choosing the folder again through the
// folder input (whose listing shows every name) lists it. Also: the models
// folder itself, Verify with a byte flipped on disk, "Don't Allow", the
// folder input alone, and a reload and a browser restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sha } from './stores.mjs';
import { openDesktopApp, pickFolder, chooseFolderInput, answerPrompt, answerRestorePrompt, promptShown } from './desktop.mjs';
import { diskFolder, STORE_FIXTURE, storeExpected as expected } from './disk.mjs';

const withPort = (m) => m.manifest_path.split('/')[1].includes(':');
const names = (models) => models.map((m) => m.name).sort();
const onlyOn = (pred) => expected.models.filter(pred);

let app;
let disk;
before(async () => {
  app = await openDesktopApp();
  disk = diskFolder(path.join(STORE_FIXTURE, 'dot-ollama'));
});
after(async () => {
  await app?.close();
  disk?.remove();
});

async function listed(page) {
  await page.locator('#models tbody tr').first().waitFor({ timeout: 30_000 });
  return (await page.locator('#models tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.name))).sort();
}

/** Digests of blobs the page lists as used by no model (id of the list). */
async function unused(page, id) {
  return (await page.locator(`#${id} li`).evaluateAll((items) => items.map((i) => i.dataset.digest))).sort();
}

/** Complete blobs on disk (`sha256-<hex>` files) no model of `models` references. */
function unreferenced(models) {
  const root = path.join(STORE_FIXTURE, 'dot-ollama/models');
  const used = new Set(models.flatMap((m) => {
    const manifest = JSON.parse(readFileSync(path.join(root, m.manifest_path), 'utf8'));
    return [manifest.config, ...manifest.layers].map((l) => l.digest);
  }));
  return readdirSync(path.join(root, 'blobs'))
    .filter((n) => /^sha256-[0-9a-f]{64}$/.test(n))
    .map((n) => n.replace('-', ':'))
    .filter((d) => !used.has(d))
    .sort();
}

test('~/.ollama through the real dialog: listed but for the host:port model, whose blobs are not called orphaned; the folder chosen again in the folder input lists it', async () => {
  const { page } = app;
  await pickFolder(app, disk.root);
  assert.deepEqual(await listed(page), names(onlyOn((m) => !withPort(m))));
  assert.match(await page.locator('#notice').innerText(), /hides and refuses names with ':'.*none is called orphaned until the page has seen every manifest/s);
  assert.equal(await page.locator('#orphaned').count(), 0, 'nothing is called orphaned');
  const seen = onlyOn((m) => !withPort(m));
  assert.deepEqual(await unused(page, 'unclaimed'), unreferenced(seen), 'blobs no listed model uses, the host:port model\'s among them');
  assert.match(await page.locator('#unclaimed summary').innerText(), /that no listed model uses: a model the browser hides here \(a registry with a port\) may use them/);

  await chooseFolderInput(app, '#show-hidden', disk.root);
  await page.waitForFunction((n) => document.querySelectorAll('#models tbody tr').length === n, expected.models.length, { timeout: 30_000 });
  assert.deepEqual(await listed(page), names(expected.models));
  assert.match(await page.locator('#notice').innerText(), /^1 manifest\(s\) of a registry with a port .* were read through a second listing of this folder/);
  assert.deepEqual(await unused(page, 'orphaned'), expected.blobs.orphaned.map((o) => o.digest).sort(), 'now only true orphans');
  assert.equal(await page.locator('#show-hidden').count(), 0);
  assert.deepEqual(app.errors, []);
});

test('a folder that is not the open one, chosen in the folder input, is refused with the reason', async () => {
  const { page } = app;
  const other = diskFolder(path.join(STORE_FIXTURE, 'dot-ollama'));
  try {
    // The same store, with one manifest changed: not the open folder.
    const file = path.join(other.root, 'models', onlyOn((m) => !withPort(m))[0].manifest_path);
    writeFileSync(file, readFileSync(file).toString() + ' ');
    await page.reload();
    await pickFolder(app, disk.root, { answer: null }); // allowed in the first test
    await listed(page);
    await chooseFolderInput(app, '#show-hidden', other.root);
    await page.waitForFunction(() => /^That is not the folder that is open/.test(document.querySelector('#notice')?.innerText ?? ''), null, { timeout: 15_000 });
    assert.equal(await page.locator('#models tbody tr').count(), onlyOn((m) => !withPort(m)).length, 'nothing added');
  } finally {
    other.remove();
  }
});

test('the models folder itself; Verify reads every blob from disk and names the one with a byte flipped there', async () => {
  const { page } = app;
  const gemma = expected.models.find((m) => m.name === 'gemma2:2b');
  const weights = gemma.layers.find((l) => l.media_type.endsWith('.model')).digest;
  const blob = path.join(disk.root, 'models/blobs', weights.replace(':', '-'));
  const original = readFileSync(blob);
  const bytes = Buffer.from(original);
  bytes[bytes.length >> 1] ^= 0x40;
  writeFileSync(blob, bytes);
  try {
    await page.reload();
    await pickFolder(app, path.join(disk.root, 'models'), { answer: null }); // its parent was allowed
    assert.deepEqual(await listed(page), names(onlyOn((m) => !withPort(m))));
    assert.equal(await page.locator('#summary code.root').innerText(), 'models');
    await page.click('#verify-all');
    await page.locator('#verify-results[data-run="1"] #verify-verdict').waitFor({ timeout: 60_000 });
    const found = await page.locator('#verify-problems tbody tr').evaluateAll((rows) => Object.fromEntries(rows.map((r) => [r.dataset.digest, r.dataset.outcome])));
    assert.deepEqual(found, {
      [weights]: 'mismatch',
      ...Object.fromEntries(expected.blobs.missing.map((m) => [m.digest, 'missing'])),
      ...Object.fromEntries(expected.blobs.size_mismatch.map((m) => [m.digest, 'wrong size'])),
    });
    assert.ok((await page.locator(`#verify-problems tbody tr[data-digest="${weights}"]`).innerText()).includes(sha(bytes)));
    assert.doesNotMatch(await page.locator('#verify-results').getAttribute('data-reads'), /opfs/, 'read from disk');
  } finally {
    writeFileSync(blob, original);
  }
});

test('"Don\'t Allow" in the view prompt: the page says why nothing opened, and opens the folder when allowed', async () => {
  const { page } = app;
  await page.reload();
  // A folder it has not been allowed yet in this browser.
  const fresh = diskFolder(path.join(STORE_FIXTURE, 'dot-ollama'));
  try {
    await pickFolder(app, fresh.root, { answer: 'deny' });
    await page.locator('#picker-closed').waitFor();
    assert.match(await page.locator('#picker-closed').innerText(), /the browser was not allowed to view the folder.*answer Allow/);
    assert.equal(await page.locator('#models').count(), 0);
    await pickFolder(app, fresh.root);
    await listed(page);
    assert.equal(await page.locator('#picker-closed').count(), 0);
    // Cancel in the dialog: the same words, the open folder stays.
    await pickFolder(app, fresh.root, { cancel: true });
    await page.locator('#picker-closed').waitFor();
    assert.ok((await page.locator('#models tbody tr').count()) > 0);
  } finally {
    fresh.remove();
  }
});

test('the folder input alone (browsers without the folder picker): every model listed, read-only', async () => {
  const { page } = app;
  await page.reload();
  await chooseFolderInput(app, '#folder-input', disk.root);
  assert.deepEqual(await listed(page), names(expected.models));
  assert.match(await page.locator('#notice').innerText(), /^Opened through the file input: read-only/);
  assert.deepEqual(await unused(page, 'orphaned'), expected.blobs.orphaned.map((o) => o.digest).sort());
});

test('after a reload the page offers the folder again and opens it without a prompt; after a browser restart it asks again', async () => {
  const own = diskFolder(path.join(STORE_FIXTURE, 'dot-ollama'));
  try {
    let { page } = app;
    await page.reload();
    await pickFolder(app, own.root);
    await listed(page);
    await page.reload();
    await page.locator('#reopen-folder').waitFor();
    assert.equal(await page.locator('#reopen-folder').innerText(), 'Reopen .ollama');
    await page.click('#reopen-folder');
    assert.deepEqual(await listed(page), names(onlyOn((m) => !withPort(m))));
    assert.equal(await promptShown(app), false, 'Chromium keeps the grant across a reload');

    page = await app.restart();
    await page.locator('#reopen-folder').waitFor();
    await page.click('#reopen-folder');
    // Chromium asks again: "Allow this time" / "Allow on every visit" / "Don't allow".
    await answerRestorePrompt(app, 'deny');
    await page.locator('#error').waitFor();
    assert.match(await page.locator('#error').innerText(), /^The browser did not allow reading that folder: its prompt about "\.ollama" was answered Don't allow, or closed\. Open it again and answer Allow/);
    // Asked once more, Chromium shows its usual prompt.
    await page.click('#reopen-folder');
    await answerPrompt(app, 'allow');
    assert.deepEqual(await listed(page), names(onlyOn((m) => !withPort(m))));

    // Restarted again: "Allow this time" opens it.
    page = await app.restart();
    await page.locator('#reopen-folder').waitFor();
    await page.click('#reopen-folder');
    await answerRestorePrompt(app, 'once');
    assert.deepEqual(await listed(page), names(onlyOn((m) => !withPort(m))));
    assert.deepEqual(app.errors, []);
  } finally {
    own.remove();
  }
});
