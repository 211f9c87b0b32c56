// Test stores for the end-to-end suite: the files of a folder on disk (to
// copy into OPFS), SHA-256 digests as Ollama writes them, and a store of
// one model with one large weights blob (for Cancel tests).
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Every file under `dir`, as [{ path (relative), bytes }]. */
export function filesUnder(dir, rel = '') {
  return readdirSync(path.join(dir, rel)).flatMap((name) => {
    const r = rel ? `${rel}/${name}` : name;
    return statSync(path.join(dir, r)).isDirectory() ? filesUnder(dir, r) : [{ path: r, bytes: readFileSync(path.join(dir, r)) }];
  });
}

/** `sha256:<hex>` of the bytes. */
export const sha = (bytes) => 'sha256:' + createHash('sha256').update(bytes).digest('hex');

/** A store (`models/…`) holding `big:latest`: a config and `size` bytes of weights. */
export function oneModelStore(size, fill = 7) {
  const big = Buffer.alloc(size, fill);
  const config = Buffer.from('{"model_family":"llama","model_type":"1B","file_type":"F16"}');
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.ollama.image.model', digest: sha(big), size: big.length }],
  }));
  const blob = (b) => `models/blobs/${sha(b).replace(':', '-')}`;
  return [
    { path: 'models/manifests/registry.ollama.ai/library/big/latest', bytes: manifest },
    { path: blob(config), bytes: config },
    { path: blob(big), bytes: big },
  ];
}
