// Registry transfers in the browser when things go wrong, against real
// components: the suite's fault-injecting proxy in front of a real
// docker-registry (a connection dropped mid-blob, a stalled one, a flipped
// byte), and a registry that asks for a login behind Caddy. A dropped
// connection is resumed from what was written; a flipped byte is caught and
// the blob fetched again; a tab closed mid-pull leaves what the next page
// continues from; a Cancel keeps the download and the next
// pull continues it (bytes counted by the proxy, ≤ 1.1× the blob); a full
// disk (the page's storage quota set just short of the model) stops the
// pull with a message before anything is lost or named; a login
// registry refuses an anonymous look-up with a message and works once
// signed in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sha } from './stores.mjs';
import { openApp, writeOpfsTree, readOpfsFile, listOpfs, limitStorage, openFolder } from './harness.mjs';
import { startRegistry, startAuthRegistry, basic, pushModel, tinyModel, registryManifest } from './registry.mjs';
import { startFaultProxy } from '../registry/fault_proxy.mjs';

// Big enough that what a dropped connection had in flight (TCP buffers on
// loopback grow to tcp_rmem's maximum, 32 MiB here) stays a small share.
const BIG = 320_000_000;
let app;
let reg;
let proxy;
let model;
before(async () => {
  reg = startRegistry('*');
  proxy = await startFaultProxy(reg.url);
  const m = tinyModel(BIG, 5);
  model = { ...(await pushModel(reg.url, 'team/big', 'v1', m.config, m.layers)), weights: m.layers[0].bytes };
  app = await openApp();
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

/**
 * A network slower than the disk, as a user's is: on loopback the browser
 * buffers tens of MB the page has not read yet, and a dropped connection
 * loses them (DevTools throttling keeps the socket read at 80 MB/s).
 */
async function realisticNetwork(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 80e6, uploadThroughput: -1 });
}

async function freshFolder(name) {
  const { page } = app;
  await page.reload();
  await realisticNetwork(page);
  const weights = Buffer.from('GGUF');
  await writeOpfsTree(page, [
    { path: 'models/manifests/registry.ollama.ai/library/seed/latest', bytes: Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha(weights), size: 4 }, layers: [] })) },
    { path: `models/blobs/${sha(weights).replace(':', '-')}`, bytes: weights },
  ], name);
  await openFolder(page, name);
}

/** One ranged part per blob, so a fault on the weights' one GET hits mid-blob. */
async function onePartPerBlob() {
  const { page } = app;
  if (!(await page.locator('#pull-part-mb').isVisible())) await page.click('#transfer-settings summary');
  await page.fill('#pull-part-mb', '1000');
}

async function pull(ref, run) {
  const { page } = app;
  await onePartPerBlob();
  await page.fill('#pull-ref', ref);
  await page.click('#pull-lookup');
  await page.locator('#pull-manifest').waitFor({ timeout: 60_000 });
  await page.click('#pull-to-folder');
  return ended(run);
}

async function ended(id, timeout = 120_000) {
  const sel = `#transfer[data-run="${id}"]`;
  const end = app.page.locator(`${sel} #transfer-result, ${sel} #transfer-failed, ${sel} #transfer-cancelled`);
  await end.first().waitFor({ timeout });
  return [await end.first().getAttribute('id'), await end.first().innerText()];
}

async function assertPulled(dir) {
  const { page } = app;
  const host = proxy.url.replace('http://', '');
  assert.deepEqual(await readOpfsFile(page, `${dir}/models/manifests/${host}/team/big/v1`), model.manifest);
  const blob = `${dir}/models/blobs/${sha(model.weights).replace(':', '-')}`;
  assert.deepEqual(await readOpfsFile(page, blob), model.weights, 'the weights, byte for byte');
  const left = (await listOpfs(page, `${dir}/models/blobs`)).filter((f) => /partial|tmp/.test(f));
  assert.deepEqual(left, [], 'no partial files stay');
}

/** Clears the proxy's faults and byte counts, then sets `fault` (if any) on the weights' GETs. */
async function resetProxy(fault) {
  await control('DELETE', '__fault__');
  await control('DELETE', '__stats__');
  if (fault) await control('POST', '__fault__', { path: `/blobs/${sha(model.weights)}`, method: 'GET', times: 1, ...fault });
}

/** The weights' GETs the proxy answered. */
async function weightRequests() {
  const stats = await (await control('GET', '__stats__')).json();
  return Object.entries(stats.paths).find(([p]) => p.endsWith(sha(model.weights)))[1].requests;
}

/** A byte of the weights flipped after `after` bytes: the pull into `dir` succeeds with the blob fetched once more. */
async function flippedPull(dir, after) {
  await freshFolder(dir);
  await resetProxy({ kind: 'flip', after_bytes: after });
  const [kind, text] = await pull(`${proxy.url}/team/big:v1`, 2);
  assert.equal(kind, 'transfer-result', text);
  assert.deepEqual((await (await control('GET', '__fault__')).json()).faults, [], 'the byte was flipped');
  assert.equal(await weightRequests(), 2, 'the corrupt download was thrown away and the blob fetched once more');
  await assertPulled(dir);
}

