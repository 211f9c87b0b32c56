// Pack in the browser, as a person uses it: models ticked in the table are
// streamed into the file behind a (stubbed) showSaveFilePicker in OPFS; the
// test reads that file back and checks it with its own tools only — GNU
// tar, sha256sum -c and Python's tarfile — never with our reader. Also: a
// corrupted blob stops the pack and leaves no file; Cancel leaves no file;
// a full disk (the page's storage quota set short of the archive) says so
// and leaves no file; gzip; a model with a missing blob cannot be packed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { filesUnder, oneModelStore } from './stores.mjs';
import { openApp, writeOpfsTree, stubSaveFilePicker, pickerCalls, readOpfsFile, listOpfs, limitStorage, ROOT, openFolder } from './harness.mjs';

const FIXTURE = path.join(ROOT, 'tests/fixtures/generated/store');
const SOURCE = path.join(FIXTURE, 'dot-ollama/models');
const expected = JSON.parse(readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8'));

let app;
before(async () => {
  app = await openApp();
  await writeOpfsTree(app.page, filesUnder(path.join(FIXTURE, 'dot-ollama')), 'pstore');
});
after(async () => {
  await app?.close();
});

async function open(target) {
  const { page } = app;
  await page.reload();
  await openFolder(page, target);
}

async function tick(...names) {
  for (const n of names) await app.page.click(`#models tbody tr[data-name="${n}"] .pack-tick`);
}

async function packTo(file, run = 1) {
  const { page } = app;
  await stubSaveFilePicker(page, file);
  await page.click('#pack-download');
  await page.locator(`#pack-result[data-run="${run}"]`).waitFor({ timeout: 120_000 });
  return page.locator('#pack-result').innerText();
}

function extract(bytes, flags = '-xf') {
  const dir = mkdtempSync(path.join(tmpdir(), 'pack-e2e-'));
  writeFileSync(path.join(dir, 'archive'), bytes);
  const list = execFileSync('tar', ['-tf', 'archive'], { cwd: dir, encoding: 'utf8' }).trim().split('\n');
  execFileSync('mkdir', ['out'], { cwd: dir });
  execFileSync('tar', [flags, '../archive'], { cwd: path.join(dir, 'out') });
  return { dir, out: path.join(dir, 'out'), list };
}

test('a packed archive is a plain tar that GNU tar, sha256sum and Python accept, byte for byte', async () => {
  await open('pstore');
  const models = ['gemma2:2b', 'llama3.2:latest'];
  await tick(...models);
  const summary = await app.page.locator('#pack-summary').innerText();
  assert.match(summary, /2 model\(s\)/);
  const result = await packTo('out/pack.tar');
  assert.match(result, /^Saved pack\.tar/);
  const calls = await pickerCalls(app.page);
  assert.match(calls.at(-1).options.suggestedName, /\.ollama\.tar$/);
  const bytes = await readOpfsFile(app.page, 'out/pack.tar');
  const { dir, out, list } = extract(bytes);
  try {
    assert.deepEqual(list.slice(0, 2), ['ollama-pack.json', 'SHA256SUMS']);
    const wantBlobs = new Set();
    for (const m of expected.models.filter((x) => models.includes(x.name))) {
      const manifest = readFileSync(path.join(SOURCE, m.manifest_path));
      assert.deepEqual(readFileSync(path.join(out, m.manifest_path)), manifest, `${m.name} manifest byte for byte`);
      const parsed = JSON.parse(manifest);
      for (const l of [parsed.config, ...parsed.layers]) wantBlobs.add(l.digest.replace(':', '-'));
    }
    for (const b of wantBlobs) assert.deepEqual(readFileSync(path.join(out, 'blobs', b)), readFileSync(path.join(SOURCE, 'blobs', b)), b);
    const blobEntries = list.filter((e) => e.startsWith('blobs/'));
    assert.equal(blobEntries.length, wantBlobs.size, 'each blob once (the shared license too)');
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: out });
    const py = execFileSync('python3', ['-c', 'import tarfile,sys; print(len(tarfile.open(sys.argv[1]).getnames()))', path.join(dir, 'archive')], { encoding: 'utf8' });
    assert.equal(Number(py.trim()), list.length);
    const index = JSON.parse(readFileSync(path.join(out, 'ollama-pack.json'), 'utf8'));
    assert.deepEqual(index.models.map((m) => m.name).sort(), [...models].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(app.errors, []);
});

test('gzip output is read by tar -xz and verifies', async () => {
  await open('pstore');
  await tick('localhost:5000/team/tiny:v1');
  await app.page.selectOption('#pack-gzip', '6');
  const result = await packTo('out/tiny.tar.gz');
  assert.match(result, /^Saved/);
  const bytes = await readOpfsFile(app.page, 'out/tiny.tar.gz');
  assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b]);
  const { dir, out } = extract(bytes, '-xzf');
  try {
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: out });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a model with a missing blob cannot be packed, and says why', async () => {
  await open('pstore');
  const broken = expected.blobs.missing[0];
  await tick(broken.model);
  assert.match(await app.page.locator('#pack-problems').innerText(), new RegExp(broken.digest));
  assert.equal(await app.page.locator('#pack-download').isDisabled(), true);
});

