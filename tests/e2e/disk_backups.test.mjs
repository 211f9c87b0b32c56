// Other tools' backups, in a real Chromium window, into a models folder on
// this machine's disk (tests/fixtures/archives/make_backups.py made them
// with the real peers): ollama-tool-cli 1.3.5's zip, which never carries
// the config blob, refused with the blob named where the folder lacks it
// (nothing written) and imported where the folder has it; and oget 1.0.2's
// direct download, a folder without the model's name, opened through
// "Open a download folder…" and the real folder dialog, named in the page
// and imported to exactly the files oget's own install writes; omdd's
// folder dropped on the panel and a tar of one check as the same model. Checked
// from outside the browser with Node's listing and SHA-256 and the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openDesktopApp, pickFolder, chooseFile, answerPrompt } from './desktop.mjs';
import { dropFromDisk } from './harness.mjs';
import { diskFolder, tree, cli } from './disk.mjs';
import { DIR, SOURCE, manifestPath } from './archives.mjs';

const BACKUP = path.join(DIR, 'backup');
const expected = JSON.parse(readFileSync(path.join(BACKUP, 'expected.json'), 'utf8'));
const ZIP = 'tool-cli/gemma2-2b.zip';
const FLAT = 'flat/gemma2-2b';
const GEMMA = 'gemma2:2b';

let app;
before(async () => {
  app = await openDesktopApp();
});
after(async () => {
  await app?.close();
});

/** An empty models folder on disk, holding the blobs `digests` from the source store. */
function modelsWith(digests) {
  const folder = diskFolder(null);
  const root = path.join(folder.dir, 'models');
  mkdirSync(path.join(root, 'manifests'), { recursive: true });
  mkdirSync(path.join(root, 'blobs'), { recursive: true });
  for (const d of digests) {
    const file = d.replace(':', '-');
    copyFileSync(path.join(SOURCE, 'blobs', file), path.join(root, 'blobs', file));
  }
  return { ...folder, root };
}

/** Opens the models folder `root`, then runs `open` and waits for the check to end. */
async function openFolderThen(root, open) {
  const { page } = app;
  await page.reload();
  await pickFolder(app, root);
  await page.locator('#summary').waitFor();
  const run = await page.evaluate(() => Number(document.querySelector('#archive-result')?.dataset.run ?? 0));
  await open();
  await page.locator(`#archive-result[data-run="${run + 1}"][data-done="true"]`).waitFor({ timeout: 120_000 });
  assert.match(await page.locator('#archive-verdict').innerText(), /^Intact/);
}

async function result(page) {
  await page.locator('#import-result').waitFor({ timeout: 120_000 });
  return page.locator('#import-result').innerText();
}

const config = expected[ZIP].absent;

test('an ollama-tool-cli zip, whose config blob the folder lacks: the page names it, offers no import, and the folder stays as it was', async () => {
  assert.equal(config.length, 1, 'the fixture zip lacks its config blob');
  const folder = modelsWith([]);
  try {
    const { page } = app;
    const before = tree(folder.root);
    await openFolderThen(folder.root, () => chooseFile(app, '#archive-input', path.join(BACKUP, ZIP)));
    assert.match(await page.locator('#archive-kind').innerText(), /a zip of a models folder/);
    const row = page.locator(`#archive-models tr[data-name="${GEMMA}"]`);
    assert.match(await row.innerText(), new RegExp(`not in the archive, so the folder must have: ${config[0]} \\(config\\)`));
    const missing = await page.locator('#import-missing').innerText();
    assert.ok(missing.includes(`${GEMMA} needs ${config[0]} (config)`), missing);
    assert.match(missing, /ollama pull gemma2:2b/);
    assert.ok(await page.locator('#archive-import').isDisabled(), 'Import is disabled');
    assert.deepEqual(tree(folder.root), before, 'nothing written');
    assert.deepEqual(app.errors, []);
  } finally {
    folder.remove();
  }
});

