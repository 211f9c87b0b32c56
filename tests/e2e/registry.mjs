// A real docker-registry on 127.0.0.1 for the browser tests (started and
// stopped with tests/registry/start.sh and stop.sh), and a model pushed to it
// by this file's own plain-HTTP client (monolithic uploads, as the Registry
// API describes them) — an independent client, so a pull test never relies
// on our push. Also reads back what the registry holds, like curl would.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './harness.mjs';
import { sha } from './stores.mjs';

const START = path.join(ROOT, 'tests/registry/start.sh');
const STOP = path.join(ROOT, 'tests/registry/stop.sh');

/** Starts a registry; `origin` is its Access-Control-Allow-Origin. */
export function startRegistry(origin = '*') {
  const state = mkdtempSync(path.join(tmpdir(), 'e2e-registry-'));
  const url = execFileSync(START, [state], { encoding: 'utf8', env: { ...process.env, CORS_ORIGIN: origin } }).trim();
  return { url, state, stop: () => execFileSync(STOP, [state]) };
}

/** A registry asking for HTTP Basic, behind Caddy (which answers the preflight). */
export function startAuthRegistry(origin = '*') {
  const state = mkdtempSync(path.join(tmpdir(), 'e2e-auth-registry-'));
  const url = execFileSync(START, ['--auth', state], { encoding: 'utf8', env: { ...process.env, CORS_ORIGIN: origin } }).trim();
  const read = (f) => readFileSync(path.join(state, f), 'utf8');
  return { url, state, user: read('user'), password: read('password'), stop: () => execFileSync(STOP, [state]) };
}

/** `Authorization` for a registry's Basic login, or none. */
export const basic = (reg) => (reg.user ? { Authorization: 'Basic ' + Buffer.from(`${reg.user}:${reg.password}`).toString('base64') } : {});

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

async function uploadBlob(base, repo, bytes, headers) {
  const digest = sha(bytes);
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
  if (start.status !== 202) throw new Error(`POST upload: ${start.status}`);
  const location = new URL(start.headers.get('location'), base);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: bytes, headers: { ...headers, 'Content-Type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`PUT blob: ${put.status} ${await put.text()}`);
  return digest;
}

/**
 * Pushes a model: `layers` is [{ mediaType, bytes }]. Returns the manifest
 * bytes exactly as sent, and the blobs by digest.
 */
export async function pushModel(base, repo, tag, config, layers, headers = {}) {
  const blobs = new Map();
  const entry = async (mediaType, bytes) => {
    const digest = await uploadBlob(base, repo, bytes, headers);
    blobs.set(digest, bytes);
    return { mediaType, digest, size: bytes.length };
  };
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_TYPE,
    config: await entry('application/vnd.docker.container.image.v1+json', config),
    layers: await Promise.all(layers.map((l) => entry(l.mediaType, l.bytes))),
  }));
  const put = await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { ...headers, 'Content-Type': MANIFEST_TYPE } });
  if (put.status !== 201) throw new Error(`PUT manifest: ${put.status} ${await put.text()}`);
  return { manifest, blobs };
}

/** A small model: config, `size` bytes of weights (not all alike), a template. */
export function tinyModel(size = 300_000, seed = 1) {
  const weights = Buffer.alloc(size);
  for (let i = 0; i < size; i++) weights[i] = (i * 31 + seed * 7 + (i >> 10)) & 0xff;
  weights.write('GGUF', 0);
  return {
    config: Buffer.from(`{"model_format":"gguf","model_family":"llama","seed":${seed}}`),
    layers: [
      { mediaType: 'application/vnd.ollama.image.model', bytes: weights },
      { mediaType: 'application/vnd.ollama.image.template', bytes: Buffer.from('{{ .Prompt }}') },
    ],
  };
}

/** The manifest the registry serves for repo:tag, and its Docker-Content-Digest. */
export async function registryManifest(base, repo, tag, headers = {}) {
  const r = await fetch(`${base}/v2/${repo}/manifests/${tag}`, { headers: { ...headers, Accept: MANIFEST_TYPE } });
  return { status: r.status, digest: r.headers.get('docker-content-digest'), bytes: Buffer.from(await r.arrayBuffer()) };
}

/** A blob's bytes from the registry. */
export async function registryBlob(base, repo, digest) {
  const r = await fetch(`${base}/v2/${repo}/blobs/${digest}`);
  return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()) };
}
