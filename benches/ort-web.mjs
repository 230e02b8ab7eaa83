// ONNX Runtime Web beside the page's CPU path, in one Chromium run, in turns: the page's
// relaxed-SIMD build, its plain build, ORT's wasm backend with 2 threads and with 1. The same
// model (the baseline's layers; ORT gets benches/onnx_vae.py's graph, f32, random weights).
// Each turn opens its page in a fresh browser context (an empty cache: a first visit) and
// reports:
// - cold: navigation → the first reconstruction's pixels. For the page, the start screen's
//   (`window.vaeLabFirstReconstructionMs`): its HTML and loader, the models list, the first
//   model's weights (fetched, SHA-256 checked) and the first build (the fused kernels alone:
//   fetched, compiled, started), which checks the weights' floats and shapes, encodes and decodes
//   one digit, drawn on the start screen; and the app's (`vaeLab.firstReconstructionMs`): the
//   page's build (fetched after the first, compiled, started), the app's mount, the weights read
//   again and its first encode + decode, on the Draw mode's canvas. For ORT: its
//   HTML, the runtime's module and wasm (fetched, compiled, started, with its threads),
//   `InferenceSession.create` (the model fetched and prepared) and its first `run`. With the
//   bytes the server sent until then, to the page, its workers and its service worker (every
//   file gzipped as a static host would).
// - warm: reconstruct-1, the median of 50 runs of 20 back-to-back calls.
// Everything is served cross-origin isolated (COOP/COEP), which ORT's threads need and which
// gives both a 5 µs clock.
//
//   pip install onnx numpy && python3 benches/onnx_vae.py target/ort/vae.onnx
//   ORT_WEB=/path/to/node_modules/onnxruntime-web node benches/ort-web.mjs
//
// onnxruntime-web is not a dependency of the project (`npm install onnxruntime-web` anywhere);
// without it or the ONNX file this says so and exits. Needs the built page (dist/).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch } from '../tests/e2e/chromium.mjs';
import { serve } from '../tests/e2e/server.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODEL = path.join(ROOT, 'target', 'ort', 'vae.onnx');
const ORT = process.env.ORT_WEB ? path.join(process.env.ORT_WEB, 'dist') : null;
const ROUNDS = 3;
const TIMING = { iters: 50, repeat: 20 };
const TIMEOUT = 300_000;

const missing = [
  !ORT || !fs.existsSync(path.join(ORT, 'ort.wasm.min.mjs')) ? 'onnxruntime-web (ORT_WEB=<its folder>)' : null,
  !fs.existsSync(MODEL) ? `${path.relative(ROOT, MODEL)} (python3 benches/onnx_vae.py ${path.relative(ROOT, MODEL)})` : null,
].filter(Boolean);
if (missing.length > 0) {
  console.log(`ort-web: skipped, missing ${missing.join(' and ')}`);
  process.exit(0);
}
const version = JSON.parse(fs.readFileSync(path.join(ORT, '..', 'package.json'), 'utf8')).version;

// ORT's page: the session, and the same timing loop as the page's bench hook.
const BENCH_PAGE = `<!doctype html><meta charset="utf-8"><title>ORT Web</title>
<script type="module">
import * as ort from './ort/ort.wasm.min.mjs';
const threads = Number(new URLSearchParams(location.search).get('threads'));
ort.env.wasm.numThreads = threads;
ort.env.wasm.wasmPaths = new URL('./ort/', location.href).href;
window.addEventListener('unhandledrejection', (e) => { window.ortError = String(e.reason?.message ?? e.reason); });
const session = await ort.InferenceSession.create('./ort/vae.onnx', { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
const image = new ort.Tensor('float32', Float32Array.from({ length: 784 }, (_, i) => ((i * 7919) % 97) / 97), [1, 1, 28, 28]);
const once = async () => (await session.run({ image })).reconstruction.data;
await once();
window.ortFirstMs = performance.now();
window.ortBench = async ({ iters, repeat }) => {
  for (let i = 0; i < 20; i++) await once();
  const times = [];
  for (let i = 0; i < iters; i++) {
    const start = performance.now();
    for (let r = 0; r < repeat; r++) await once();
    times.push((performance.now() - start) / repeat);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], isolated: crossOriginIsolated, threads: ort.env.wasm.numThreads };
};
window.ortReady = true;
</script>`;

