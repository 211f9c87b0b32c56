// Every hostile archive of tests/fixtures/archives/make_archives.py (and
// the hostile zips of make_backups.py), copied
// into OPFS and opened from there in one page, one after the other, with a
// models folder open: an archive
// that cannot be read safely (`..` or absolute paths, links, devices, bombs,
// lying sizes, truncation, damage) is refused with its reason and offers no
// import; one that reads but is wrong (invalid manifest, bad blob name,
// missing or damaged blobs, duplicates that disagree, lying index) names
// its problem, and importing it adds nothing. The OPFS store stays
// byte-for-byte as it was.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openApp, listOpfs, readOpfsFile, writeOpfsTree, openFolder } from './harness.mjs';
import { DIR, openArchiveFromOpfs, sourceModel } from './archives.mjs';

const HOSTILE = path.join(DIR, 'hostile');

// What a refusal must tell the user, by the reader's error kind.
const REASON = {
  parent_path: /climbs out of the folder with ".."/,
  absolute_path: /absolute path/,
  symlink: /symbolic link/,
  hard_link: /hard link/,
  device: /device file/,
  fifo: /FIFO/,
  nul_in_name: /NUL byte/,
  header_too_large: /more than the \d+ any real archive needs/,
  unsupported_entry: /never holds/,
  bad_checksum: /wrong checksum/,
  beyond_archive: /claims \d+ bytes but only \d+ bytes/,
  truncated: /cut short/,
  not_an_archive: /not a tar archive/,
  corrupt: /damaged/,
  zstd_window: /window/,
  bomb: /decompression bomb/,
  zip_link: /symbolic link/,
  zip_unsupported: /which this reader does not read/,
};

// Each kind of hostile archive the sweep must at least cover.
const MUST = ['zip-parent.zip', 'zip-symlink.zip', 'zip-bad-crc.zip', 'manifest-missing-blob.tar', 'parent.tar', 'absolute.tar', 'symlink.tar', 'hardlink.tar', 'chardev.tar', 'blob-name-not-sha256.tar',
  'manifest-not-json.tar', 'size-beyond-archive.tar', 'gzip-bomb.tar.gz', 'duplicate-blob-disagrees.tar',
  'duplicate-manifest-disagrees.tar', 'truncated.tar', 'truncated.tar.gz'];

let app;
before(async () => {
  app = await openApp();
});
after(async () => {
  await app?.close();
});

async function storeBytes(page) {
  const files = await listOpfs(page, 'hstore');
  return Promise.all(files.map(async (f) => [f, (await readOpfsFile(page, `hstore/${f}`)).toString('base64')]));
}

test('hostile archives are refused or fail with their reason, and importing them writes nothing', async () => {
  const { page } = app;
  await writeOpfsTree(page, sourceModel('gemma2:2b'), 'hstore');
  await openFolder(page, 'hstore', '#summary');
  const before = await storeBytes(page);
  const names = readdirSync(HOSTILE).filter((n) => !n.endsWith('.json')).sort();
  for (const name of MUST) assert.ok(names.includes(name), `fixture ${name}`);
  assert.ok(names.length >= 25, `${names.length} hostile archives`);
  await writeOpfsTree(page, names.map((n) => ({ path: n, bytes: readFileSync(path.join(HOSTILE, n)) })), 'hostile');
  const imported = [];
  for (const name of names) {
    const want = JSON.parse(readFileSync(path.join(HOSTILE, `${name}.json`), 'utf8'));
    await openArchiveFromOpfs(page, `hostile/${name}`);
    const result = await page.locator('#archive-result').textContent();
    if (want.error) {
      assert.ok(REASON[want.error], `${name}: a reason for ${want.error}`);
      assert.match(await page.locator('#archive-error').innerText(), REASON[want.error], name);
      assert.match(await page.locator('#archive-verdict').innerText(), /^Problems/, name);
    }
    for (const key of ['problem', 'note']) if (want[key]) assert.ok(result.includes(want[key]), `${name}: "${want[key]}" in ${result}`);
    const button = page.locator('#archive-import');
    const canImport = (await button.count()) === 1 && (await button.isEnabled());
    // A model lacking a blob the folder has not either: the page says which, offers no import.
    if (/not in the archive/.test(want.note ?? '') && (await button.count()) === 1) {
      assert.match(await page.locator('#import-missing').innerText(), /sha256:[0-9a-f]{64}/, name);
      assert.ok(!canImport, `${name}: an import that lacks a blob is disabled`);
    }
    if (want.error) assert.ok(!canImport, `${name}: a refused archive offers no import`);
    if (canImport && !want.models_ok) {
      await page.click('#archive-import');
      await page.locator('#import-result').waitFor({ timeout: 30_000 });
      assert.match(await page.locator('#import-result').innerText(), /^Imported 0 model\(s\); 0 blob\(s\) written|^Import failed/, name);
      assert.deepEqual(await listOpfs(page, 'hstore'), before.map(([f]) => f), `${name}: the store changed`);
      imported.push(name);
    }
  }
  assert.ok(imported.includes('manifest-not-json.tar'), `imports tried: ${imported}`);
  assert.deepEqual(await storeBytes(page), before, 'the store is byte-for-byte as it was');
  assert.deepEqual(app.errors, []);
});
