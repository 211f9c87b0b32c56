// Managing a models folder on this machine's disk in a real Chromium
// window (harness desktop.mjs): remove models, clean up blobs/, copy and
// rename, and store a model whose registry host has a port under the name
// without it (Chromium refuses ':' in names on disk). Each write is
// confirmed in the page, then Chromium's "Allow this site to edit files?"
// is answered as a person does. Checked from outside the browser: the
// files left (Node's own listing and SHA-256), and the CLI's verify.
//
// The store is the generated fixture (tests/fixtures/generated/store):
// llama3.2:1b and :latest share blobs with gemma2:2b and with
// localhost:5000/team/tiny:v1, a manifest the browser hides on disk.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { openDesktopApp, pickFolder, answerPrompt, chooseFolderInput, chooseFile } from './desktop.mjs';
import { diskFolder, tree, cli, STORE_FIXTURE, storeExpected as expected } from './disk.mjs';
import { sha } from './stores.mjs';
import { startRegistry, pushModel, tinyModel, registryManifest } from './registry.mjs';

let app;
let reg;
before(async () => {
  reg = startRegistry('*');
  app = await openDesktopApp();
});
after(async () => {
  await app?.close();
  reg?.stop();
});

const TINY = 'localhost:5000/team/tiny:v1';
const BROKEN = 'manifests/registry.ollama.ai/library/broken/latest';
const model = (name) => expected.models.find((m) => m.name === name);
const blobFile = (digest) => `blobs/${digest.replace(':', '-')}`;
/** Every blob a model's manifest names: its config and its layers. */
function blobsOf(root, name) {
  const m = JSON.parse(readFileSync(path.join(root, model(name).manifest_path)));
  return [m.config, ...m.layers].map((l) => blobFile(l.digest));
}

/** The fixture store on disk, old enough that nothing in it is "recent". */
function store({ broken = false } = {}) {
  const folder = diskFolder(path.join(STORE_FIXTURE, 'dot-ollama'));
  const root = path.join(folder.root, 'models');
  if (!broken) rmSync(path.join(root, BROKEN));
  const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
  execFileSync('find', [root, '-type', 'f', '-exec', 'touch', '-d', twoHoursAgo.toISOString(), '{}', '+']);
  return { ...folder, root };
}

/** The CLI's verdict on `name` in `ollama-pack verify ROOT` (its MODEL table). */
function verdict(root, name) {
  const out = cli('verify', root).stdout;
  const line = out.split('\n').find((l) => l.startsWith(`${name} `));
  return line?.slice(name.length).trim();
}

const files = (root) => Object.keys(tree(root)).filter((p) => !p.endsWith('/'));
const without = (list, gone) => list.filter((p) => !gone.includes(p));

async function open(root) {
  const { page } = app;
  await page.reload();
  await pickFolder(app, root);
  await page.locator('#models tbody tr').first().waitFor();
}

async function tick(...names) {
  for (const n of names) await app.page.check(`#models tbody tr[data-name="${n}"] .pack-tick`);
}

/** What the last action said, once it is not `before` (the one before it). */
async function manageResult(before = null) {
  const { page } = app;
  await page.waitForFunction((before) => {
    const text = document.querySelector('#manage-result')?.innerText;
    return text && text !== before;
  }, before, { timeout: 60_000 });
  return page.locator('#manage-result').innerText();
}

async function rows(page, n) {
  await page.waitForFunction((n) => document.querySelectorAll('#models tbody tr').length === n, n, { timeout: 30_000 });
}

