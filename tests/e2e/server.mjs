// A tiny static server for dist/ on 127.0.0.1 (random port), for the browser tests and the
// benchmark. Like a real static host it gzips responses when the browser accepts it, so the
// benchmark's transfer sizes are what a visitor downloads.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css',
  '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
};
// Already compressed: sent as they are.
const STORED = new Set(['.gz', '.png']);

// `base`: the sub-path dist/ is served under ('/vae-lab/': like a project page of a static host);
// anything outside it is a 404. `files`: a Map from paths inside dist/ ('models/manifest.json') to
// the bytes to serve instead (a damaged file, a new deploy) or null (a 404), changeable while serving.
// `requested`: every URL asked for; `sent`: every response, `{path, bytes, at}` (bytes as sent,
// gzipped or not; `at`: Date.now() once written), whoever asked (the page, a worker, the service worker). `headers`: sent with every file (benches/ort-web.mjs: cross-origin isolation, for ORT's threads).
// `gzipFiles`: the files of `files` gzipped too, like the rest (benches/ort-web.mjs: ORT's runtime).
// `port`: 0 picks a free one. Files are read afresh for each request (scripts/serve.sh replaces
// dist/ while serving); their gzip is kept while their size and time are the same.
export async function serve(root, { base = '/', files = new Map(), headers: always = {}, port = 0, gzipFiles = false } = {}) {
  const gzipped = new Map();
  // Every path asked for, as sent (a test checks what the page fetched).
  const requested = [];
  const sent = [];
  const server = http.createServer((req, res) => {
    requested.push(req.url);
    const url = new URL(req.url, 'http://localhost');
    if (!url.pathname.startsWith(base)) { res.writeHead(404).end('not found'); return; }
    const inside = decodeURIComponent(url.pathname.slice(base.length));
    let file = path.join(root, inside);
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    const rel = path.relative(root, file);
    // null: the file is gone from the host.
    if (files.has(rel) && files.get(rel) === null) { res.writeHead(404).end('not found'); return; }
    const replaced = files.get(rel);
    const read = replaced ? (done) => done(null, replaced) : (done) => fs.readFile(file, done);
    read((err, data) => {
      if (err) { res.writeHead(404).end('not found'); return; }
      let stamp = replaced ? `replaced:${data.length}` : '';
      try { const st = fs.statSync(file); stamp ||= `${st.size}:${st.mtimeMs}`; } catch {}
      const headers = { ...always, 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' };
      if ((!replaced || gzipFiles) && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '') && !STORED.has(path.extname(file))) {
        const kept = gzipped.get(file);
        if (kept?.stamp !== stamp) gzipped.set(file, { stamp, data: zlib.gzipSync(data, { level: 6 }) });
        data = gzipped.get(file).data;
        headers['content-encoding'] = 'gzip';
      }
      headers['content-length'] = data.length;
      res.writeHead(200, headers);
      res.end(data, () => sent.push({ path: url.pathname, bytes: data.length, at: Date.now() }));
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}${base}`, files, requested, sent, close: () => server.close() };
}
