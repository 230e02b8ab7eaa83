// Hosting and surviving: the built dist/ served from a sub-path, under its CSP, offline after one
// visit, picking up a new deploy; damaged or missing files; a lost WebGPU device; floods of input
// and a long run of reconstructions without memory growth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { serve } from './server.mjs';
import { ARTIFACTS, DIST, MANIFEST, ONE, SWIFTSHADER, TIMEOUT, ZERO, open, ready, reconstructionOf, servedDist } from './harness.mjs';

const CPU = { flags: [] };
const read = (file) => fs.readFileSync(path.join(DIST, file));
const entry = (variant) => MANIFEST.variants.find((e) => e.variant === variant);

// A copy of the manifest in which `variant`'s weights file is named `file`.
function manifestNaming(variant, file) {
  const manifest = structuredClone(MANIFEST);
  manifest.variants.find((e) => e.variant === variant).weights.file = file;
  return Buffer.from(JSON.stringify(manifest));
}

// A copy of the manifest in which `variant`'s `kind` file ('weights', 'metrics', 'points') is
// described as `bytes`: a damaged file the manifest agrees with.
function manifestWith(variant, kind, bytes) {
  const manifest = structuredClone(MANIFEST);
  const listed = manifest.variants.find((e) => e.variant === variant)[kind];
  listed.bytes = bytes.length;
  listed.sha256 = createHash('sha256').update(bytes).digest('hex');
  return Buffer.from(JSON.stringify(manifest));
}

// Like a project page of a static host: the page lives under a sub-path.
const server = servedDist({ base: '/vae-lab/' });

test('from a sub-path, under its CSP, fetching only from its own origin, offline after one visit', { timeout: 600_000 }, async () => {
  const { browser, page, errors } = await open(CPU, { serviceWorkers: 'allow' });
  try {
    await ready(page, `${server.url}?backend=cpu`);
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    console.log(`CSP: ${csp}`);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
    assert.doesNotMatch(csp, /'unsafe-eval'|'unsafe-inline'/);
    const [input, recon] = await reconstructionOf(page, ONE);
    assert.ok(Math.max(...recon) > 0.5 && Math.max(...input) > 0.5, 'a reconstruction online');
    // The installable app's manifest is served and names its icons.
    const manifest = await page.evaluate(async () => (await fetch(document.querySelector('link[rel=manifest]').href)).json());
    assert.equal(manifest.icons.length, 2);

    // The service worker took control and has cached every file the visit used: the page, its
    // wasm and the model among them.
    await page.waitForFunction(() => navigator.serviceWorker.controller && document.documentElement.dataset.offlineReady === 'true',
      null, { timeout: TIMEOUT, polling: 200 });
    const cached = await page.evaluate(async () =>
      (await Promise.all((await caches.keys()).map(async (n) => (await caches.open(n)).keys()))).flat().map((r) => r.url));
    assert.ok(cached.some((u) => u.endsWith('.wasm')) && cached.some((u) => u.includes('/models/baseline.bpk?sha256=')), 'wasm and model cached');

    await browser.setOffline(true);
    await ready(page, `${server.url}?backend=cpu`);
    const [, offline] = await reconstructionOf(page, ZERO);
    assert.ok(Math.max(...offline) > 0.5, 'a reconstruction offline');
    await page.screenshot({ path: path.join(ARTIFACTS, 'offline.png') });
    assert.deepEqual(errors.filter((e) => !/Failed to load resource: net::ERR_INTERNET_DISCONNECTED/.test(e)), [], 'console errors');
    assert.deepEqual(page.foreignRequests, [], 'requests to other origins');
  } finally {
    await browser.close();
  }
});

