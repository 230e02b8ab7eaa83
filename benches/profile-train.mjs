// Chromium's CPU profile of the Train mode's worker on the CPU path (the relaxed-SIMD one, which
// Chromium runs): where training in the page spends its time. Trains the baseline (batch 128) on the built page (dist/), with the training
// worker's build swapped for one that keeps its function names (the shipped one loses them in
// wasm-opt), samples the worker with CDP's Profiler over 10 steps after 3 of warm-up, prints the
// self time per function and per part of the step, and writes target/train-worker.cpuprofile
// (opens in DevTools' Performance panel). Run it with: bash scripts/profile-train.sh
// (Node 20 needs --experimental-websocket for the raw CDP connection to the worker, which
// Playwright's CDP sessions cannot address.)
import fs from 'node:fs';
import path from 'node:path';
import { freshProfile } from '../tests/e2e/chromium.mjs';
import { serve } from '../tests/e2e/server.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const NAMED = path.resolve(process.argv[2] ?? path.join(ROOT, 'target', 'profile-train'));
const OUT = path.join(ROOT, 'target', 'train-worker.cpuprofile');
const TIMEOUT = 300_000;
const WARM_UP = 3;
const STEPS = 10;

// A CDP connection to the browser; `sessionId` addresses an attached target (flat mode).
function connect(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const pending = new Map();
    let next = 1;
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      const waiting = pending.get(message.id);
      if (!waiting) return;
      pending.delete(message.id);
      if (message.error) waiting.reject(new Error(`${message.error.message} (${message.error.code})`));
      else waiting.resolve(message.result);
    };
    ws.onerror = () => reject(new Error(`no CDP connection to ${url}`));
    ws.onopen = () => resolve({
      send: (method, params = {}, sessionId = undefined) => new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
      }),
      close: () => ws.close(),
    });
  });
}

// The part of a training step a function belongs to, by its (demangled) name.
const PARTS = [
  ['our convolution gradients (kernels::conv_gradients)', /conv_gradients/],
  ['gemm: micro-kernels', /^gemm_\w+::microkernel/],
  ['gemm: packing and the rest', /^gemm_/],
  ['flex convolutions (im2col, col2im, copies)', /burn_flex::ops::(conv|conv_transpose|conv_common|unfold)/],
  ['flex other ops', /burn_flex/],
  ['autodiff bookkeeping', /burn_autodiff/],
  ['allocator / memory', /dlmalloc|memcpy|memset|memmove|alloc::/],
  ['JS / idle / GC', /^\((idle|program|garbage collector)\)$|^$/],
];

// The worker Chromium runs: the relaxed-SIMD page build starts `vae-lab-train-relaxed-simd`.
const BUILD = 'vae-lab-train-relaxed-simd';
const files = new Map([`${BUILD}.js`, `${BUILD}_bg.wasm`].map((f) => [f, fs.readFileSync(path.join(NAMED, f))]));
const server = await serve(path.join(ROOT, 'dist'), { files });
const port = 9300 + Math.floor(Math.random() * 500);
const context = await freshProfile({ flags: [`--remote-debugging-port=${port}`] });
let cdp = null;
try {
  const page = context.pages()[0] ?? await context.newPage();
  await page.goto(`${server.url}?backend=cpu&m=train`);
  await page.getByTestId('model-ready').first().waitFor({ timeout: TIMEOUT });
  for (const [id, value] of [['train-digits', '3840'], ['train-epochs', '1'], ['train-seed', '1']]) {
    await page.getByTestId(id).fill(value);
    await page.getByTestId(id).dispatchEvent('change');
  }
  const { webSocketDebuggerUrl } = await (await fetch(`http://127.0.0.1:${port}/json/version`)).json();
  cdp = await connect(webSocketDebuggerUrl);
  await page.getByTestId('train-go').click();
  const step = () => page.getByTestId('train-phase').getAttribute('data-step').then(Number);
  const reach = (n) => page.waitForFunction((n) => Number(document.querySelector('[data-testid=train-phase]')?.dataset.step) >= n, n, { timeout: TIMEOUT });
  let worker = null;
  for (let i = 0; i < 300 && !worker; i++) {
    const { targetInfos } = await cdp.send('Target.getTargets');
    worker = targetInfos.find((t) => t.type === 'worker' && t.url.includes('train-worker'));
    if (!worker) await new Promise((r) => setTimeout(r, 100));
  }
  if (!worker) throw new Error('the training worker never showed up as a CDP target');
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: true });
  await cdp.send('Profiler.enable', {}, sessionId);
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 }, sessionId);
  await reach(WARM_UP);
  const first = await step();
  await cdp.send('Profiler.start', {}, sessionId);
  const started = Date.now();
  await reach(first + STEPS);
  const { profile } = await cdp.send('Profiler.stop', {}, sessionId);
  const steps = (await step()) - first;
  const seconds = (Date.now() - started) / 1000;
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, JSON.stringify(profile));

  const total = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  const byName = new Map();
  for (const n of profile.nodes) byName.set(n.callFrame.functionName, (byName.get(n.callFrame.functionName) ?? 0) + (n.hitCount ?? 0));
  const named = [...byName].filter(([name]) => /[a-z_]{3,}::/.test(name)).length;
  const parts = new Map(PARTS.map(([label]) => [label, 0]));
  let rest = 0;
  for (const [name, hits] of byName) {
    const part = PARTS.find(([, re]) => re.test(name));
    if (part) parts.set(part[0], parts.get(part[0]) + hits);
    else rest += hits;
  }
  const pct = (hits) => `${(100 * hits / total).toFixed(1).padStart(5)} %`;
  console.log(`Train worker, CPU path, baseline batch 128: ${steps} steps in ${seconds.toFixed(1)} s under the profiler `
    + `(${(steps * 128 / seconds).toFixed(0)} images/s), ${total} samples; ${named} Rust function names`);
  console.log('\nself time by part of the step:');
  for (const [label, hits] of parts) console.log(`  ${pct(hits)}  ${label}`);
  console.log(`  ${pct(rest)}  everything else`);
  console.log('\nself time by function (top 25):');
  for (const [name, hits] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${pct(hits)}  ${name.slice(0, 150) || '(anonymous)'}`);
  console.log(`\nprofile: ${path.relative(ROOT, OUT)}`);
} finally {
  cdp?.close();
  await context.close();
  server.close();
}
