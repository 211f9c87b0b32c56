// A models folder on this machine's disk, not in OPFS: dropped on the
// folder bar as from a file manager (harness `dropFromDisk`), it is read
// through a real handle to it, as the folder picker gives one. The store is
// the Python-made fixture copied to a temporary folder, one blob corrupted
// on disk. Chromium hides names holding ':' from a handle on disk, but the
// entries of the same drop (webkitGetAsEntry) show them: so the model of a
// registry with a port (manifests/localhost:5000/…) is listed too, and the
// page says it cannot write it. Verify reads every blob from disk (through
// its File) and names exactly the corrupted, missing and wrong-size ones.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sha } from './stores.mjs';
import { dropFromDisk, openApp, ROOT } from './harness.mjs';

const FIXTURE = path.join(ROOT, 'tests/fixtures/generated/store');
const expected = JSON.parse(readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8'));
const gemma = expected.models.find((m) => m.name === 'gemma2:2b');
const corrupted = gemma.layers.find((l) => l.media_type.endsWith('.model')).digest;

let app;
let disk;
before(async () => {
  app = await openApp();
  disk = mkdtempSync(path.join(tmpdir(), 'ollama-pack-disk-'));
  cpSync(path.join(FIXTURE, 'dot-ollama'), path.join(disk, '.ollama'), { recursive: true });
});
after(async () => {
  await app?.close();
  if (disk) rmSync(disk, { recursive: true, force: true });
});

test('a folder on disk dropped on the bar is listed, the host:port model included, and verified from disk', async () => {
  const blob = path.join(disk, '.ollama/models/blobs', corrupted.replace(':', '-'));
  const bytes = readFileSync(blob);
  bytes[bytes.length >> 1] ^= 0x40;
  writeFileSync(blob, bytes);
  const { page } = app;
  await dropFromDisk(page, path.join(disk, '.ollama'), 'section.toolbar');
  await page.locator('#models tbody tr').first().waitFor({ timeout: 30_000 });

  const withPort = (m) => m.manifest_path.split('/')[1].includes(':');
  const listed = await page.locator('#models tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.name));
  assert.deepEqual(listed.sort(), expected.models.map((m) => m.name).sort());
  assert.ok(expected.models.some(withPort), 'the fixture has a model of a registry with a port');
  assert.match(await page.locator('#notice').innerText(), /^1 manifest\(s\) of a registry with a port \(manifests\/host:port\/…\) were read through a second listing of this folder.*cannot write, replace or remove them/);
  assert.deepEqual(await page.locator('#orphaned li').evaluateAll((li) => li.map((l) => l.dataset.digest)), expected.blobs.orphaned.map((o) => o.digest), 'every manifest seen: orphans are orphans');

  await page.click('#verify-all');
  await page.locator('#verify-results[data-run="1"] #verify-verdict').waitFor({ timeout: 60_000 });
  const found = await page.locator('#verify-problems tbody tr').evaluateAll((rows) => Object.fromEntries(rows.map((r) => [r.dataset.digest, r.dataset.outcome])));
  assert.deepEqual(found, {
    [corrupted]: 'mismatch',
    ...Object.fromEntries(expected.blobs.missing.map((m) => [m.digest, 'missing'])),
    ...Object.fromEntries(expected.blobs.size_mismatch.map((m) => [m.digest, 'wrong size'])),
  });
  const text = await page.locator(`#verify-problems tbody tr[data-digest="${corrupted}"]`).innerText();
  assert.ok(text.includes(sha(bytes)), `${text} names the digest of the bytes on disk`);
  const reads = await page.locator('#verify-results').getAttribute('data-reads');
  // Small blobs: read whole from their Files and hashed by WebCrypto; no
  // OPFS access handle (the folder is not in OPFS).
  assert.doesNotMatch(reads, /opfs/, `read from disk through Files: ${reads}`);
  assert.deepEqual(app.errors, []);
});