test('Remove on a folder on disk: the preview names what goes and what stays; a host:port model the page cannot see keeps every blob; once the page sees it, only the blobs no manifest uses go', async () => {
  const s = store();
  try {
    const { page } = app;
    await open(s.root);
    const before = files(s.root);
    await tick('gemma2:2b');
    await page.click('#remove-preview');
    const preview = page.locator('#manage-preview');
    await preview.waitFor();
    assert.deepEqual(await page.locator('#remove-plan li.going').evaluateAll((l) => l.map((e) => e.dataset.path)), [model('gemma2:2b').manifest_path]);
    assert.match(await page.locator('#remove-withheld').innerText(), /no blob is removed: in this folder the browser cannot see the manifests of registries with a port/);
    assert.equal(await page.locator('#show-hidden-manage').count(), 1, 'the preview offers to show the hidden manifests');
    await page.click('#manage-confirm');
    await answerPrompt(app, 'allow');
    assert.match(await manageResult(), /^Removed: 1 model\(s\) removed \(gemma2:2b\), 0 blob\(s\), 0 B freed\. No blob is removed/);
    await rows(page, 3);
    assert.deepEqual(files(s.root), without(before, [model('gemma2:2b').manifest_path]), 'the manifest alone went');
    assert.ok(!existsSync(path.join(s.root, 'manifests/registry.ollama.ai/library/gemma2')), 'its empty folder went too');

    // The page is shown every manifest: now removing frees blobs, and the
    // host:port model keeps the ones it uses.
    await chooseFolderInput(app, '#show-hidden', s.root);
    await rows(page, 4);
    await tick('llama3.2:1b', 'llama3.2:latest');
    await page.click('#remove-preview');
    await preview.waitFor();
    const kept = await page.locator('#remove-plan li.kept').evaluateAll((l) => l.map((e) => [e.dataset.digest, e.innerText]));
    const tinyBlobs = blobsOf(s.root, TINY);
    const llamaBlobs = [...new Set([...blobsOf(s.root, 'llama3.2:1b'), ...blobsOf(s.root, 'llama3.2:latest')])];
    const shared = llamaBlobs.filter((b) => tinyBlobs.includes(b));
    assert.ok(shared.length >= 2, 'the fixture shares blobs with the host:port model');
    assert.deepEqual(kept.map(([d]) => blobFile(d)).sort(), shared.sort());
    for (const [, words] of kept) assert.match(words, /used by localhost:5000\/team\/tiny:v1/);
    assert.equal(await page.locator('#remove-withheld').count(), 0);
    await page.click('#manage-confirm');
    const said = await manageResult(); // this page may edit the folder already: no second prompt
    const gone = llamaBlobs.filter((b) => !shared.includes(b));
    assert.match(said, new RegExp(`^Removed: 2 model\\(s\\) removed \\(llama3\\.2:1b, llama3\\.2:latest\\), ${gone.length} blob\\(s\\)`));
    const left = files(s.root);
    for (const b of tinyBlobs) assert.ok(left.includes(b), `${b} stays: ${TINY} uses it`);
    for (const b of gone) assert.ok(!left.includes(b), `${b} went: no manifest uses it`);
    assert.equal(verdict(s.root, TINY), 'ok');
    await rows(page, 2);
    assert.deepEqual(app.errors, []);
  } finally {
    s.remove();
  }
});

