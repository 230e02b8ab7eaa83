// Browser benchmark: the built page (dist/) in headless Chromium, per backend (WebGPU over
// SwiftShader with --enable-unsafe-webgpu, and ?backend=cpu). Times the page's own code path
// through window.vaeLab (see src/app/bench_hook.rs), prints a markdown table and writes
// target/web-bench.json. Run it with: bash scripts/bench-web.sh
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { SWIFTSHADER, chromiumVersion, freshProfile } from '../tests/e2e/chromium.mjs';
import { serve } from '../tests/e2e/server.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIST = path.join(ROOT, 'dist');
const OUT = path.join(ROOT, 'target', 'web-bench.json');
const TIMEOUT = 300_000;
const BACKENDS = [
  // SwiftShader is a software adapter: the page uses it only when the link asks.
  { name: 'webgpu', query: '?backend=webgpu', flags: SWIFTSHADER,
    iters: { decode1: 30, recon1: 30, decode900: 2, inpaint20: 3 }, repeat: 1, train: true },
  // One CPU call takes under a millisecond and the page's clock ticks in 0.1 ms: each timed run
  // is 20 back-to-back calls.
  { name: 'cpu', query: '?backend=cpu', flags: [], iters: { decode1: 50, recon1: 50, decode900: 5, inpaint20: 10 }, repeat: 20, train: true },
  // The CPU build without fused multiply-adds (what a browser without wasm relaxed SIMD runs),
  // in the same run; it starts the training worker without them too.
  { name: 'cpu', id: 'cpu-plain', query: '?backend=cpu&simd=plain', flags: [], iters: { decode1: 50, recon1: 50, decode900: 5, inpaint20: 10 }, repeat: 20, train: true },
];
const only = process.argv.slice(2);

// Training in the page (the Train mode's Web Workers: burn's flex in wasm on the CPU, each worker
// computing part of every batch; burn-wgpu on WebGPU, one worker): baseline, batch 128, one epoch
// of `digits`; images/s of the steps alone over the last 20 (as the page shows it) and by the wall
// clock over the run. `workers`: on the CPU, how many.
async function trainInPage(page, backend, digits, workers) {
  await page.goto(`${server.url}${backend.query}&m=train`);
  await page.getByTestId('model-ready').first().waitFor({ timeout: TIMEOUT });
  for (const [id, value] of [['train-digits', String(digits)], ['train-epochs', '1'], ['train-seed', '1']]) {
    await page.getByTestId(id).fill(value);
    await page.getByTestId(id).dispatchEvent('change');
  }
  if (workers) await page.getByTestId('train-workers').selectOption(String(workers));
  await page.getByTestId('train-go').click();
  // The wall clock from the end of the first step to the end of the last: the steps and what the
  // worker does between them (the live view's snapshots every 1.5 s), as a visitor waits in a long
  // run; not the epoch's evaluation after the last step (once an epoch: 79 steps by default).
  const stepOf = () => Number(document.querySelector('[data-testid=train-phase]')?.dataset.step ?? 0);
  const from = await (await page.waitForFunction(stepOf, null, { timeout: 4 * TIMEOUT, polling: 10 })).jsonValue();
  const started = Date.now();
  const to = digits / 128;
  await page.waitForFunction((to) => Number(document.querySelector('[data-testid=train-phase]')?.dataset.step ?? 0) >= to, to, { timeout: 4 * TIMEOUT, polling: 10 });
  const seconds = (Date.now() - started) / 1000;
  await page.locator('[data-testid=train-phase][data-phase=finished]').waitFor({ timeout: 4 * TIMEOUT });
  return {
    steps: Number(await page.getByTestId('train-phase').getAttribute('data-images-per-second')),
    wall: ((to - from) * 128) / seconds,
  };
}

// The native trainer's figure for the same step on the same machine, in the same run.
function nativeTrainImagesPerSecond() {
  const run = spawnSync('cargo', ['bench', '--locked', '--bench', 'throughput', '--', '=train step baseline batch 128'], { cwd: ROOT, encoding: 'utf8' });
  const match = /train step baseline batch 128\s+[\d.]+ ms\s+(\d+) img\/s/.exec(run.stdout ?? '');
  if (!match) console.error(`the native trainer's benchmark did not run: ${run.stderr?.slice(-500)}`);
  return match ? Number(match[1]) : null;
}

