// Importing an archive into a models folder on this machine's disk, in a
// real Chromium window: the archive chosen in the desktop's file dialog,
// the folder in its folder dialog, and Chromium's "Allow this site to edit
// files?" answered as a person does (harness desktop.mjs). Checked from
// outside the browser: inotify's record of the writes (each blob under a
// temporary name until it is verified, manifests last), the CLI's verify,
// Node's own SHA-256 of every file, file modes. Cancel, an archive changed
// on disk after its check, a full disk (a small tmpfs) and "Don't Allow"
// leave the folder exactly as it was (same files, same bytes, same modes).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { openDesktopApp, pickFolder, chooseFile, answerPrompt } from './desktop.mjs';
import { diskFolder, tree, cli, watch } from './disk.mjs';
import { DIR, SOURCE, manifestPath } from './archives.mjs';
import { oneModelStore } from './stores.mjs';

const GEMMA = 'gemma2:2b';
const EXPORT = path.join(DIR, 'peer/gemma2_2b_model.tar.gz');

let app;
before(async () => {
  app = await openDesktopApp();
});
after(async () => {
  await app?.close();
});

/** A models folder on disk as Ollama leaves it with no model yet. */
function emptyModels() {
  const folder = diskFolder(null);
  mkdirSync(path.join(folder.dir, 'models/manifests'), { recursive: true });
  mkdirSync(path.join(folder.dir, 'models/blobs'), { recursive: true });
  return { ...folder, root: path.join(folder.dir, 'models') };
}

/** Opens `root` (allowing it) and the archive `file` through their dialogs. */
async function openBoth(root, file) {
  const { page } = app;
  await page.reload();
  await pickFolder(app, root);
  await page.locator('#summary').waitFor();
  const run = await page.evaluate(() => Number(document.querySelector('#archive-result')?.dataset.run ?? 0));
  await chooseFile(app, '#archive-input', file);
  await page.locator(`#archive-result[data-run="${run + 1}"][data-done="true"]`).waitFor({ timeout: 120_000 });
  assert.match(await page.locator('#archive-verdict').innerText(), /^Intact/);
}

async function result(page) {
  await page.locator('#import-result').waitFor({ timeout: 120_000 });
  return page.locator('#import-result').innerText();
}

test('an archive imported into a folder on disk: blobs under temporary names until verified, the manifest last, byte for byte; verify agrees from outside', async () => {
  const folder = emptyModels();
  try {
    const { page } = app;
    await openBoth(folder.root, EXPORT);
    const watcher = await watch(folder.root);
    await page.click('#archive-import');
    await answerPrompt(app, 'allow'); // "Allow this site to edit files?"
    const said = await result(page);
    const events = await watcher.stop();
    assert.match(said, /^Imported 1 model\(s\): gemma2:2b; \d+ blob\(s\) written/);

    const rel = manifestPath(GEMMA);
    const manifest = readFileSync(path.join(SOURCE, rel));
    assert.deepEqual(readFileSync(path.join(folder.root, rel)), manifest, 'the manifest byte for byte');
    const blobs = [JSON.parse(manifest).config, ...JSON.parse(manifest).layers].map((l) => `blobs/${l.digest.replace(':', '-')}`);
    const files = tree(folder.root);
    const filesOnly = Object.keys(files).filter((p) => !p.endsWith('/'));
    assert.deepEqual(filesOnly.sort(), [rel, ...new Set(blobs)].sort(), 'nothing else: no temporary file left');
    for (const b of blobs) assert.equal(files[b].sha, b.slice('blobs/'.length).replace('-', ':'), `${b} holds its digest's bytes`);

    // What happened on disk, in order (inotify).
    const last = (p) => events.findLastIndex((e) => e.path === p);
    for (const b of new Set(blobs)) {
      const mine = events.filter((e) => e.path === b);
      assert.ok(mine.length > 0 && mine.every((e) => e.event.startsWith('MOVED_TO')), `${b} only ever appeared by a rename: ${JSON.stringify(mine)}`);
      assert.ok(events.some((e) => e.path === `${b}.ollama-pack.tmp` && e.event.startsWith('CREATE')), `${b} was written as ${b}.ollama-pack.tmp`);
      assert.ok(last(b) < events.findIndex((e) => e.path === rel), `${b} was final before the manifest was written`);
    }

    const check = cli('verify', folder.root);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /gemma2:2b/);
    // The browser makes its files readable by their owner only, and says
    // what a service install needs.
    assert.equal(files[rel].mode, '600');
    assert.match(said, /readable by you only \(mode 0600\).*sudo chown -R ollama:ollama/);
    await page.waitForFunction(() => document.querySelectorAll('#models tbody tr').length === 1);
    assert.deepEqual(app.errors, []);
  } finally {
    folder.remove();
  }
});