test('Remove decides at the moment of the removal: a manifest Ollama wrote after the preview keeps the blobs it uses', async () => {
  const s = store();
  try {
    const { page } = app;
    await open(s.root);
    await chooseFolderInput(app, '#show-hidden', s.root);
    await rows(page, 5);
    await tick('gemma2:2b');
    await page.click('#remove-preview');
    await page.locator('#manage-preview').waitFor();
    const own = blobsOf(s.root, 'gemma2:2b').filter((b) => model('gemma2:2b').layers.every((l) => blobFile(l.digest) !== b || l.shared_with.length === 0));
    const frees = await page.locator('#remove-frees').innerText();
    assert.match(frees, new RegExp(`^${own.length} blob\\(s\\) no other model uses`), 'the preview, from the folder as it was');
    // While the preview is on screen, a pull finishes: a new manifest uses gemma's weights.
    const weights = blobFile(model('gemma2:2b').layers.find((l) => l.media_type.endsWith('.model')).digest);
    const gemma = JSON.parse(readFileSync(path.join(s.root, model('gemma2:2b').manifest_path)));
    const late = { ...gemma, layers: gemma.layers.filter((l) => blobFile(l.digest) === weights) };
    mkdirSync(path.join(s.root, 'manifests/registry.ollama.ai/library/late'), { recursive: true });
    writeFileSync(path.join(s.root, 'manifests/registry.ollama.ai/library/late/1'), JSON.stringify(late));
    await page.click('#manage-confirm');
    await answerPrompt(app, 'allow');
    const said = await manageResult();
    const stillUsed = [weights, blobFile(gemma.config.digest)];
    const gone = own.filter((b) => !stillUsed.includes(b));
    assert.match(said, new RegExp(`^Removed: 1 model\\(s\\) removed \\(gemma2:2b\\), ${gone.length} blob\\(s\\)`));
    const left = files(s.root);
    for (const b of stillUsed) assert.ok(left.includes(b), `${b} stays: the late manifest uses it`);
    for (const b of gone) assert.ok(!left.includes(b), `${b} went`);
    assert.equal(verdict(s.root, 'late:1'), 'ok');
  } finally {
    s.remove();
  }
});

