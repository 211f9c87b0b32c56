// Registry pull and push in the browser, as a person uses them, against a
// real docker-registry on 127.0.0.1: a model pushed by the test's own HTTP
// client is looked up, then pulled into an OPFS models folder (the table
// then shows it with its ID, the files are byte for byte what was pushed)
// and into an archive behind a stubbed save picker (checked with GNU tar and
// sha256sum); a model of an OPFS folder is pushed and read back from the
// registry; a registry that does not allow this page gets the explanation
// and the configuration that fixes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { oneModelStore, sha } from './stores.mjs';
import { openApp, writeOpfsTree, stubSaveFilePicker, readOpfsFile, listOpfs, openFolder } from './harness.mjs';
import { startRegistry, pushModel, tinyModel, registryManifest, registryBlob } from './registry.mjs';

let app;
let reg;
before(async () => {
  reg = startRegistry('*');
  app = await openApp();
});
after(async () => {
  await app?.close();
  reg?.stop();
});

const hostOf = (url) => url.replace(/^https?:\/\//, '');

/** Types the reference, clicks Look up and waits for the manifest. */
async function lookUp(ref) {
  const { page } = app;
  await page.fill('#pull-ref', ref);
  await page.click('#pull-lookup');
  await page.locator('#pull-manifest, #transfer-failed').first().waitFor({ timeout: 60_000 });
}

/** Waits for run `id` to end; returns [kind, text]. */
async function ended(id) {
  const sel = `#transfer[data-run="${id}"]`;
  const end = app.page.locator(`${sel} #transfer-result, ${sel} #transfer-failed, ${sel} #transfer-cancelled`);
  await end.first().waitFor({ timeout: 120_000 });
  return [await end.first().getAttribute('id'), await end.first().innerText()];
}

test('look up shows the manifest, then a pull into the open OPFS folder stores it as pushed', async () => {
  const { page } = app;
  const model = tinyModel(3_000_000, 1);
  const { manifest, blobs } = await pushModel(reg.url, 'team/tiny', 'v1', model.config, model.layers);
  await page.reload();
  await writeOpfsTree(page, oneModelStore(1000), 'pullstore');
  await openFolder(app.page, 'pullstore');
  await lookUp(`${reg.url}/team/tiny:v1`);
  const shown = await page.locator('#pull-manifest').innerText();
  assert.match(shown, new RegExp(sha(manifest).slice(7, 19)), 'the ID is the SHA-256 of the manifest bytes');
  assert.equal(await page.locator('#pull-manifest tbody tr').count(), 3, 'config and two layers');
  await page.click('#pull-to-folder');
  const [kind, text] = await ended(2);
  assert.equal(kind, 'transfer-result', text);
  assert.match(text, /3 blobs/);
  const name = `${hostOf(reg.url)}/team/tiny:v1`;
  const row = page.locator(`#models tbody tr[data-name="${name}"]`);
  await row.waitFor();
  assert.equal(await row.locator('td.id').innerText(), sha(manifest).slice(7, 19));
  const mpath = `pullstore/models/manifests/${hostOf(reg.url)}/team/tiny/v1`;
  assert.deepEqual(await readOpfsFile(page, mpath), manifest, 'manifest byte for byte');
  for (const [digest, bytes] of blobs) {
    assert.deepEqual(await readOpfsFile(page, `pullstore/models/blobs/${digest.replace(':', '-')}`), bytes, digest);
  }
  const left = (await listOpfs(page, 'pullstore/models/blobs')).filter((f) => /partial|tmp/.test(f));
  assert.deepEqual(left, [], 'no partial or temporary files stay');
  assert.deepEqual(app.errors, []);
});

test('a pull straight into an archive needs no folder; GNU tar and sha256sum accept it', async () => {
  const { page } = app;
  const model = tinyModel(2_000_000, 2);
  const { manifest, blobs } = await pushModel(reg.url, 'team/arch', 'latest', model.config, model.layers);
  await page.reload();
  await lookUp(`${reg.url}/team/arch`);
  await stubSaveFilePicker(page, 'out/arch.ollama.tar');
  await page.click('#pull-to-archive');
  const [kind, text] = await ended(2);
  assert.equal(kind, 'transfer-result', text);
  const dir = mkdtempSync(path.join(tmpdir(), 'pull-archive-'));
  try {
    writeFileSync(path.join(dir, 'a.tar'), await readOpfsFile(page, 'out/arch.ollama.tar'));
    const list = execFileSync('tar', ['-tf', 'a.tar'], { cwd: dir, encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(list.slice(0, 2), ['ollama-pack.json', 'SHA256SUMS']);
    execFileSync('tar', ['-xf', 'a.tar'], { cwd: dir });
    execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: dir });
    const mpath = path.join(dir, 'manifests', hostOf(reg.url), 'team/arch/latest');
    assert.deepEqual(readFileSync(mpath), manifest);
    for (const [digest, bytes] of blobs) assert.deepEqual(readFileSync(path.join(dir, 'blobs', digest.replace(':', '-'))), bytes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const staged = (await listOpfs(page, 'ollama-pack-pulls')).filter((f) => f.includes('sha256-'));
  assert.deepEqual(staged, [], 'the staged copy is removed once the archive is saved');
  assert.deepEqual(app.errors, []);
});

test('push sends a model of the open folder; the registry serves the same bytes and digest', async () => {
  const { page } = app;
  const store = oneModelStore(1_500_000, 9);
  await page.reload();
  await writeOpfsTree(page, store, 'pushstore');
  await openFolder(app.page, 'pushstore');
  await page.selectOption('#push-model', 'big:latest');
  await page.fill('#push-ref', `${reg.url}/pushed/big:v2`);
  await page.click('#push-start');
  const [kind, text] = await ended(1);
  assert.equal(kind, 'transfer-result', text);
  const local = store.find((f) => f.path.includes('/manifests/')).bytes;
  const served = await registryManifest(reg.url, 'pushed/big', 'v2');
  assert.equal(served.status, 200);
  assert.equal(served.digest, sha(local), "the registry's Docker-Content-Digest is the local manifest's SHA-256");
  assert.deepEqual(served.bytes, local);
  for (const f of store.filter((x) => x.path.includes('/blobs/'))) {
    const digest = path.basename(f.path).replace('-', ':');
    const blob = await registryBlob(reg.url, 'pushed/big', digest);
    assert.deepEqual(blob.bytes, f.bytes, digest);
  }
  // Chrome logs every 404 answer; a 404 to HEAD is how the registry says a blob is not there yet.
  assert.deepEqual(app.errors.filter((e) => !/status of 404/.test(e)), []);
});

test('a registry that does not allow this page gets a plain explanation and the fix', async () => {
  const other = startRegistry('http://somewhere-else.example');
  try {
    const { page } = app;
    await page.reload();
    await lookUp(`${other.url}/team/tiny:v1`);
    const help = page.locator('#cors-help');
    await help.waitFor();
    assert.match(await help.innerText(), /does not allow requests from this page/);
    const origin = new URL(page.url()).origin;
    assert.match(await page.locator('#cors-registry-config').innerText(), new RegExp(`Access-Control-Allow-Origin: \\["${origin}"\\]`));
    assert.match(await page.locator('#cors-caddy-config').innerText(), new RegExp(`reverse_proxy ${other.url}`));
  } finally {
    other.stop();
  }
});