const server = await serve(DIST);
const results = [];
try {
  for (const backend of BACKENDS.filter((b) => only.length === 0 || only.includes(b.id ?? b.name))) {
    // A fresh profile: a cold cache, as a first visit.
    const context = await freshProfile({ flags: backend.flags });
    try {
      const page = context.pages()[0] ?? await context.newPage();
      await page.goto(server.url + backend.query);
      await page.waitForFunction(() => window.vaeLab?.firstReconstructionMs !== undefined, null, { timeout: TIMEOUT });
      const first = await page.evaluate(() => {
        const at = window.vaeLab.firstReconstructionMs;
        const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
          .filter((e) => e.responseEnd <= at);
        return {
          ms: at,
          // The start screen's, by the first build (www/loader.js), before the app's.
          screen: window.vaeLabFirstReconstructionMs ?? null,
          bytes: entries.reduce((sum, e) => sum + e.transferSize, 0),
          files: entries.map((e) => ({ url: new URL(e.name).pathname, bytes: e.transferSize })),
          badge: document.querySelector('[data-testid=backend-badge]')?.textContent ?? '',
        };
      });
      const bench = (options) => page.evaluate((o) => window.vaeLab.bench(o), { backend: backend.name, ...options });
      const row = {
        backend: backend.name,
        badge: first.badge.trim(),
        // Which CPU build the loader picked (the page's thread and the decode workers run it).
        relaxed_simd: await page.evaluate(() => window.vaeLabCpuBuild?.relaxedSimd ?? false),
        first_reconstruction_ms: first.ms,
        start_screen_first_reconstruction_ms: first.screen,
        bytes_until_first_reconstruction: first.bytes,
        files: first.files,
        decode1_ms: await bench({ op: 'decode', batch: 1, iters: backend.iters.decode1, repeat: backend.repeat }),
        reconstruct1_ms: await bench({ op: 'reconstruct', batch: 1, iters: backend.iters.recon1, repeat: backend.repeat }),
        // WebGPU: the same with burn's layers instead of the sub-pixel decoder (kernels::sub_pixel).
        // The page's CPU builds have no burn layers (they run kernels::cpu_fused alone).
        reconstruct1_burn_layers_ms: backend.name === 'webgpu'
          ? await bench({ op: 'reconstruct', batch: 1, iters: backend.iters.recon1, repeat: backend.repeat, kernel: false }) : null,
        // The Inside mode's call: every stage of one digit and its loss split.
        inside1_ms: await bench({ op: 'inside', batch: 1, iters: backend.iters.recon1, repeat: backend.repeat }),
        decode900_ms: await bench({ op: 'decode', batch: 900, iters: backend.iters.decode900 }),
        // WebGPU: the grid through burn's transposed-convolution kernels.
        decode900_burn_layers_ms: backend.name === 'webgpu'
          ? await bench({ op: 'decode', batch: 900, iters: 1, kernel: false }) : null,
        // The same grid without the decode workers (the CPU page's thread alone).
        decode900_one_thread_ms: backend.name === 'cpu'
          ? await bench({ op: 'decode', batch: 900, iters: backend.iters.decode900, workers: false }) : null,
        decode_workers: await page.evaluate(() => window.vaeLab.checkDecodeWorkers({ batch: 16 }).then((c) => c.workers)),
        inpaint20_ms: await bench({ op: 'inpaint', steps: 20, iters: backend.iters.inpaint20 }),
        iters: backend.iters,
      };
      // 30 steps on the CPU, with 1 worker, 2 and every core (up to 4); 10 over SwiftShader
      // (~8 s a step here), one worker.
      if (backend.train && backend.name === 'cpu') {
        row.train_images_per_second_by_workers = {};
        row.train_wall_images_per_second_by_workers = {};
        for (const workers of [...new Set([1, 2, Math.min(4, os.cpus().length)])]) {
          const { steps, wall } = await trainInPage(page, backend, 3840, workers);
          row.train_images_per_second_by_workers[workers] = steps;
          row.train_wall_images_per_second_by_workers[workers] = wall;
        }
        row.train_images_per_second = Math.max(...Object.values(row.train_images_per_second_by_workers));
      } else if (backend.train) {
        const { steps, wall } = await trainInPage(page, backend, 1280);
        row.train_images_per_second = steps;
        row.train_wall_images_per_second = wall;
      }
      results.push(row);
      console.error(`${backend.name}: ${JSON.stringify({ ...row, files: undefined })}`);
    } finally {
      await context.close();
    }
  }
} finally {
  server.close();
}