test('"Don\'t Allow" when removing: nothing is removed, and the page says how to go on', async () => {
  const s = store();
  try {
    const { page } = app;
    await open(s.root);
    const before = tree(s.root);
    await tick('hf.co/bartowski/phi:Q4_K_M');
    await page.click('#remove-preview');
    await page.click('#manage-confirm');
    await answerPrompt(app, 'deny');
    assert.match(await manageResult(), /^Failed: permission denied: the browser may not edit files in ".*" \(its prompt was answered Don't Allow, or closed\)\. To remove models, start it again and answer Allow/);
    assert.deepEqual(tree(s.root), before, 'the folder is as it was');
    assert.equal(await page.locator('#models tbody tr').count(), 4);
  } finally {
    s.remove();
  }
});

test('Clean up: partial downloads and orphaned blobs, each previewed; one written within the hour stays, an unreadable manifest blocks it, nothing outside blobs/ is touched', async () => {
  const s = store({ broken: true });
  try {
    const { page } = app;
    // An orphan Ollama may be writing right now (a pull under way).
    const fresh = Buffer.from('a blob written a minute ago');
    writeFileSync(path.join(s.root, blobFile(sha(fresh))), fresh);
    await open(s.root);
    const before = files(s.root);

    await page.click('#prune-partials');
    await page.locator('#manage-preview').waitFor();
    const partials = expected.blobs.partial;
    assert.deepEqual(await page.locator('#prune-going li').evaluateAll((l) => l.map((e) => `blobs/${e.dataset.name}`)), [...partials].sort());
    assert.equal(await page.locator('#prune-withheld').count(), 0, 'partial downloads are nobody\'s blobs');
    await page.click('#manage-confirm');
    await answerPrompt(app, 'allow');
    assert.match(await manageResult(), /^Cleaned up: 2 file\(s\) removed/);
    assert.deepEqual(files(s.root), without(before, partials));

    // The broken manifest's references are unknown: no orphan may go.
    await page.click('#prune-orphans');
    await page.locator('#prune-withheld').waitFor();
    assert.match(await page.locator('#prune-withheld').innerText(), new RegExp(`no blob is removed: ${BROKEN} could not be read`));
    assert.equal(await page.locator('#prune-going li').count(), 0);
    await page.click('#manage-close');

    // Fixed (removed by hand), and the hidden manifest shown: the orphan goes, the fresh one stays.
    rmSync(path.join(s.root, BROKEN));
    await chooseFolderInput(app, '#show-hidden', s.root);
    await rows(page, 5);
    await page.click('#prune-orphans');
    await page.locator('#manage-preview').waitFor();
    const orphans = expected.blobs.orphaned.map((o) => blobFile(o.digest));
    assert.deepEqual(await page.locator('#prune-going li').evaluateAll((l) => l.map((e) => `blobs/${e.dataset.name}`)), orphans);
    assert.deepEqual(await page.locator('#prune-recent li').evaluateAll((l) => l.map((e) => `blobs/${e.dataset.name}`)), [blobFile(sha(fresh))]);
    assert.match(await page.locator('#prune-plan').innerText(), /Ollama writes blobs first and the manifest last/);
    await page.click('#manage-confirm');
    assert.match(await manageResult(), /^Cleaned up: 1 file\(s\) removed, 39 B freed\. 1 file\(s\) written within the last hour were kept\./);
    const left = files(s.root);
    assert.deepEqual(left, without(before, [...partials, ...orphans, BROKEN]));
    assert.ok(left.includes('blobs/not-a-blob.txt'), 'a stray file is not ours to delete');
  } finally {
    s.remove();
  }
});

test('Copy as… and Rename…: the same manifest bytes under a name checked as typed; a clash in any case is refused unless replacing is ticked', async () => {
  const s = store();
  try {
    const { page } = app;
    await open(s.root);
    const gemma = model('gemma2:2b');
    const bytes = readFileSync(path.join(s.root, gemma.manifest_path));
    await page.click('#models tbody tr[data-name="gemma2:2b"] td:nth-child(2)');
    await page.locator('#model-actions').waitFor();
    await page.fill('#copy-name', 'LLAMA3.2:1B');
    assert.match(await page.locator('#copy-error').innerText(), /llama3\.2:1b/i);
    assert.ok(await page.locator('#copy-start').isDisabled());
    await page.fill('#copy-name', 'bad name');
    assert.ok(await page.locator('#copy-start').isDisabled());
    await page.fill('#copy-name', 'mine/gemma2:work');
    await page.click('#copy-start');
    await answerPrompt(app, 'allow');
    assert.match(await manageResult(), /^Copied gemma2:2b to mine\/gemma2:work/);
    const copy = 'manifests/registry.ollama.ai/mine/gemma2/work';
    assert.deepEqual(readFileSync(path.join(s.root, copy)), bytes, 'the same bytes: the same ID');
    await rows(page, 5);
    assert.equal(await page.locator('#models tbody tr[data-name="mine/gemma2:work"] td').nth(1).innerText(), gemma.id);

    await page.click('#models tbody tr[data-name="mine/gemma2:work"] td:nth-child(2)');
    await page.fill('#copy-name', 'gemma2:renamed');
    const copied = await page.locator('#manage-result').innerText();
    await page.click('#rename-start');
    assert.match(await manageResult(copied), /^Renamed mine\/gemma2:work to gemma2:renamed/);
    assert.ok(!existsSync(path.join(s.root, copy)) && !existsSync(path.join(s.root, 'manifests/registry.ollama.ai/mine')), 'the old name and its folders went');
    assert.deepEqual(readFileSync(path.join(s.root, 'manifests/registry.ollama.ai/library/gemma2/renamed')), bytes);
    for (const b of blobsOf(s.root, 'gemma2:2b')) assert.ok(existsSync(path.join(s.root, b)), `${b} stays`);

    // Replacing needs the tick.
    await page.click('#models tbody tr[data-name="hf.co/bartowski/phi:Q4_K_M"] td:nth-child(2)');
    await page.fill('#copy-name', 'Gemma2:Renamed');
    assert.ok(await page.locator('#copy-start').isDisabled());
    await page.check('#copy-replace');
    const renamed = await page.locator('#manage-result').innerText();
    await page.click('#copy-start');
    assert.match(await manageResult(renamed), /^Copied hf\.co\/bartowski\/phi:Q4_K_M to /);
    const phi = readFileSync(path.join(s.root, model('hf.co/bartowski/phi:Q4_K_M').manifest_path));
    assert.deepEqual(readFileSync(path.join(s.root, 'manifests/registry.ollama.ai/library/Gemma2/Renamed')), phi, 'written under the name as typed');
    assert.ok(!existsSync(path.join(s.root, 'manifests/registry.ollama.ai/library/gemma2/renamed')), 'the model it replaced went');
    assert.equal(verdict(s.root, 'gemma2:2b'), 'ok');
    assert.deepEqual(app.errors, []);
  } finally {
    s.remove();
  }
});

test('a pull from a registry with a port into a folder on disk is stored under the name without the host, as proposed, with the same ID', async () => {
  const s = store();
  try {
    const { page } = app;
    const m = tinyModel(200_000, 4);
    await pushModel(reg.url, 'team/pulled', 'v2', m.config, m.layers);
    const served = await registryManifest(reg.url, 'team/pulled', 'v2');
    await open(s.root);
    await page.fill('#pull-ref', `${reg.url}/team/pulled:v2`);
    await page.click('#pull-lookup');
    await page.locator('#pull-manifest').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#pull-as').inputValue(), 'team/pulled:v2');
    assert.match(await page.locator('#pull-as-why').innerText(), /refuses ':' in names, so this model cannot be stored as 127\.0\.0\.1:\d+\/team\/pulled:v2 here\. It is stored as team\/pulled:v2: the same model and ID/);
    await page.click('#pull-to-folder');
    await answerPrompt(app, 'allow');
    await page.locator('#transfer-result').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('#transfer-result').innerText(), /^Pulled team\/pulled:v2 into /);
    const stored = readFileSync(path.join(s.root, 'manifests/registry.ollama.ai/team/pulled/v2'));
    assert.deepEqual(stored, served.bytes, 'the manifest as served: the same ID');
    await rows(page, 5);
    assert.equal(verdict(s.root, 'team/pulled:v2'), 'ok');
  } finally {
    s.remove();
  }
});

test('an archive holding a host:port model, imported into a folder on disk, is proposed the name without the host; the name can be changed', async () => {
  const s = store();
  const scratch = diskFolder(null);
  try {
    const { page } = app;
    // GNU tar of the fixture's host:port model: manifests/localhost:5000/… and its blobs.
    const src = path.join(STORE_FIXTURE, 'dot-ollama/models');
    const tiny = model(TINY);
    const tar = path.join(scratch.dir, 'tiny.tar');
    execFileSync('tar', ['-cf', tar, '-C', src, tiny.manifest_path, ...blobsOf(src, TINY)]);
    // The folder lacks the host:port model.
    rmSync(path.join(s.root, 'manifests/localhost:5000'), { recursive: true });
    await open(s.root);
    await chooseFile(app, '#archive-input', tar);
    await page.locator('#archive-result[data-done="true"]').waitFor({ timeout: 60_000 });
    const row = page.locator(`#import-colon-names tr[data-name="${TINY}"]`);
    await row.waitFor();
    assert.match(await page.locator('#import-colon-names').innerText(), /refuses ':' in names/);
    assert.equal(await row.locator('.colon-name').inputValue(), 'team/tiny:v1');
    await row.locator('.colon-name').fill('localhost:5001/x/y:z');
    assert.match(await row.locator('.colon-error').innerText(), /refuses ':'/);
    assert.ok(await page.locator('#archive-import').isDisabled());
    await row.locator('.colon-name').fill('offline/tiny:v1');
    await page.click('#archive-import');
    await answerPrompt(app, 'allow');
    await page.locator('#import-result').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('#import-result').innerText(), /^Imported 1 model\(s\): offline\/tiny:v1 \(the archive's localhost:5000\/team\/tiny:v1\)/);
    assert.deepEqual(readFileSync(path.join(s.root, 'manifests/registry.ollama.ai/offline/tiny/v1')), readFileSync(path.join(src, tiny.manifest_path)));
    assert.equal(verdict(s.root, 'offline/tiny:v1'), 'ok');
  } finally {
    scratch.remove();
    s.remove();
  }
});