test('a new deploy is picked up on the next load, without a hard refresh', { timeout: 600_000 }, async () => {
  const deploy = await serve(DIST, { base: '/vae-lab/' });
  const { browser, page, errors } = await open(CPU, { serviceWorkers: 'allow' });
  try {
    await ready(page, `${deploy.url}?backend=cpu`);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: TIMEOUT });
    await page.getByTestId('variant-picker').selectOption('mse');
    await page.getByTestId('model-ready').waitFor({ timeout: TIMEOUT });
    // The next deploy no longer has the MSE model.
    const manifest = structuredClone(MANIFEST);
    manifest.variants = manifest.variants.filter((e) => e.variant !== 'mse');
    deploy.files.set('models/manifest.json', Buffer.from(JSON.stringify(manifest)));
    await page.reload();
    await page.getByTestId('backend-badge').filter({ hasNotText: 'Starting' }).waitFor({ timeout: TIMEOUT });
    await page.getByTestId('variant-picker').selectOption('mse');
    const message = await page.getByTestId('model-error').textContent({ timeout: TIMEOUT });
    assert.match(message, /has not been trained yet/);
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
    deploy.close();
  }
});

// Each damaged file on the host: the message the visitor gets (where), and the rest still works.
const weights = read(`models/${entry('baseline').weights.file}`);
const nanWeights = Buffer.from(weights);
// The tensors' data is the file's tail: 0xFFFF is a NaN in half precision, 0xFFFFFFFF in single.
nanWeights.fill(0xff, nanWeights.length - 512);
const points = JSON.parse(read(`models/${entry('baseline').points.file}`));
const oddPoints = Buffer.from(JSON.stringify({ ...points, means: points.means.slice(0, -1) }));
const damagedMetrics = read(`models/${entry('baseline').metrics.file}`).subarray(0, 200);
const otherWeights = read(`models/${entry('deeper').weights.file}`);
const FAULTS = [
  ['truncated weights', { 'models/baseline.bpk': weights.subarray(0, weights.length / 2) }, 'model-error', /baseline\.bpk.*has \d+ bytes/],
  ['bit-flipped weights', { 'models/baseline.bpk': Buffer.from(weights).fill(weights[4000] ^ 4, 4000, 4001) }, 'model-error', /baseline\.bpk.*checksum/],
  ['NaN weights, manifest consistent', { 'models/baseline.bpk': nanWeights, 'models/manifest.json': manifestWith('baseline', 'weights', nanWeights) }, 'model-error', /not finite/],
  ["another variant's weights, manifest consistent", { 'models/baseline.bpk': otherWeights, 'models/manifest.json': manifestWith('baseline', 'weights', otherWeights) }, 'model-error', /does not fit/],
  ['missing weights', { 'models/baseline.bpk': null }, 'model-error', /baseline\.bpk.*HTTP 404/],
  ['a corrupted manifest', { 'models/manifest.json': Buffer.from('{"variants": [') }, 'model-error', /manifest\.json is damaged/],
  ['a manifest naming an encoded path out of its folder', { 'models/manifest.json': manifestNaming('baseline', '%2e%2e%2f%2e%2e%2fetc%2fpasswd') }, 'model-error', /malformed entry for `baseline`/],
  ['damaged metrics, manifest consistent', { 'models/baseline.json': damagedMetrics, 'models/manifest.json': manifestWith('baseline', 'metrics', damagedMetrics) }, 'file-problems', /training record of the Baseline.*baseline\.json is damaged/],
  ['points with an odd number of means, manifest consistent', { 'models/baseline.points.json': oddPoints, 'models/manifest.json': manifestWith('baseline', 'points', oddPoints) }, 'file-problems', /latent map of the Baseline.*baseline\.points\.json is damaged/],
];

