// Trunk's post-build hook (Trunk.toml): finishes the staged dist/ before Trunk moves it in place.
// - A strict Content-Security-Policy in index.html: scripts only from this origin plus the
//   inline loader by its SHA-256 (Trunk writes it, so its hash is known only now), wasm
//   compilation ('wasm-unsafe-eval', never 'unsafe-eval'), nothing from another origin.
// - sw.js gets this build's VERSION (a hash of every file), the app shell to precache and the
//   names that carry their own hash (cache first).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('run by Trunk as a post_build hook (TRUNK_STAGING_DIR is not set)');
const sha256 = (data, encoding) => createHash('sha256').update(data).digest(encoding);

function files(root, sub = '') {
  return fs.readdirSync(path.join(root, sub), { withFileTypes: true }).flatMap((e) => {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    return e.isDirectory() ? files(root, rel) : [rel];
  }).sort();
}

// The builds beside the main one that this dist/ has, for the loader (scripts/serve.sh serves
// the main build alone first).
const indexPath = path.join(dir, 'index.html');
let html = fs.readFileSync(indexPath, 'utf8');
const builds = ['first', 'relaxed-simd', 'webgpu', 'train', 'train-relaxed-simd'].filter((b) => fs.existsSync(path.join(dir, `vae-lab-${b}_bg.wasm`)));
if (!/start\(\{ base:/.test(html)) throw new Error("index.html's loader call is not `start({ base: ...`");
html = html.replace(/start\(\{ base:/, `start({ builds: ${JSON.stringify(builds)}, base:`);

// The CSP.
const inline = [...html.matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
const policy = [
  "default-src 'self'",
  `script-src 'self' 'wasm-unsafe-eval' ${inline.map((s) => `'sha256-${sha256(s, 'base64')}'`).join(' ')}`.trim(),
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');
if (!html.includes('<head>')) throw new Error('index.html has no plain <head> to put the CSP in');
html = html.replace('<head>', `<head>\n  <meta http-equiv="Content-Security-Policy" content="${policy}">`);
fs.writeFileSync(indexPath, html);

// The service worker.
const all = files(dir).filter((f) => f !== 'sw.js');
const version = sha256(all.map((f) => `${f}\0${sha256(fs.readFileSync(path.join(dir, f)), 'hex')}`).join('\n'), 'hex').slice(0, 16);
// Trunk's content-hashed names: <name>-<16 hex>.js / _bg.wasm / .css.
const hashed = all.map((f) => path.basename(f)).filter((f) => /-[0-9a-f]{12,}(_bg\.wasm|\.js|\.css)$/.test(f));
// The shell: everything but the builds of the page (the loader fetches one of the CPU, relaxed-
// SIMD CPU and WebGPU builds; the page lists it to the worker, which caches it then), the training
// worker's build and digits (Train mode) and the models, which are cached as they are used (the
// models by their hash); models/manifest.json says which models there are.
const usedOnly = (f) => /^vae-lab-.*(_bg\.wasm|\.js)$/.test(f) || f.startsWith('data/train-sample');
const precache = ['./', ...all.filter((f) => !usedOnly(f) && (!f.startsWith('models/') || f === 'models/manifest.json'))];
const swPath = path.join(dir, 'sw.js');
const sw = fs.readFileSync(swPath, 'utf8')
  .replace("'__VERSION__'", JSON.stringify(version))
  .replace('__PRECACHE__', JSON.stringify(precache))
  .replace('__HASHED__', JSON.stringify(hashed));
fs.writeFileSync(swPath, sw);
console.log(`finish-dist: CSP with ${inline.length} inline script hash(es); sw.js version ${version}, ${precache.length} files precached, ${hashed.length} hashed`);
