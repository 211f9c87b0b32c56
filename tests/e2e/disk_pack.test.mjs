// Packing models of a folder on this machine's disk into a file chosen in
// the desktop's real save dialog (harness desktop.mjs), then checking that
// file from outside the browser with GNU tar, sha256sum -c and our CLI's
// verify. A blob damaged on disk stops the pack and leaves no file behind;
// Cancel in the save dialog writes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openDesktopApp, pickFolder, saveAs } from './desktop.mjs';
import { diskFolder, cli, STORE_FIXTURE, storeExpected as expected } from './disk.mjs';

let app;
let disk;
let out;
before(async () => {
  app = await openDesktopApp();
  disk = diskFolder(path.join(STORE_FIXTURE, 'dot-ollama'));
  out = diskFolder(null);
  await pickFolder(app, disk.root);
  await app.page.locator('#models tbody tr').first().waitFor();
});
after(async () => {
  await app?.close();
  disk?.remove();
  out?.remove();
});

const MODELS = ['gemma2:2b', 'llama3.2:latest'];

async function tick(names) {
  for (const n of names) await app.page.click(`#models tbody tr[data-name="${n}"] .pack-tick`);
}

async function packInto(file, run) {
  const { page } = app;
  await page.click('#pack-download');
  await saveAs(app, file);
  await page.locator(`#pack-result[data-run="${run}"]`).waitFor({ timeout: 120_000 });
  return page.locator('#pack-result').innerText();
}

test('pack into a file chosen in the save dialog: GNU tar lists it, sha256sum -c and the CLI verify it', async () => {
  await tick(MODELS);
  const file = path.join(out.dir, 'two.ollama.tar');
  assert.match(await packInto(file, 1), /^Saved two\.ollama\.tar/);
  const list = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n');
  assert.deepEqual(list.slice(0, 2), ['ollama-pack.json', 'SHA256SUMS']);
  const into = path.join(out.dir, 'x');
  mkdirSync(into);
  execFileSync('tar', ['-xf', file, '-C', into]);
  execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: into });
  for (const m of expected.models.filter((x) => MODELS.includes(x.name))) {
    assert.deepEqual(readFileSync(path.join(into, m.manifest_path)), readFileSync(path.join(disk.root, 'models', m.manifest_path)), `${m.name} manifest byte for byte`);
  }
  const check = cli('verify', file);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  // A file the save dialog made: the usual mode, not the 0600 of files
  // the page creates inside a folder.
  assert.equal((statSync(file).mode & 0o777).toString(8), '644');
  assert.deepEqual(readdirSync(out.dir).sort(), ['two.ollama.tar', 'x'], 'no swap file left');
  assert.deepEqual(app.errors, []);
});

test('a blob damaged on disk stops the pack and no file is left; Cancel in the save dialog writes nothing', async () => {
  const { page } = app;
  const gemma = expected.models.find((m) => m.name === 'gemma2:2b');
  const weights = gemma.layers.find((l) => l.media_type.endsWith('.model')).digest;
  const blob = path.join(disk.root, 'models/blobs', weights.replace(':', '-'));
  const original = readFileSync(blob);
  const bytes = Buffer.from(original);
  bytes[100] ^= 1;
  writeFileSync(blob, bytes);
  try {
    const file = path.join(out.dir, 'bad.ollama.tar');
    const said = await packInto(file, 2);
    assert.match(said, /^The pack stopped and bad\.ollama\.tar was discarded: .*sha256:/);
    assert.ok(!existsSync(file), 'the damaged pack is not left on disk');
    assert.ok(!readdirSync(out.dir).some((f) => f.startsWith('bad.')), `no swap file either: ${readdirSync(out.dir)}`);
  } finally {
    writeFileSync(blob, original);
  }
  const before = readdirSync(out.dir).sort();
  await page.click('#pack-download');
  await saveAs(app, '', { cancel: true });
  await page.locator('#pack-error').waitFor();
  assert.equal(await page.locator('#pack-error').innerText(), 'No archive was written: the save dialog was closed.');
  assert.deepEqual(readdirSync(out.dir).sort(), before);
});
