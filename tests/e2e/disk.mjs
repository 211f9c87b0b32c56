// Folders on this machine's disk for the real-window tests, and what the
// tests check of them from outside the browser: the CLI (`ollama-pack`,
// built once), file modes and SHA-256 (Node's own), and inotify's record
// of what was created and renamed in which order (inotifywait, Debian's
// inotify-tools). Each folder is made per test and removed after.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './harness.mjs';

export const STORE_FIXTURE = path.join(ROOT, 'tests/fixtures/generated/store');
export const storeExpected = JSON.parse(readFileSync(path.join(STORE_FIXTURE, 'expected.json'), 'utf8'));

/** A fresh folder on disk; `from` (a folder) is copied into it as `as`. */
export function diskFolder(from, as = '.ollama') {
  const dir = mkdtempSync(path.join(tmpdir(), 'ollama-pack-disk-'));
  if (from) cpSync(from, path.join(dir, as), { recursive: true });
  return { dir, root: path.join(dir, as), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Every file and folder under `dir`: { 'rel/path': { size, mode, sha } },
 * folders as { 'rel/dir/': { mode } }.
 */
export function tree(dir, rel = '') {
  const out = {};
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const info = statSync(path.join(dir, r));
    const mode = (info.mode & 0o777).toString(8);
    if (info.isDirectory()) Object.assign(out, { [`${r}/`]: { mode } }, tree(dir, r));
    else out[r] = { size: info.size, mode, sha: sha256File(path.join(dir, r)) };
  }
  return out;
}

export const sha256File = (file) => 'sha256:' + createHash('sha256').update(readFileSync(file)).digest('hex');

let built = false;
/** Runs the native CLI; returns { status, stdout, stderr }. */
export function cli(...args) {
  if (!built) {
    execFileSync('cargo', ['build', '-q', '--bin', 'ollama-pack'], { cwd: ROOT, stdio: 'inherit' });
    built = true;
  }
  const bin = path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), 'debug/ollama-pack');
  try {
    return { status: 0, stdout: execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), stderr: '' };
  } catch (err) {
    if (err.status === undefined || err.status === null) throw err;
    return { status: err.status, stdout: String(err.stdout), stderr: String(err.stderr) };
  }
}

/**
 * Records what happens in `dir` (recursively) from now on: [{ event, path }]
 * in order, paths relative to `dir`. `stop()` ends it and returns the list.
 */
export async function watch(dir) {
  const events = [];
  const args = ['-m', '-r', '-e', 'create,moved_to,close_write,delete', '--format', '%e|%w%f', dir];
  const child = spawn('inotifywait', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let buffered = '';
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    let at;
    while ((at = buffered.indexOf('\n')) >= 0) {
      const [event, file] = buffered.slice(0, at).split('|');
      buffered = buffered.slice(at + 1);
      events.push({ event, path: path.relative(dir, file) });
    }
  });
  // inotifywait says "Watches established." on stderr when it is ready.
  await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stderr.on('data', (d) => String(d).includes('established') && resolve());
    child.once('exit', (code) => reject(new Error(`inotifywait exited (${code}): install Debian's inotify-tools`)));
  });
  return {
    events,
    stop: async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill();
      return events;
    },
  };
}
