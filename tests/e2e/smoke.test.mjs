// The built app loads in Chromium: title, heading, wasm served as
// application/wasm, and no page or console errors. Also checks the harness's
// OPFS and picker helpers against the real browser APIs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  openApp,
  writeOpfsTree,
  readOpfsFile,
  opfsFileInfo,
  listOpfs,
  stubDirectoryPicker,
  stubSaveFilePicker,
  pickerCalls,
} from './harness.mjs';

let app;
before(async () => {
  app = await openApp();
});
after(async () => {
  await app?.close();
});

test('the app renders its title and heading with no errors', async () => {
  const { page } = app;
  assert.equal(await page.title(), 'ollama-pack');
  const heading = page.locator('h1').first();
  await heading.waitFor();
  assert.match(await heading.textContent(), /ollama-pack/);
  assert.equal(await page.locator('#boot').count(), 0, 'the loading message is gone');
  assert.deepEqual(app.errors, []);
});

test('the server sends the wasm as application/wasm', async () => {
  const response = await app.page.request.get(app.url + 'ollama_pack_bg.wasm');
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['content-type'], 'application/wasm');
  const body = await response.body();
  assert.deepEqual([...body.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d]);
});

test('OPFS helpers round-trip a multi-MB file and the pickers are stubbed', async () => {
  const { page } = app;
  const big = Buffer.alloc(5 * 1024 * 1024 + 123);
  for (let i = 0; i < big.length; i += 1) big[i] = (i * 31 + (i >> 13)) & 0xff;
  const written = await writeOpfsTree(
    page,
    [
      { path: 'models/manifests/registry.ollama.ai/library/m/latest', text: '{"schemaVersion":2}' },
      { path: 'models/blobs/sha256-big', bytes: big },
      { path: 'models/blobs/sha256-b64', base64: Buffer.from('hello').toString('base64') },
    ],
    'smoke',
  );
  assert.deepEqual(
    written.map((f) => [f.path, f.size]),
    [
      ['models/manifests/registry.ollama.ai/library/m/latest', 19],
      ['models/blobs/sha256-big', big.length],
      ['models/blobs/sha256-b64', 5],
    ],
  );
  assert.ok(written.every((f) => Number.isFinite(f.lastModified) && f.lastModified > 0));
  assert.deepEqual(await listOpfs(page, 'smoke'), [
    'models/blobs/sha256-b64',
    'models/blobs/sha256-big',
    'models/manifests/registry.ollama.ai/library/m/latest',
  ]);
  assert.ok((await readOpfsFile(page, 'smoke/models/blobs/sha256-big')).equals(big));
  assert.equal(await opfsFileInfo(page, 'smoke/nope'), null);

  await stubDirectoryPicker(page, 'smoke/models');
  await stubSaveFilePicker(page, 'smoke/out/archive.tar');
  const seen = await page.evaluate(async () => {
    const dir = await window.showDirectoryPicker({ mode: 'read', id: 'models' });
    const names = [];
    for await (const name of dir.keys()) names.push(name);
    const file = await window.showSaveFilePicker({ suggestedName: 'archive.tar', startIn: dir });
    const w = await file.createWritable();
    await w.write(new TextEncoder().encode('tar bytes'));
    await w.close();
    return { dir: dir.name, names: names.sort(), file: file.name };
  });
  assert.deepEqual(seen, { dir: 'models', names: ['blobs', 'manifests'], file: 'archive.tar' });
  assert.equal((await readOpfsFile(page, 'smoke/out/archive.tar')).toString(), 'tar bytes');
  assert.deepEqual(await pickerCalls(page), [
    { picker: 'showDirectoryPicker', options: { mode: 'read', id: 'models' } },
    {
      picker: 'showSaveFilePicker',
      options: { suggestedName: 'archive.tar', startIn: { handle: 'directory', name: 'models' } },
    },
  ]);

  await stubDirectoryPicker(page, null);
  const cancelled = await page.evaluate(() => window.showDirectoryPicker().then(() => 'picked', (e) => e.name));
  assert.equal(cancelled, 'AbortError');
  assert.deepEqual(app.errors, []);
});