const files = new Map([
  ['ort-bench.html', Buffer.from(BENCH_PAGE)],
  ['ort/vae.onnx', fs.readFileSync(MODEL)],
  ...['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'].map((f) => [`ort/${f}`, fs.readFileSync(path.join(ORT, f))]),
]);
const server = await serve(path.join(ROOT, 'dist'), {
  files,
  headers: { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
  gzipFiles: true,
});
const browser = await launch();
const CONTENDERS = [
  { name: 'page, relaxed-SIMD build', url: '?backend=cpu' },
  { name: 'page, plain SIMD build', url: '?backend=cpu&simd=plain' },
  { name: `ORT Web ${version}, wasm, 2 threads`, url: 'ort-bench.html?threads=2', ort: true },
  { name: `ORT Web ${version}, wasm, 1 thread`, url: 'ort-bench.html?threads=1', ort: true },
];
const results = new Map(CONTENDERS.map((c) => [c.name, { warm: [], cold: [], bytes: [], app: [] }]));
// Navigation → `at` ms, and the bytes the server sent since the navigation until then.
const coldOf = async (page, at) => {
  const origin = await page.evaluate(() => performance.timeOrigin);
  const sent = server.sent.filter((s) => s.at >= origin && s.at <= origin + at);
  return { ms: at, bytes: sent.reduce((sum, s) => sum + s.bytes, 0), files: sent.map((s) => `${s.path} ${s.bytes}`) };
};
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const contender of CONTENDERS) {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        page.on('pageerror', (e) => console.error(`${contender.name}: ${e.message}`));
        console.error(`round ${round + 1}: ${contender.name}`);
        await page.goto(server.url + contender.url);
        let ms, cold;
        if (contender.ort) {
          await page.waitForFunction(() => window.ortReady || window.ortError, null, { timeout: TIMEOUT });
          const failed = await page.evaluate(() => window.ortError);
          if (failed) throw new Error(`ORT Web: ${failed}`);
          cold = await coldOf(page, await page.evaluate(() => window.ortFirstMs));
          const r = await page.evaluate((t) => window.ortBench(t), TIMING);
          if (!r.isolated) throw new Error('ORT page not cross-origin isolated: its threads would not start');
          ms = r.ms;
        } else {
          await page.waitForFunction(() => window.vaeLab?.firstReconstructionMs !== undefined, null, { timeout: TIMEOUT });
          const [screen, app] = await page.evaluate(() => [window.vaeLabFirstReconstructionMs, window.vaeLab.firstReconstructionMs]);
          if (screen === undefined) throw new Error('the start screen drew no first reconstruction');
          cold = await coldOf(page, screen);
          results.get(contender.name).app.push(app);
          ms = await page.evaluate((t) => window.vaeLab.bench({ op: 'reconstruct', batch: 1, backend: 'cpu', ...t }), TIMING);
        }
        const r = results.get(contender.name);
        r.warm.push(ms);
        r.cold.push(cold.ms);
        r.bytes.push(cold.bytes);
        if (round === 0) console.error(`  sent before the first reconstruction: ${cold.files.join(', ')}`);
      } finally {
        await context.close();
      }
    }
  }
} finally {
  await browser.close();
  server.close();
}
const fmt = (v) => v.toFixed(3);
const rounds = Array.from({ length: ROUNDS }, (_, i) => `round ${i + 1}`).join(' | ');
console.log(`ORT Web ${version}; ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores; ${ROUNDS} rounds in turns, each in a fresh browser context.\n`);
console.log("Cold: navigation → the first reconstruction (ms; the page's on its start screen, then its app's), and the gzip bytes sent until then:\n");
console.log(`| | ${rounds} | MB gzip |`);
console.log('|---|' + '---|'.repeat(ROUNDS + 1));
for (const [name, r] of results) {
  console.log(`| ${name} | ${r.cold.map((v) => v.toFixed(0)).join(' | ')} | ${r.bytes.map((b) => (b / 1e6).toFixed(2)).join(', ')} |`);
  if (r.app.length) console.log(`| ${name}: the app's own (Draw) | ${r.app.map((v) => v.toFixed(0)).join(' | ')} | |`);
}
console.log(`\nWarm: reconstruct-1 (baseline), median of ${TIMING.iters} × ${TIMING.repeat} calls (ms):\n`);
console.log(`| | ${rounds} |`);
console.log('|---|' + '---|'.repeat(ROUNDS));
for (const [name, r] of results) console.log(`| ${name} | ${r.warm.map(fmt).join(' | ')} |`);
