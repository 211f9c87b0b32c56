// A fault-injecting HTTP proxy for the registry tests (Node stdlib only).
//
//   node tests/registry/fault_proxy.mjs TARGET_URL
//
// Listens on a free 127.0.0.1 port and prints its URL as the first line of
// stdout. Forwards every request to TARGET_URL (any method, headers kept,
// Host set to the target's, bodies streamed both ways, CORS headers and
// OPTIONS passed through untouched); `Location` headers that point at the
// target are rewritten to point at the proxy. Runs until killed.
//
// Control endpoints (answered here, never forwarded; CORS open):
//   POST   /__fault__  JSON rule, or an array of rules, appended in order:
//            {"kind": "drop"|"stall"|"flip", "path": "/blobs/",
//             "after_bytes": N, "times": K, "method": "GET"}
//          kind  drop:  send N bytes of the response body, then destroy the socket
//                stall: send N bytes, then send nothing more and hold the
//                       connection open (until the client gives up)
//                flip:  invert the byte at offset N of the response body
//          path  substring of the request path (default "": every request)
//          after_bytes  N (default 0); times  K matching responses (default 1)
//          method  only requests with this method (default: any)
//          Each response takes the first rule that matches and has times left.
//          Answer: {"faults": [the rules still pending]}.
//   GET    /__fault__  {"faults": [...]}
//   DELETE /__fault__  clears every rule (204)
//   GET    /__stats__  {"requests": n, "body_bytes": b,
//                       "paths": {"/v2/…": {"requests": n, "body_bytes": b}}}
//          body_bytes: response body bytes the proxy actually sent to clients
//          (after faults), per request path without the query string.
//   DELETE /__stats__  resets the counters (204)
//
// As a module: `const p = await startFaultProxy(target, { host, port }); p.url; await p.close()`
// (default a free 127.0.0.1 port; port 80 gives a URL without a port).

import http from 'node:http';
import { pathToFileURL } from 'node:url';

const CONTROL_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
  'access-control-allow-headers': 'Content-Type',
  'cache-control': 'no-store',
};
const KINDS = new Set(['drop', 'stall', 'flip']);
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade']);

/** A rule from its JSON, or an Error saying what is wrong. */
function parseRule(raw) {
  if (!raw || typeof raw !== 'object') return new Error('a rule is a JSON object');
  if (!KINDS.has(raw.kind)) return new Error(`kind must be drop, stall or flip, not ${JSON.stringify(raw.kind)}`);
  const int = (v, d) => (v === undefined ? d : Number.isSafeInteger(v) && v >= 0 ? v : NaN);
  const rule = {
    kind: raw.kind,
    path: raw.path === undefined ? '' : String(raw.path),
    after_bytes: int(raw.after_bytes, 0),
    times: int(raw.times, 1),
    method: raw.method === undefined ? null : String(raw.method).toUpperCase(),
  };
  if (Number.isNaN(rule.after_bytes) || Number.isNaN(rule.times)) {
    return new Error('after_bytes and times must be whole numbers ≥ 0');
  }
  return rule;
}

function newStats() {
  return { requests: 0, body_bytes: 0, paths: {} };
}