test('a corrupted blob stops the pack, names the model and blob, and leaves no file', async () => {
  const { page } = app;
  const gemma = expected.models.find((m) => m.name === 'gemma2:2b');
  const weights = gemma.layers.find((l) => l.media_type.endsWith('.model')).digest;
  const files = filesUnder(path.join(FIXTURE, 'dot-ollama')).map((f) => {
    if (!f.path.endsWith(weights.replace(':', '-'))) return f;
    const bytes = Buffer.from(f.bytes);
    bytes[100] ^= 1;
    return { path: f.path, bytes };
  });
  await writeOpfsTree(page, files, 'badstore');
  await open('badstore');
  await tick('gemma2:2b');
  const result = await packTo('out/bad.tar');
  assert.match(result, /stopped/);
  assert.ok(result.includes(weights), result);
  assert.ok(result.includes('gemma2:2b'), result);
  assert.ok(!(await listOpfs(page, 'out')).includes('bad.tar'), 'the half-written archive is gone');
});

test('cancel discards the partial archive and leaves the page usable', async () => {
  const { page } = app;
  await writeOpfsTree(page, oneModelStore(512 << 20, 3), 'pbig');
  await open('pbig');
  await tick('big:latest');
  await stubSaveFilePicker(page, 'out/big.tar');
  await page.click('#pack-download');
  await page.waitForFunction(() => Number(document.querySelector('#pack-progress')?.value) > 0, null, { timeout: 60_000 });
  await page.click('#pack-cancel');
  await page.locator('#pack-result[data-run="1"]').waitFor({ timeout: 10_000 });
  assert.match(await page.locator('#pack-result').innerText(), /Cancelled/);
  assert.ok(!(await listOpfs(page, 'out')).includes('big.tar'), 'no partial archive left');
  await page.fill('#filter', 'big');
  assert.equal(await page.locator('#models tbody tr').count(), 1);
  assert.deepEqual(app.errors, []);
});

test('a full disk stops the pack with a message that says so and leaves no file', async () => {
  const { page } = app;
  await writeOpfsTree(page, oneModelStore(64 << 20, 4), 'pfull');
  await open('pfull');
  await tick('big:latest');
  const lift = await limitStorage(app, 16 << 20);
  let result;
  try {
    result = await packTo('out/full.tar');
  } finally {
    await lift();
  }
  assert.match(result, /the disk is full, or the browser's storage for this page is used up: free some space and try again/);
  assert.ok(!(await listOpfs(page, 'out')).includes('full.tar'), 'no partial archive left');
  assert.equal(await packTo('out/full.tar', 2).then((t) => /^Saved/.test(t)), true, 'packs once there is room');
  assert.deepEqual(app.errors, []);
});

async function downloadWithoutPicker({ serviceWorker }) {
  const { page } = app;
  await open('pstore');
  await page.evaluate((sw) => {
    window.showSaveFilePicker = undefined;
    if (!sw) Object.defineProperty(navigator, 'serviceWorker', { value: undefined });
  }, serviceWorker);
  await tick('gemma2:2b');
  const download = page.waitForEvent('download');
  await page.click('#pack-download');
  const file = await download;
  assert.equal(file.suggestedFilename(), 'gemma2_2b.ollama.tar');
  await page.locator('#pack-result[data-run="1"]').waitFor();
  assert.match(await page.locator('#pack-result').innerText(), /^Saved/);
  const bytes = readFileSync(await file.path());
  const { dir, out, list } = extract(bytes);
  try {
    assert.deepEqual(list.slice(0, 2), ['ollama-pack.json', 'SHA256SUMS']);
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: out });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(app.errors, []);
  return page;
}

test('without showSaveFilePicker the archive streams through a service worker as a download', async () => {
  const page = await downloadWithoutPicker({ serviceWorker: true });
  const scripts = await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).map((r) => r.active?.scriptURL));
  assert.ok(scripts.some((s) => s?.endsWith('/download-sw.js')), `download worker registered: ${scripts}`);
});

test('without a save picker or service workers the archive is built in memory and downloaded', async () => {
  await downloadWithoutPicker({ serviceWorker: false });
});