// Each build of the page (vae-lab-<hash>: CPU-only; vae-lab-relaxed-simd: the same with FMA;
// vae-lab-webgpu; vae-lab-train and vae-lab-train-relaxed-simd) and its wasm size.
const wasm = fs.readdirSync(DIST, { recursive: true }).filter((f) => f.endsWith('.wasm'))
  .map((f) => ({ file: f, bytes: fs.statSync(path.join(DIST, f)).size }));
const report = {
  date: new Date().toISOString(),
  machine: `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores`,
  chromium: await chromiumVersion(),
  wasm_bytes: wasm,
  results,
};
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, JSON.stringify(report, null, 2));

const ms = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
console.log(`Browser benchmark, ${report.date.slice(0, 10)}, ${report.machine}, Chromium ${report.chromium} (medians of warm runs, ms)\n`);
console.log('| backend | first reconstruction (cold) | gzip bytes until then | decode-1 | reconstruct-1 | reconstruct-1, burn layers | Inside, all stages of 1 digit | decode-900 | decode-900, burn layers | decode-900, page thread only | inpaint 20 steps |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const build = r.backend === 'cpu' ? (r.relaxed_simd ? ', relaxed SIMD (FMA) build' : ', plain SIMD build') : '';
  console.log(`| ${r.badge}${build} | ${ms(r.first_reconstruction_ms)} | ${(r.bytes_until_first_reconstruction / 1e6).toFixed(2)} MB | ${ms(r.decode1_ms)} | ${ms(r.reconstruct1_ms)} | ${r.reconstruct1_burn_layers_ms === null ? '–' : ms(r.reconstruct1_burn_layers_ms)} | ${ms(r.inside1_ms)} | ${ms(r.decode900_ms)}${r.decode_workers ? ` (${r.decode_workers} workers)` : ''} | ${r.decode900_burn_layers_ms === null ? '–' : ms(r.decode900_burn_layers_ms)} | ${r.decode900_one_thread_ms === null ? '–' : ms(r.decode900_one_thread_ms)} | ${ms(r.inpaint20_ms)} |`);
}
const trained = results.filter((r) => r.train_images_per_second);
if (trained.length > 0) {
  report.native_train_images_per_second = nativeTrainImagesPerSecond();
  const native = report.native_train_images_per_second;
  const figure = (ips) => `${ips.toFixed(ips < 10 ? 1 : 0)}${native ? ` (${(100 * ips / native).toFixed(1)} % of native)` : ''}`;
  const wall = (ips) => (ips ? `; ${ips.toFixed(ips < 10 ? 1 : 0)} by the wall clock` : '');
  const inPage = trained.flatMap((r) => r.train_images_per_second_by_workers
    ? Object.entries(r.train_images_per_second_by_workers).map(([n, ips]) => `${r.backend}${r.relaxed_simd ? ' (relaxed SIMD)' : ' (plain SIMD)'} ${n} worker${n === '1' ? '' : 's'} ${figure(ips)}${wall(r.train_wall_images_per_second_by_workers?.[n])}`)
    : [`${r.backend} 1 worker ${figure(r.train_images_per_second)}${wall(r.train_wall_images_per_second)}`]);
  console.log(`\nTraining baseline, batch 128, images/s of the steps (the wall clock's counts the live view's snapshots between them too): in the page ${inPage.join(', ')}; native trainer ${native ?? '–'} (same run)`);
  fs.writeFileSync(OUT, JSON.stringify(report, null, 2));
}
console.log(`\nwasm: ${wasm.map((w) => `${w.file} ${(w.bytes / 1e6).toFixed(2)} MB`).join(', ')} raw; JSON in ${path.relative(ROOT, OUT)}`);
