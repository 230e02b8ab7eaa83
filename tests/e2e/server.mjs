// A tiny static server for dist/ on 127.0.0.1 (random port), for the browser tests and the
// benchmark. Like a real static host it gzips responses when the browser accepts it, so the
// benchmark's transfer sizes are what a visitor downloads.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css',
  '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml',
};
// Already compressed: sent as they are.
const STORED = new Set(['.gz', '.png']);

export async function serve(root) {
  const gzipped = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404).end('not found'); return; }
      const headers = { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' };
      if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '') && !STORED.has(path.extname(file))) {
        if (!gzipped.has(file)) gzipped.set(file, zlib.gzipSync(data, { level: 6 }));
        data = gzipped.get(file);
        headers['content-encoding'] = 'gzip';
      }
      headers['content-length'] = data.length;
      res.writeHead(200, headers);
      res.end(data);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}