/** A plain tar of a one-model store with `size` bytes of weights. */
function bigArchive(into, size) {
  const files = oneModelStore(size, 5);
  for (const f of files) {
    mkdirSync(path.dirname(path.join(into, f.path)), { recursive: true });
    writeFileSync(path.join(into, f.path), f.bytes);
  }
  const tar = path.join(into, 'big.tar');
  const [manifest, config, big] = files.map((f) => f.path);
  execFileSync('tar', ['-cf', tar, '-C', into, config, big, manifest]);
  return { tar, weights: path.basename(big) };
}

test('Cancel in the middle of an import into a folder on disk leaves it exactly as it was', async () => {
  const folder = diskFolder(path.join(DIR, 'source/.ollama'));
  const scratch = diskFolder(null);
  try {
    const { page } = app;
    const { tar, weights } = bigArchive(scratch.dir, 384 << 20);
    const before = tree(folder.root);
    await openBoth(folder.root, tar);
    await page.click('#archive-import');
    await answerPrompt(app, 'allow');
    // The weights are being written (the browser's swap file of their
    // temporary name grows): cancel now.
    const swap = path.join(folder.root, 'models/blobs', `${weights}.ollama-pack.tmp.crswap`);
    const end = Date.now() + 60_000;
    while (!(statSync(swap, { throwIfNoEntry: false })?.size > 0)) {
      if (Date.now() > end) throw new Error('the weights were never written');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await page.click('#import-cancel');
    assert.match(await result(page), /^Import cancelled: nothing was imported\. The folder is as it was: what this import had written was removed\.$/);
    assert.deepEqual(tree(folder.root), before, 'same files, bytes and modes');
  } finally {
    folder.remove();
    scratch.remove();
  }
});

test('an archive that changed on disk after its check: the import fails, says so, and leaves the folder as it was', async () => {
  const folder = diskFolder(path.join(DIR, 'source/.ollama'));
  const scratch = diskFolder(null);
  try {
    const { page } = app;
    const { tar } = bigArchive(scratch.dir, 8 << 20);
    const before = tree(folder.root);
    await openBoth(folder.root, tar);
    // Another program rewrites one byte of the weights in the archive.
    const fd = openSync(tar, 'r+');
    writeSync(fd, Buffer.from([0x42]), 0, 1, 4 << 20);
    closeSync(fd);
    await page.click('#archive-import');
    await answerPrompt(app, 'allow');
    const said = await result(page);
    assert.match(said, /^Import failed: .*\. (Nothing was written to the folder\.|The folder is as it was: what this import had written was removed\.)$/);
    assert.deepEqual(tree(folder.root), before, 'same files, bytes and modes');
  } finally {
    folder.remove();
    scratch.remove();
  }
});

/** A folder on a 24 MiB tmpfs (a nearly full disk), holding a copy of `from`. */
function smallDisk(from) {
  const folder = diskFolder(null);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', folder.dir]);
  } catch (err) {
    folder.remove();
    throw new Error(`the full-disk test mounts a tmpfs, which needs root: ${err.message}`);
  }
  execFileSync('cp', ['-a', from, path.join(folder.dir, '.ollama')]);
  return {
    ...folder,
    root: path.join(folder.dir, '.ollama'),
    remove: () => {
      execFileSync('umount', [folder.dir]);
      folder.remove();
    },
  };
}

test('a full disk: the import stops with a message that says so and leaves the folder as it was', async () => {
  const folder = smallDisk(path.join(DIR, 'source/.ollama'));
  const scratch = diskFolder(null);
  try {
    const { page } = app;
    const { tar } = bigArchive(scratch.dir, 64 << 20);
    const before = tree(folder.root);
    await openBoth(folder.root, tar);
    await page.click('#archive-import');
    await answerPrompt(app, 'allow');
    assert.match(await result(page), /^Import failed: the disk is full, or the browser's storage for this page is used up: free some space and try again\b.*\. The folder is as it was: what this import had written was removed\.$/);
    assert.deepEqual(tree(folder.root), before, 'same files, bytes and modes');
  } finally {
    folder.remove();
    scratch.remove();
  }
});

test('"Don\'t Allow" in the edit prompt: nothing is written, and the page says how to go on', async () => {
  const folder = emptyModels();
  try {
    const { page } = app;
    const before = tree(folder.root);
    await openBoth(folder.root, EXPORT);
    await page.click('#archive-import');
    await answerPrompt(app, 'deny');
    assert.match(await result(page), /^Import failed: permission denied: the browser may not edit files in "models" \(its prompt was answered Don't Allow, or closed\)\. To import, start it again and answer Allow when the browser asks to edit files\. Nothing was written to the folder\.$/);
    assert.deepEqual(tree(folder.root), before);
    // Asked again on the next import; allowed, it imports.
    await page.click('#archive-import');
    await answerPrompt(app, 'allow');
    assert.match(await result(page), /^Imported 1 model\(s\): gemma2:2b/);
  } finally {
    folder.remove();
  }
});