test('the same zip into a folder that has the config blob: imported byte for byte, and the CLI verifies the model', async () => {
  const folder = modelsWith(config);
  try {
    const { page } = app;
    await openFolderThen(folder.root, () => chooseFile(app, '#archive-input', path.join(BACKUP, ZIP)));
    assert.equal(await page.locator('#import-missing').count(), 0);
    await page.click('#archive-import');
    await answerPrompt(app, 'allow'); // "Allow this site to edit files?"
    assert.match(await result(page), /^Imported 1 model\(s\): gemma2:2b; 4 blob\(s\) written/);
    const rel = manifestPath(GEMMA);
    assert.deepEqual(readFileSync(path.join(folder.root, rel)), readFileSync(path.join(SOURCE, rel)), 'the manifest byte for byte');
    const check = cli('verify', folder.root, GEMMA);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.deepEqual(app.errors, []);
  } finally {
    folder.remove();
  }
});

test('a direct download folder, opened through its dialog and named in the page, imports to exactly what oget install writes', async () => {
  const folder = modelsWith([]);
  try {
    const { page } = app;
    await openFolderThen(folder.root, () => pickFolder(app, path.join(BACKUP, FLAT), { button: '#archive-folder' }));
    assert.match(await page.locator('#archive-kind').innerText(), /a direct download/);
    // No name yet: Import waits for one, and a wrong one is refused as typed.
    await page.locator('#flat-name').waitFor();
    assert.ok(await page.locator('#archive-import').isDisabled());
    await page.fill('#flat-name', 'Not A Name!');
    await page.locator('#flat-name-error').waitFor();
    assert.ok(await page.locator('#archive-import').isDisabled());
    await page.fill('#flat-name', GEMMA);
    await page.waitForFunction(() => !document.querySelector('#flat-name-error'));
    assert.ok(await page.locator('#archive-import').isEnabled());
    await page.click('#archive-import');
    await answerPrompt(app, 'allow');
    assert.match(await result(page), /^Imported 1 model\(s\): gemma2:2b; 5 blob\(s\) written/);
    const sha = (t) => Object.fromEntries(Object.entries(t).filter(([p]) => !p.endsWith('/')).map(([p, f]) => [p, f.sha]));
    assert.deepEqual(sha(tree(folder.root)), sha(tree(path.join(BACKUP, 'oget-installed/models'))), 'the files oget install writes, byte for byte');
    await page.waitForFunction((name) => [...document.querySelectorAll('#models tbody tr')].some((r) => r.textContent.includes(name)), GEMMA);
    assert.deepEqual(app.errors, []);
  } finally {
    folder.remove();
  }
});

test('a direct download dropped on the archive panel (omdd names its blobs sha256<hex>), and a tar of one, check as the same model', async () => {
  const folder = modelsWith([]);
  try {
    const { page } = app;
    const ids = [];
    const drop = async () => {
      await page.locator('#archive .drop-hint').scrollIntoViewIfNeeded();
      await dropFromDisk(page, path.join(BACKUP, 'flat/omdd'), '#archive .drop-hint');
    };
    await openFolderThen(folder.root, drop);
    assert.match(await page.locator('#archive-kind').innerText(), /a direct download/);
    await page.locator('#flat-name').waitFor();
    ids.push(await page.locator('#archive-models tbody tr td.mono').innerText());
    const run = await page.evaluate(() => Number(document.querySelector('#archive-result').dataset.run));
    await chooseFile(app, '#archive-input', path.join(BACKUP, 'flat/gemma2-2b.tar'));
    await page.locator(`#archive-result[data-run="${run + 1}"][data-done="true"]`).waitFor({ timeout: 60_000 });
    assert.match(await page.locator('#archive-verdict').innerText(), /^Intact/);
    ids.push(await page.locator('#archive-models tbody tr td.mono').innerText());
    const source = cli('inspect', SOURCE, '--json');
    const gemma = JSON.parse(source.stdout).models.find((m) => m.name === GEMMA);
    assert.deepEqual(ids, [gemma.id, gemma.id], 'the ID of the model it was downloaded as');
    assert.deepEqual(app.errors, []);
  } finally {
    folder.remove();
  }
});