/**
 * Starts a pull of the big model whose weights stall after 200 MB and
 * returns, as a person would wait, once the page's progress stops moving
 * (it has written what had arrived).
 */
async function pullUntilStalled() {
  const { page } = app;
  await resetProxy({ kind: 'stall', after_bytes: 200_000_000 });
  await onePartPerBlob();
  await page.fill('#pull-ref', `${proxy.url}/team/big:v1`);
  await page.click('#pull-lookup');
  await page.locator('#pull-manifest').waitFor({ timeout: 60_000 });
  await page.click('#pull-to-folder');
  const deadline = Date.now() + 60_000;
  while ((await blobBytesSent()) < 200_000_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  let shown = '';
  for (let same = 0; same < 8 && Date.now() < deadline + 60_000; ) {
    await new Promise((r) => setTimeout(r, 250));
    const now = (await page.locator('#transfer-rate').innerText()).split('·')[0];
    same = now === shown ? same + 1 : 0;
    shown = now;
  }
}

test('a connection dropped mid-blob is resumed from what was written, not started over', async () => {
  await freshFolder('drop');
  await resetProxy({ kind: 'drop', after_bytes: 150_000_000 });
  const [kind, text] = await pull(`${proxy.url}/team/big:v1`, 2);
  assert.equal(kind, 'transfer-result', text);
  const pending = await (await control('GET', '__fault__')).json();
  assert.deepEqual(pending.faults, [], 'the connection was dropped');
  assert.equal(await weightRequests(), 2, 'the weights came in one GET, dropped mid-way, and one that resumed');
  await assertPulled('drop');
  const sent = await blobBytesSent();
  assert.ok(sent <= 1.1 * BIG, `${sent} bytes of blobs sent for a ${BIG}-byte model; the page says: ${text}; stats: ${JSON.stringify(await (await control("GET", "__stats__")).json())}`);
  assert.ok(sent >= BIG, 'everything was downloaded');
});

test('a byte flipped on the way is caught by the hash taken while downloading; the blob is fetched again', async () => {
  await flippedPull('flip', 200_000_000);
});

test('where the page writes (a folder on disk; here OPFS with ?writes=page) the blob is hashed as it downloads too, and a flipped byte is caught', async () => {
  const { page } = app;
  await page.goto(`${app.url}?writes=page`);
  try {
    await flippedPull('pagewrites', 100_000_000);
  } finally {
    await page.goto(app.url);
  }
});

test('Cancel keeps the download; pulling again continues it; a stalled transfer is cancellable', async () => {
  const { page } = app;
  await freshFolder('cancel');
  await pullUntilStalled();
  await page.click('#transfer-cancel');
  const [kind, text] = await ended(2);
  assert.equal(kind, 'transfer-cancelled', text);
  const blobs = await listOpfs(page, 'cancel/models/blobs');
  assert.ok(blobs.some((f) => f.endsWith('-partial')), `the partial download is kept: ${blobs}`);
  assert.ok(!blobs.some((f) => f === sha(model.weights).replace(':', '-')), 'no unverified blob under its final name');
  assert.equal(await page.locator('#models tbody tr').count(), 1, 'no manifest was written');
  await control('DELETE', '__fault__');
  await page.click('#pull-to-folder');
  const [kind2, text2] = await ended(3);
  assert.equal(kind2, 'transfer-result', text2);
  await assertPulled('cancel');
  const sent = await blobBytesSent();
  assert.ok(sent <= 1.1 * BIG, `${sent} bytes of blobs sent over both pulls for a ${BIG}-byte model`);
});

/** Pulls until stalled at 200 MB, closes the tab, pulls again: returns the blob bytes the second page fetched. */
async function closedTabPull(dir) {
  const { page } = app;
  await freshFolder(dir);
  await pullUntilStalled();
  // Close the tab: a reload ends the page and its workers without a word.
  await page.reload();
  const blobs = await listOpfs(page, `${dir}/models/blobs`);
  assert.ok(blobs.some((f) => f.endsWith('-partial')), `the partial download stays: ${blobs}`);
  assert.ok(blobs.some((f) => /-partial-\d+$/.test(f)), `with its part records: ${blobs}`);
  await resetProxy();

  await realisticNetwork(page);
  await openFolder(page, dir);
  const [kind, text] = await pull(`${proxy.url}/team/big:v1`, 2);
  assert.equal(kind, 'transfer-result', text);
  await assertPulled(dir);
  return blobBytesSent();
}

test('a tab closed mid-pull: the next page continues from what was written (OPFS)', async (t) => {
  // 200 MB had arrived; part records are saved every 16 MiB as a body is
  // written, so at most that much (and what was in flight) comes again.
  const second = await closedTabPull('closed');
  t.diagnostic(`the second page fetched ${second} bytes`);
  assert.ok(second <= BIG - 150_000_000, `the second page fetched ${second} bytes of a ${BIG}-byte model: it did not continue`);
});

test('a tab closed mid-pull where the page writes (a folder on disk; here OPFS with ?writes=page): the next page continues from the last checkpoint', async (t) => {
  const { page } = app;
  await page.goto(`${app.url}?writes=page`);
  try {
    // The browser commits a writable's bytes only when it is closed; the
    // page commits at checkpoints: the first once 64 MiB came, with the
    // part records of what was written by then (the next waits ten times
    // as long as that one's copy took: past the stall at 200 MB here).
    const second = await closedTabPull('closedpage');
    t.diagnostic(`the second page fetched ${second} bytes`);
    assert.ok(second <= BIG - 40_000_000, `the second page fetched ${second} bytes of a ${BIG}-byte model: it did not continue`);
  } finally {
    await page.goto(app.url);
  }
});

test('a full disk: the pull stops before downloading, says so and how much the blob needs; once there is room it pulls', async () => {
  const { page } = app;
  const errorsBefore = app.errors.length;
  // OPFS written by the pull worker, then by the page (as in a folder on disk).
  for (const [dir, query] of [['full', ''], ['fullpage', '?writes=page']]) {
    await page.goto(app.url + query);
    await freshFolder(dir);
    await resetProxy();
    const lift = await limitStorage(app, 100_000_000);
    let kind, text;
    try {
      [kind, text] = await pull(`${proxy.url}/team/big:v1`, 2);
    } finally {
      await lift();
    }
    assert.equal(kind, 'transfer-failed', text);
    assert.match(text, /the disk is full, or the browser's storage for this page is used up: free some space and try again/, query);
    assert.match(text, /the pull stopped \(pull again to continue\)/);
    if (!query) assert.match(text, new RegExp(`${sha(model.weights).replace(':', '-')} needs 320 MB`), 'the blob that did not fit, and its size');
    const blobs = await listOpfs(page, `${dir}/models/blobs`);
    assert.ok(!blobs.includes(sha(model.weights).replace(':', '-')), 'no unverified blob under its final name');
    assert.equal(await page.locator('#models tbody tr').count(), 1, 'no manifest was written');
    await page.click('#pull-to-folder');
    const [kind2, text2] = await ended(3);
    assert.equal(kind2, 'transfer-result', text2);
    await assertPulled(dir);
  }
  await page.goto(app.url);
  assert.deepEqual(app.errors.slice(errorsBefore), [], 'nothing went wrong in the page');
});

test('a registry that asks for a login: refused anonymously with a message, pulled and pushed once signed in', async () => {
  const auth = startAuthRegistry('*');
  try {
    const { page } = app;
    const m = tinyModel(500_000, 8);
    const { manifest } = await pushModel(auth.url, 'private/m', 'v1', m.config, m.layers, basic(auth));
    await freshFolder('authstore');
    await page.fill('#pull-ref', `${auth.url}/private/m:v1`);
    await page.click('#pull-lookup');
    const failed = page.locator('#transfer-failed');
    await failed.waitFor({ timeout: 60_000 });
    assert.match(await failed.innerText(), /requires a user name and password/);
    await page.click('#login summary');
    await page.fill('#reg-user', auth.user);
    await page.fill('#reg-password', 'wrong-password');
    await page.click('#pull-lookup');
    await page.locator('#transfer[data-run="2"] #transfer-failed').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('#transfer-failed').innerText(), /refused the login/);
    await page.fill('#reg-password', auth.password);
    await page.click('#pull-lookup');
    await page.locator('#pull-manifest').waitFor({ timeout: 60_000 });
    await page.click('#pull-to-folder');
    const [kind, text] = await ended(4);
    assert.equal(kind, 'transfer-result', text);
    const host = auth.url.replace('http://', '');
    assert.deepEqual(await readOpfsFile(page, `authstore/models/manifests/${host}/private/m/v1`), manifest);
    // Push it back under another name, signed in.
    const name = `${host}/private/m:v1`;
    await page.locator(`#models tbody tr[data-name="${name}"]`).waitFor();
    await page.selectOption('#push-model', name);
    await page.fill('#push-ref', `${auth.url}/private/copy:v2`);
    await page.click('#push-start');
    const [pk, pt] = await ended(5);
    assert.equal(pk, 'transfer-result', pt);
    const served = await registryManifest(auth.url, 'private/copy', 'v2', basic(auth));
    assert.equal(served.digest, sha(manifest));
    const stored = JSON.parse(await page.evaluate(() => localStorage.length));
    assert.equal(stored, 0, 'the login is not stored unless asked');
  } finally {
    auth.stop();
  }
});
