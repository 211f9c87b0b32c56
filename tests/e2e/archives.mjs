// Archive fixtures for the end-to-end suite (made by
// tests/fixtures/archives/make_archives.py) and page steps around them:
// open an archive and wait for its check, make an empty OPFS store, copy
// models of the fixture source store into OPFS, Ollama's ID of a name.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './harness.mjs';

export const DIR = path.join(ROOT, 'tests/fixtures/generated/archives');
if (!existsSync(path.join(DIR, 'peer/expected.json'))) throw new Error('missing fixtures: run tests/fixtures/archives/make_archives.py');
export const peers = JSON.parse(readFileSync(path.join(DIR, 'peer/expected.json'), 'utf8'));
/** The models folder the peer archives were made of. */
export const SOURCE = path.join(DIR, 'source/.ollama/models');

/** First 12 hex of the SHA-256 of `bytes`: the ID `ollama list` shows. */
export const idOfBytes = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);

/** name → manifests/<host>/<ns>/<model>/<tag>, as Ollama stores it. */
export function manifestPath(name) {
  let [rest, tag] = [name, 'latest'];
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) [rest, tag] = [name.slice(0, colon), name.slice(colon + 1)];
  const parts = rest.split('/');
  const [host, ns, model] = parts.length === 3 ? parts : parts.length === 2 ? ['registry.ollama.ai', ...parts] : ['registry.ollama.ai', 'library', parts[0]];
  return `manifests/${host}/${ns}/${model}/${tag}`;
}

/** The ID of a model of the source store. */
export const idOf = (name) => idOfBytes(readFileSync(path.join(SOURCE, manifestPath(name))));

/** A model of the source store as files to write into OPFS (`models/…`). */
export function sourceModel(name) {
  const rel = manifestPath(name);
  const manifest = readFileSync(path.join(SOURCE, rel));
  const m = JSON.parse(manifest);
  const blobs = [m.config, ...m.layers].map((l) => `blobs/${l.digest.replace(':', '-')}`);
  return [{ path: `models/${rel}`, bytes: manifest }, ...blobs.map((b) => ({ path: `models/${b}`, bytes: readFileSync(path.join(SOURCE, b)) }))];
}

/** Opens `file` with the archive input and waits until its check ended. */
export async function openArchive(page, file, timeout = 60_000) {
  const run = await page.evaluate(() => Number(document.querySelector('#archive-result')?.dataset.run ?? 0));
  await page.setInputFiles('#archive-input', file);
  await page.locator(`#archive-result[data-run="${run + 1}"][data-done="true"]`).waitFor({ timeout });
}

/**
 * Opens the OPFS file at `opfsPath` (e.g. 'hostile/x.tar') as a person
 * picking it would: its `File` handed to the archive input. Waits until the
 * check ended.
 */
export async function openArchiveFromOpfs(page, opfsPath, timeout = 60_000) {
  const run = await page.evaluate(async (opfsPath) => {
    const names = opfsPath.split('/').filter(Boolean);
    let dir = await navigator.storage.getDirectory();
    for (const name of names.slice(0, -1)) dir = await dir.getDirectoryHandle(name);
    const file = await (await dir.getFileHandle(names.at(-1))).getFile();
    const run = Number(document.querySelector('#archive-result')?.dataset.run ?? 0);
    const input = document.querySelector('#archive-input');
    const picked = new DataTransfer();
    picked.items.add(file);
    input.files = picked.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
    return run;
  }, opfsPath);
  await page.locator(`#archive-result[data-run="${run + 1}"][data-done="true"]`).waitFor({ timeout });
}

/** An empty models folder in OPFS at `name/models`. */
export async function emptyStore(page, name) {
  await page.evaluate(async (name) => {
    const opfs = await navigator.storage.getDirectory();
    await opfs.removeEntry(name, { recursive: true }).catch(() => {});
    const root = await opfs.getDirectoryHandle(name, { create: true });
    const models = await root.getDirectoryHandle('models', { create: true });
    await models.getDirectoryHandle('manifests', { create: true });
    await models.getDirectoryHandle('blobs', { create: true });
  }, name);
}