for (const [label, files, where, says] of FAULTS) {
  test(`${label}: a clear message, and the rest keeps working`, { timeout: 600_000 }, async () => {
    const host = await serve(DIST, { files: new Map(Object.entries(files)) });
    const { browser, page, errors } = await open(CPU);
    try {
      await page.goto(`${host.url}?backend=cpu`);
      // Explore asks for the latent points at once (the gallery's map).
      await page.getByTestId('tab-explore').click();
      const message = await page.getByTestId(where).textContent({ timeout: TIMEOUT });
      console.log(`${label}: ${message}`);
      assert.match(message, says);
      const manifestOk = !('models/manifest.json' in files) || label.includes('consistent');
      if (where === 'model-error' && manifestOk) {
        // No "still loading" where the model failed.
        assert.match(await page.getByTestId('manifold-progress').textContent(), /could not be loaded/);
        await page.getByTestId('tab-draw').click();
        await page.getByTestId('draw-message').filter({ hasText: /could not be loaded/ }).waitFor({ timeout: TIMEOUT });
      }
      if (where === 'model-error' && !manifestOk) {
        // A refused manifest: every mode says why; none says "still loading".
        await page.getByTestId('manifold-progress').filter({ hasText: /could not be listed/ }).waitFor({ timeout: TIMEOUT });
        await page.getByTestId('tab-draw').click();
        await page.getByTestId('draw-message').filter({ hasText: /could not be listed/ }).waitFor({ timeout: TIMEOUT });
        assert.doesNotMatch(await page.getByTestId('draw-message').textContent(), /still loading/);
        assert.deepEqual(host.requested.filter((p) => /passwd|%2e/i.test(p)), [], 'a refused file was fetched');
      }
      if (manifestOk) {
        // Another model, and a drawing through it.
        await page.getByTestId('tab-draw').click();
        await page.getByTestId('variant-picker').selectOption('latent10');
        await page.getByTestId('model-ready').waitFor({ timeout: TIMEOUT });
        const [, recon] = await reconstructionOf(page, ONE);
        assert.ok(Math.max(...recon) > 0.5, 'latent10 reconstructs');
      }
      // The tabs still switch, and the Report still draws.
      await page.getByTestId('tab-report').click();
      await page.getByTestId('report-table').waitFor({ timeout: TIMEOUT });
      const unexpected = errors.filter((e) => !/Failed to load resource: the server responded with a status of 404/.test(e));
      assert.deepEqual(unexpected, [], 'console errors (a panic shows here)');
    } finally {
      await browser.close();
      host.close();
    }
  });
}

test('a lost WebGPU device: the page carries on on the CPU with the same drawing, and says so', { timeout: 900_000 }, async () => {
  const { browser, page, errors } = await open({ flags: SWIFTSHADER });
  try {
    await ready(page, `${server.url}?backend=webgpu`);
    assert.match(await page.getByTestId('backend-badge').textContent(), /WebGPU/);
    await reconstructionOf(page, ONE);
    assert.equal(await page.evaluate(() => window.vaeLab.simulateDeviceLoss()), true);
    // The next stroke's inference fails on the lost device: the page reloads on the CPU build.
    const box = await page.getByTestId('draw-canvas').boundingBox();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.3, { steps: 3 });
    await page.mouse.up();
    await page.getByTestId('backend-badge').filter({ hasText: 'CPU' }).waitFor({ timeout: TIMEOUT });
    const notice = await page.getByTestId('notice').textContent({ timeout: TIMEOUT });
    console.log(`device lost: ${notice}`);
    assert.match(notice, /WebGPU stopped working.*CPU/);
    assert.doesNotMatch(notice, /[{}()]|Error/, 'one plain sentence: the detail goes to the console');
    // The drawing (both strokes) came back and is reconstructed on the CPU.
    await page.waitForFunction(() => {
      const [input, recon] = ['model-input', 'reconstruction'].map((id) => document.querySelector(`[data-testid=${id}]`)?.dataset.points);
      return Number(input) > 3 && input === recon;
    }, null, { timeout: TIMEOUT });
    assert.ok(page.wasmFiles.some((f) => /^vae-lab-(relaxed-simd|[0-9a-f]+)_bg\.wasm$/.test(f)), `wasm fetched: ${page.wasmFiles}`);
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});

