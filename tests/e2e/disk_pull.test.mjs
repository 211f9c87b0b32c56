// Pulling from a real docker-registry into a models folder on this
// machine's disk, in a real Chromium window (harness desktop.mjs): the
// folder from the desktop's folder dialog, Chromium's "Save changes to
// …?" answered as a person does. The registry sits behind the suite's
// fault proxy on port 80 of 127.0.0.2, as a registry behind a web server:
// its name has no port, so Ollama's folder for it (manifests/127.0.0.2/…)
// is one Chromium allows on disk (a name with ':' it refuses; the page then
// says so before downloading, tests/e2e/registry.test.mjs). Checked from
// outside: the manifest's bytes, each blob's SHA-256, no partial file left,
// the CLI's verify. Then a tab closed mid-pull: the browser commits a file
// on disk only when the page closes it, so the page commits at checkpoints;
// what they saved stays on disk (seen from outside) and the next page
// continues from it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sha } from './stores.mjs';
import { openDesktopApp, pickFolder, answerPrompt } from './desktop.mjs';
import { diskFolder, cli, sha256File } from './disk.mjs';
import { startRegistry, pushModel, tinyModel } from './registry.mjs';
import { startFaultProxy } from '../registry/fault_proxy.mjs';

const BIG = 320_000_000;
let app;
let reg;
let proxy;
let model;
before(async () => {
  reg = startRegistry('*');
  try {
    proxy = await startFaultProxy(reg.url, { host: '127.0.0.2', port: 80 });
  } catch (err) {
    throw new Error(`the disk pull tests serve the registry on 127.0.0.2:80, which needs root (or a free port 80): ${err.message}`);
  }
  const m = tinyModel(BIG, 9);
  model = { ...(await pushModel(reg.url, 'team/big', 'v1', m.config, m.layers)), layers: [m.config, ...m.layers.map((l) => l.bytes)] };
  app = await openDesktopApp();
});
after(async () => {
  await app?.close();
  await proxy?.close();
  reg?.stop();
});

const control = (method, what, body) =>
  fetch(`${proxy.url}/${what}`, { method, body: body && JSON.stringify(body), headers: body ? { 'Content-Type': 'application/json' } : {} });
const blobBytesSent = async () => {
  const stats = await (await control('GET', '__stats__')).json();
  return Object.entries(stats.paths).filter(([p]) => p.includes('/blobs/')).reduce((n, [, v]) => n + v.body_bytes, 0);
};
async function resetProxy(fault) {
  await control('DELETE', '__fault__');
  await control('DELETE', '__stats__');
  if (fault) await control('POST', '__fault__', { path: `/blobs/${sha(model.layers[1])}`, method: 'GET', times: 1, ...fault });
}

/** A network slower than the disk, as a user's is (see registry_faults.test.mjs). */
async function realisticNetwork(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 80e6, uploadThroughput: -1 });
}

/** A models folder on disk holding one small model. */
function seedFolder() {
  const folder = diskFolder(null);
  const root = path.join(folder.dir, 'models');
  const weights = Buffer.from('GGUF');
  mkdirSync(path.join(root, 'manifests/registry.ollama.ai/library/seed'), { recursive: true });
  mkdirSync(path.join(root, 'blobs'));
  writeFileSync(path.join(root, 'manifests/registry.ollama.ai/library/seed/latest'), JSON.stringify({ schemaVersion: 2, config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha(weights), size: 4 }, layers: [] }));
  writeFileSync(path.join(root, 'blobs', sha(weights).replace(':', '-')), weights);
  return { ...folder, root };
}

async function startPull(page) {
  if (!(await page.locator('#pull-part-mb').isVisible())) await page.click('#transfer-settings summary');
  await page.fill('#pull-part-mb', '1000');
  await page.fill('#pull-ref', `${proxy.url}/team/big:v1`);
  await page.click('#pull-lookup');
  await page.locator('#pull-manifest').waitFor({ timeout: 60_000 });
  await page.click('#pull-to-folder');
}

async function ended(page, id, timeout = 180_000) {
  const sel = `#transfer[data-run="${id}"]`;
  const end = page.locator(`${sel} #transfer-result, ${sel} #transfer-failed, ${sel} #transfer-cancelled`);
  await end.first().waitFor({ timeout });
  return [await end.first().getAttribute('id'), await end.first().innerText()];
}

const MANIFEST = 'manifests/127.0.0.2/team/big/v1';

function assertPulled(root) {
  assert.deepEqual(readFileSync(path.join(root, MANIFEST)), model.manifest, 'the manifest as served');
  for (const bytes of model.layers) assert.equal(sha256File(path.join(root, 'blobs', sha(bytes).replace(':', '-'))), sha(bytes));
  assert.deepEqual(readdirSync(path.join(root, 'blobs')).filter((f) => /partial|tmp|crswap/.test(f)), [], 'no partial file stays');
  const check = cli('verify', root);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /127\.0\.0\.2\/team\/big:v1/);
}

test('a pull into a folder on disk: every blob checked, the manifest last, as Ollama stores it', async () => {
  const folder = seedFolder();
  try {
    const { page } = app;
    await pickFolder(app, folder.root);
    await page.locator('#summary').waitFor();
    await realisticNetwork(page);
    await resetProxy();
    await startPull(page);
    await answerPrompt(app, 'allow'); // "Save changes to models?"
    const [kind, text] = await ended(page, 2);
    assert.equal(kind, 'transfer-result', text);
    assert.match(text, /^Pulled 127\.0\.0\.2\/team\/big:v1 into the open folder: 3 blobs/);
    assert.match(text, /readable by you only \(mode 0600\)/);
    assertPulled(folder.root);
    assert.deepEqual(app.errors, []);
  } finally {
    folder.remove();
  }
});

test('a tab closed mid-pull in a folder on disk: what the checkpoints saved stays on disk, and the next page continues from it', async (t) => {
  const folder = seedFolder();
  try {
    let { page } = app;
    await page.reload();
    await pickFolder(app, folder.root);
    await page.locator('#summary').waitFor();
    await realisticNetwork(page);
    await resetProxy({ kind: 'stall', after_bytes: 200_000_000 });
    await startPull(page);
    await answerPrompt(app, 'allow');
    const deadline = Date.now() + 90_000;
    while ((await blobBytesSent()) < 200_000_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 2000));
    // Close the tab: a reload ends the page and its workers without a word.
    await page.reload();
    const left = readdirSync(path.join(folder.root, 'blobs'));
    const weights = sha(model.layers[1]).replace(':', '-');
    assert.ok(left.includes(`${weights}-partial`), `the partial download stays on disk: ${left}`);
    assert.ok(left.some((f) => f.startsWith(`${weights}-partial-`)), `with its part records: ${left}`);

    await resetProxy();
    await realisticNetwork(page);
    // Allowed in this browser session: Chromium asks neither to view nor to edit again.
    await pickFolder(app, folder.root, { answer: null });
    await page.locator('#summary').waitFor();
    await startPull(page);
    const [kind, text] = await ended(page, 2);
    assert.equal(kind, 'transfer-result', text);
    assertPulled(folder.root);
    const second = await blobBytesSent();
    t.diagnostic(`the second page fetched ${second} bytes`);
    assert.ok(second <= BIG - 40_000_000, `the second page fetched ${second} bytes of a ${BIG}-byte model: it did not continue`);
  } finally {
    folder.remove();
  }
});