export async function startFaultProxy(targetUrl, { host = '127.0.0.1', port = 0 } = {}) {
  const target = new URL(targetUrl);
  if (target.protocol !== 'http:') throw new Error(`fault_proxy: only http:// targets, not ${targetUrl}`);
  const agent = new http.Agent({ keepAlive: true });
  let faults = [];
  let stats = newStats();
  const held = new Set(); // stalled responses, ended on close()
  let self = '';

  const pathStats = (p) => (stats.paths[p] ||= { requests: 0, body_bytes: 0 });

  function takeRule(method, pathname) {
    const rule = faults.find((r) => r.times > 0 && pathname.includes(r.path) && (!r.method || r.method === method));
    if (!rule) return null;
    rule.times -= 1;
    faults = faults.filter((r) => r.times > 0);
    return { ...rule };
  }

  function control(req, res, pathname) {
    const reply = (status, body) => {
      const headers = { ...CONTROL_HEADERS };
      if (body !== undefined) headers['content-type'] = 'application/json';
      res.writeHead(status, headers);
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') return reply(204);
    if (pathname === '/__stats__' && req.method === 'GET') return reply(200, stats);
    if (pathname === '/__stats__' && req.method === 'DELETE') {
      stats = newStats();
      return reply(204);
    }
    if (pathname === '/__fault__' && req.method === 'GET') return reply(200, { faults });
    if (pathname === '/__fault__' && req.method === 'DELETE') {
      faults = [];
      return reply(204);
    }
    if (pathname === '/__fault__' && req.method === 'POST') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        let parsed;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch (e) {
          return reply(400, { error: `not JSON: ${e.message}` });
        }
        const rules = (Array.isArray(parsed) ? parsed : [parsed]).map(parseRule);
        const bad = rules.find((r) => r instanceof Error);
        if (bad) return reply(400, { error: bad.message });
        faults.push(...rules.filter((r) => r.times > 0));
        return reply(200, { faults });
      });
      return undefined;
    }
    return reply(404, { error: `no control endpoint ${req.method} ${pathname}` });
  }

  function rewriteLocation(value) {
    if (!value) return value;
    try {
      const loc = new URL(value, target);
      if (loc.origin !== target.origin) return value;
      return self + loc.pathname + loc.search + loc.hash;
    } catch {
      return value;
    }
  }

  // Sends the upstream body to the client, applying `rule`; counts bytes.
  function relayBody(upRes, res, rule, counter) {
    let sent = 0;
    const count = (n) => {
      sent += n;
      counter.body_bytes += n;
      stats.body_bytes += n;
    };
    upRes.on('data', (chunk) => {
      let out = chunk;
      let stop = null;
      if (rule && rule.kind === 'flip' && rule.after_bytes >= sent && rule.after_bytes < sent + chunk.length) {
        out = Buffer.from(chunk);
        out[rule.after_bytes - sent] ^= 0xff;
      } else if (rule && rule.kind !== 'flip' && sent + chunk.length >= rule.after_bytes) {
        out = chunk.subarray(0, rule.after_bytes - sent);
        stop = rule.kind;
      }
      count(out.length);
      const flushed = () => {
        if (stop === 'drop') res.socket?.destroy();
      };
      const ok = out.length ? res.write(out, flushed) : (flushed(), true);
      if (stop) {
        upRes.pause();
        upRes.removeAllListeners('data');
        if (stop === 'stall') held.add(res);
        else upRes.destroy();
      } else if (!ok) {
        upRes.pause();
        res.once('drain', () => upRes.resume());
      }
    });
    upRes.on('end', () => res.end());
    upRes.on('error', () => res.socket?.destroy());
    res.on('close', () => {
      held.delete(res);
      upRes.destroy();
    });
  }

  function forward(req, res, url) {
    stats.requests += 1;
    const counter = pathStats(url.pathname);
    counter.requests += 1;
    const headers = { ...req.headers, host: target.host };
    for (const h of HOP_BY_HOP) delete headers[h];
    const upReq = http.request({
      host: target.hostname,
      port: target.port || 80,
      method: req.method,
      path: req.url,
      headers,
      agent,
    });
    upReq.on('response', (upRes) => {
      const out = { ...upRes.headers };
      for (const h of HOP_BY_HOP) delete out[h];
      if (out.location) out.location = rewriteLocation(out.location);
      res.writeHead(upRes.statusCode, upRes.statusMessage, out);
      const rule = req.method === 'HEAD' ? null : takeRule(req.method, url.pathname);
      relayBody(upRes, res, rule, counter);
    });
    upReq.on('error', (e) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault_proxy: the target did not answer: ${e.message}\n`);
      } else {
        res.socket?.destroy();
      }
    });
    res.on('close', () => {
      if (!res.writableFinished) upReq.destroy();
    });
    req.pipe(upReq);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://proxy.invalid');
    if (url.pathname === '/__fault__' || url.pathname === '/__stats__') return control(req, res, url.pathname);
    return forward(req, res, url);
  });
  server.requestTimeout = 0; // long uploads and held (stalled) answers
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  // On port 80 the URL has no port, as a registry's behind a web server.
  self = `http://${host}${server.address().port === 80 ? '' : `:${server.address().port}`}`;
  return {
    url: self,
    server,
    close: () =>
      new Promise((resolve) => {
        for (const res of held) res.socket?.destroy();
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  const targetUrl = process.argv[2];
  if (!targetUrl) {
    console.error('usage: node tests/registry/fault_proxy.mjs TARGET_URL');
    process.exit(2);
  }
  try {
    const proxy = await startFaultProxy(targetUrl);
    console.log(proxy.url);
    const stop = () => proxy.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
}