test('a host that lost the WebGPU build: a WebGPU browser runs the CPU build', { timeout: 600_000 }, async () => {
  const host = await serve(DIST, { files: new Map([['vae-lab-webgpu.js', null], ['vae-lab-webgpu_bg.wasm', null]]) });
  const { browser, page, errors } = await open({ flags: SWIFTSHADER });
  try {
    await ready(page, `${host.url}?backend=webgpu`);
    assert.match(await page.getByTestId('backend-badge').textContent(), /CPU/);
    const [, recon] = await reconstructionOf(page, ONE);
    assert.ok(Math.max(...recon) > 0.5, 'a reconstruction on the CPU build');
    // Its wasm was asked for beside its bindings, and was gone too: the CPU build's ran.
    assert.ok(page.wasmFiles.some((f) => /^vae-lab-(relaxed-simd|[0-9a-f]+)_bg\.wasm$/.test(f)), `wasm fetched: ${page.wasmFiles}`);
    const unexpected = errors.filter((e) => !/Failed to load resource: the server responded with a status of 404/.test(e));
    assert.deepEqual(unexpected, [], 'console errors');
  } finally {
    await browser.close();
    host.close();
  }
});

test('floods of pointer events, fast model switching and 10,000 reconstructions: no stale result, no memory growth', { timeout: 900_000 }, async () => {
  const { browser, page, errors } = await open({ flags: ['--js-flags=--expose-gc', '--enable-precise-memory-info'] });
  try {
    await ready(page, `${server.url}?backend=cpu`);
    // 5,000 pointer moves in one task: the page coalesces them, and what it shows at the end is
    // the whole stroke (moves within one cell of the link's 1/255 grid add no point).
    await page.getByTestId('draw-canvas').evaluate((canvas) => {
      const box = canvas.getBoundingClientRect();
      const at = (k) => ({ clientX: box.left + box.width * (0.2 + 0.6 * (k / 5000)), clientY: box.top + box.height * (0.5 + 0.3 * Math.sin(k / 300)), pointerId: 1, buttons: 1, bubbles: true });
      canvas.dispatchEvent(new PointerEvent('pointerdown', at(0)));
      for (let k = 1; k <= 5000; k++) canvas.dispatchEvent(new PointerEvent('pointermove', at(k)));
      canvas.dispatchEvent(new PointerEvent('pointerup', at(5000)));
    });
    // The reconstruction on screen is of the whole stroke, by `variant`.
    const settled = (variant) => page.waitForFunction((v) => {
      const [input, recon] = ['model-input', 'reconstruction'].map((id) => document.querySelector(`[data-testid=${id}]`));
      return Number(input.dataset.points) > 50 && input.dataset.points === recon.dataset.points && recon.dataset.variant === v;
    }, variant, { timeout: TIMEOUT });
    await settled('baseline');
    // Switch models as fast as the picker allows, ending on latent10.
    const picker = page.getByTestId('variant-picker');
    for (let round = 0; round < 3; round++) {
      for (const v of ['deeper', 'mse', 'latent1', 'baseline', 'latent10']) await picker.selectOption(v);
    }
    await page.getByTestId('model-ready').filter({ hasText: 'Latent 10' }).waitFor({ timeout: TIMEOUT });
    await settled('latent10');

    const memory = () => page.evaluate(() => {
      window.gc();
      return { heap: performance.memory.usedJSHeapSize, wasm: window.vaeLabWasmMemory().buffer.byteLength };
    });
    await page.evaluate(() => window.vaeLab.bench({ op: 'reconstruct', iters: 1000, variant: 'latent10', backend: 'cpu' }));
    const before = await memory();
    const ms = await page.evaluate(() => window.vaeLab.bench({ op: 'reconstruct', iters: 10000, variant: 'latent10', backend: 'cpu' }));
    const afterRuns = await memory();
    const growth = (k) => (afterRuns[k] - before[k]) / before[k];
    console.log(`10,000 reconstructions (median ${ms.toFixed(3)} ms): JS heap ${before.heap} → ${afterRuns.heap} B (${(100 * growth('heap')).toFixed(1)} %), wasm memory ${before.wasm} → ${afterRuns.wasm} B (${(100 * growth('wasm')).toFixed(1)} %)`);
    assert.ok(growth('heap') < 0.1, 'JS heap grew by 10 % or more');
    assert.ok(growth('wasm') < 0.1, 'wasm memory grew by 10 % or more');
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});
