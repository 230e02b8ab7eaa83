// The page in Debian's Chromium, on both paths: WebGPU (SwiftShader, which the page only uses
// when the link says ?backend=webgpu) and ?backend=cpu.
// Screenshots of every mode go to test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS, BACKENDS, DIST, MANIFEST, ONE, SWIFTSHADER, TIMEOUT, ZERO, open, pearson, pixels,
  reconstructionOf, stroke, waitForInk, ready as readyAt, servedDist,
} from './harness.mjs';

// Hidden-pixel errors of the study's inpainting, per backend, to compare the two.
const INPAINT_ERRORS = {};
// Digits in each variant's latent points file.
const POINTS = Object.fromEntries(MANIFEST.variants.map((e) => [e.variant,
  JSON.parse(fs.readFileSync(path.join(DIST, 'models', e.points.file), 'utf8')).labels.length]));

const server = servedDist();

// burn's layers' outputs on the shipped weights, computed natively (engine::the_fixture_holds_…).
const LAYERS_OUTPUTS = (() => {
  const fixture = JSON.parse(fs.readFileSync(new URL('../fixtures/burn-layers-outputs.json', import.meta.url), 'utf8'));
  const floats = (b64) => Array.from(new Float32Array(Uint8Array.from(Buffer.from(b64, 'base64')).buffer));
  return { ...fixture, variants: Object.fromEntries(Object.entries(fixture.variants).map(([v, p]) => [v, p.map(floats)])) };
})();

const ready = (page, backend) => readyAt(page, server.url + backend.query);

for (const backend of BACKENDS) {
  test(`the page works on ${backend.name}`, { timeout: 900_000 }, async (t) => {
    const { browser, page, errors } = await open(backend);
    try {
      await ready(page, backend);
      const badge = await page.getByTestId('backend-badge').textContent();
      if (backend.name === 'cpu') assert.match(badge, /CPU/);
      else assert.match(badge, /WebGPU/, `expected a WebGPU adapter, badge says ${badge}`);
      // One build only: the CPU-only page for ?backend=cpu, the WebGPU one where there is an adapter.
      const webgpuBuild = page.wasmFiles.filter((f) => f === 'vae-lab-webgpu_bg.wasm').length;
      assert.equal(webgpuBuild, backend.name === 'cpu' ? 0 : 1, `wasm fetched: ${page.wasmFiles}`);

      if (backend.name === 'webgpu') {
        await t.test('the sub-pixel decoder gives burn\'s layers\' pixels on WebGPU', async () => {
          const check = await page.evaluate((o) => window.vaeLab.checkFastPath(o)
            .then(({ path, maxAbsDiff, reconstructMaxAbsDiff }) => ({ path, maxAbsDiff, reconstructMaxAbsDiff })), { variant: 'baseline', batch: 16, seed: 5 });
          console.log(`webgpu: sub-pixel decoder, baseline × 16: ${JSON.stringify(check)}`);
          assert.equal(check.path, 'sub-pixel decoder');
          assert.ok(check.maxAbsDiff <= 1e-4, `decode: max abs diff ${check.maxAbsDiff}`);
          assert.ok(check.reconstructMaxAbsDiff <= 1e-4, `reconstruct: max abs diff ${check.reconstructMaxAbsDiff}`);
        });
      }

      await t.test('a drawn 0 and 1 are reconstructed', async () => {
        for (const [name, points] of [['0', ZERO], ['1', ONE]]) {
          const [input, recon] = await reconstructionOf(page, points);
          const r = pearson(input, recon);
          console.log(`${backend.name}: drawn ${name}: Pearson r = ${r.toFixed(3)}`);
          assert.ok(r > 0.5, `drawn ${name}: r = ${r}`);
        }
        // The drawing's point is marked among the test digits (latent-2 baseline).
        await page.locator(`[data-testid=draw-latent-map][data-points="${POINTS.baseline}"]`).waitFor({ timeout: TIMEOUT });
        await page.screenshot({ path: path.join(ARTIFACTS, `${backend.name}-draw.png`), fullPage: true });
      });

      await t.test('the study inpainting preset on test 4865 fills the hole', async () => {
        await page.getByTestId('tab-inpaint').click();
        await page.getByTestId('inpaint-test-4865').click();
        await page.getByTestId('inpaint-preset').click();
        await page.getByTestId('error-iterative').waitFor({ timeout: TIMEOUT });
        await page.waitForTimeout(500);
        const value = async (id) => Number(await page.getByTestId(id).textContent());
        const [zero, onePass, iterative] = [await value('error-masked'), await value('error-one-pass'), await value('error-iterative')];
        console.log(`${backend.name}: hidden-pixel MSE zero-filled ${zero}, one pass ${onePass}, iterative ${iterative}`);
        assert.ok(onePass < zero && iterative < zero, `${zero} ${onePass} ${iterative}`);
        // Both backends run the same layers: their errors agree (shown to 4 decimals).
        INPAINT_ERRORS[backend.name] = [zero, onePass, iterative];
        const other = INPAINT_ERRORS[backend.name === 'cpu' ? 'webgpu' : 'cpu'];
        if (other) other.forEach((v, k) => assert.ok(Math.abs(v - INPAINT_ERRORS[backend.name][k]) <= 2e-4, `backends disagree: ${other} vs ${INPAINT_ERRORS[backend.name]}`));
        const masked = await pixels(page, 'inpaint-masked');
        const filled = await pixels(page, 'inpaint-iterative');
        let changed = 0;
        for (let y = 10; y < 20; y++) for (let x = 10; x < 20; x++) if (Math.abs(filled[y * 28 + x] - masked[y * 28 + x]) > 0.05) changed++;
        assert.ok(changed > 5, `only ${changed} hidden pixels changed`);
        await page.screenshot({ path: path.join(ARTIFACTS, `${backend.name}-inpaint.png`), fullPage: true });
      });

      await t.test('generate fills the grid with distinct, non-blank digits', async () => {
        await page.getByTestId('tab-generate').click();
        await waitForInk(page, 'generate-grid', 100);
        const tiles = await page.getByTestId('generate-grid').evaluate((c) => {
          const ctx = c.getContext('2d');
          const out = [];
          for (let ty = 0; ty < 8; ty++) for (let tx = 0; tx < 8; tx++) {
            const d = ctx.getImageData(tx * 28, ty * 28, 28, 28).data;
            const tile = []; for (let i = 0; i < d.length; i += 4) tile.push(d[i]);
            out.push(tile);
          }
          return out;
        });
        assert.equal(tiles.length, 64);
        for (const tile of tiles) assert.ok(Math.max(...tile) > 80, 'a blank tile');
        const distinct = new Set(tiles.map((t) => t.join(','))).size;
        assert.ok(distinct >= 60, `only ${distinct} distinct tiles`);
        await page.screenshot({ path: path.join(ARTIFACTS, `${backend.name}-generate.png`), fullPage: true });
        // A clicked tile opens in Inpaint as its source.
        const grid = await page.getByTestId('generate-grid').boundingBox();
        await page.mouse.click(grid.x + grid.width * 2.5 / 8, grid.y + grid.height * 1.5 / 8);
        await waitForInk(page, 'generate-picked', 80);
        const picked = await pixels(page, 'generate-picked');
        assert.deepEqual(picked, tiles[8 + 2].map((v) => v / 255), 'the picked digit is tile (row 1, col 2)');
        await page.getByTestId('generate-to-inpaint').click();
        await waitForInk(page, 'inpaint-original', 80);
        const r = pearson(picked, await pixels(page, 'inpaint-original'));
        assert.ok(r > 0.99, `inpaint shows another digit (r = ${r})`);
      });

      await t.test('the manifold grid renders', async () => {
        await page.getByTestId('tab-explore').click();
        await page.locator('[data-testid=manifold-progress][data-done=true]').waitFor({ timeout: TIMEOUT });
        const lit = await page.getByTestId('manifold-grid').evaluate((c) => {
          const ctx = c.getContext('2d');
          let tiles = 0;
          for (let ty = 0; ty < 30; ty += 3) for (let tx = 0; tx < 30; tx += 3) {
            const d = ctx.getImageData(tx * 28, ty * 28, 28, 28).data;
            let m = 0; for (let i = 0; i < d.length; i += 4) m = Math.max(m, d[i]);
            if (m > 80) tiles++;
          }
          return tiles;
        });
        assert.ok(lit >= 90, `${lit} of 100 sampled tiles show ink`);
        // The interpolation strip between two test digits is drawn too.
        await waitForInk(page, 'interpolation', 80);
        await page.waitForTimeout(1500);
        await page.locator(`[data-testid=latent-scatter][data-points="${POINTS.baseline}"]`).waitFor({ timeout: TIMEOUT });
        await page.screenshot({ path: path.join(ARTIFACTS, `${backend.name}-explore.png`), fullPage: true });
      });

      await t.test('latent 10: a t-SNE map picks digits to decode', async () => {
        await page.getByTestId('variant-picker').selectOption('latent10');
        await page.getByTestId('model-ready').waitFor({ timeout: TIMEOUT });
        const map = page.locator(`[data-testid=latent-projection][data-points="${POINTS.latent10}"]`);
        await map.waitFor({ timeout: TIMEOUT });
        const box = await map.boundingBox();
        const before = await pixels(page, 'latent-probe');
        for (const [fx, fy] of [[0.3, 0.3], [0.7, 0.6]]) await page.mouse.move(box.x + fx * box.width, box.y + fy * box.height, { steps: 3 });
        // Hovering set the sliders to a test digit's mean, and the probe decoded it.
        await page.waitForFunction(() => [...document.querySelectorAll('[data-testid^=latent-slider-]')].some((s) => Number(s.value) !== 0), null, { timeout: TIMEOUT });
        await page.waitForFunction(([id, old]) => {
          const c = document.querySelector(`[data-testid=${id}]`);
          const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
          for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] / 255 - old[i / 4]) > 0.2) return true;
          return false;
        }, ['latent-probe', before], { timeout: TIMEOUT });
        await page.screenshot({ path: path.join(ARTIFACTS, `${backend.name}-explore-latent10.png`), fullPage: true });
        await page.getByTestId('variant-picker').selectOption('baseline');
      });

      await t.test('the added latent sizes the deploy lists: in the picker, a slider per dimension', async () => {
        const added = MANIFEST.variants.map((e) => e.variant).filter((v) => /^latent(3|4|16)$/.test(v));
        assert.ok(added.length > 0, 'the manifest lists no added latent size');
        for (const variant of added) {
          await page.getByTestId('variant-picker').selectOption(variant);
          await page.getByTestId('model-ready').waitFor({ timeout: TIMEOUT });
          await page.locator(`[data-testid=latent-projection][data-points="${POINTS[variant]}"]`).waitFor({ timeout: TIMEOUT });
          assert.equal(await page.locator('[data-testid^=latent-slider-]').count(), Number(variant.slice(6)), `${variant}: sliders`);
          await waitForInk(page, 'latent-probe', 80);
        }
        await page.getByTestId('variant-picker').selectOption('baseline');
      });

      await t.test('compare shows every study variant', async () => {
        await page.getByTestId('tab-compare').click();
        await page.waitForTimeout(3000);
        await page.screenshot({ path: path.join(ARTIFACTS, `${backend.name}-compare.png`), fullPage: true });
        const input = await pixels(page, 'compare-input');
        // Compare lays out the study's five side by side; the added latent sizes are in the picker.
        const study = ['baseline', 'deeper', 'latent1', 'latent10', 'mse'];
        for (const variant of study) {
          await waitForInk(page, `compare-${variant}`, 60);
          const r = pearson(input, await pixels(page, `compare-${variant}`));
          assert.ok(r > 0.4, `${variant}: r = ${r}`);
        }
      });

      await t.test('the report shows a row of numbers per trained variant', async () => {
        await page.getByTestId('tab-report').click();
        const rows = page.locator('[data-testid^=report-row-]');
        await page.waitForFunction((n) => document.querySelectorAll('[data-testid^=report-row-]').length === n,
          MANIFEST.variants.length, { timeout: TIMEOUT });
        assert.equal(await rows.count(), MANIFEST.variants.length);
        for (const entry of MANIFEST.variants) {
          const metrics = JSON.parse(fs.readFileSync(path.join(DIST, 'models', entry.metrics.file), 'utf8'));
          const text = await page.getByTestId(`report-row-${entry.variant}`).textContent();
          assert.ok(text.includes(metrics.final_train_loss.toFixed(2)), `${entry.variant}: ${text}`);
          assert.ok(text.includes(metrics.final_test_loss.toFixed(2)), `${entry.variant}: ${text}`);
        }
        await page.screenshot({ path: path.join(ARTIFACTS, `${backend.name}-report.png`), fullPage: true });
      });

      assert.deepEqual(errors, [], 'console errors');
    } finally {
      await browser.close();
    }
  });
}

// Both CPU builds: the one with fused multiply-adds (wasm relaxed SIMD, which this Chromium has:
// the loader picks it) and the plain one (?simd=plain; browsers without relaxed SIMD).
for (const [build, query, wasm] of [
  ['relaxed-SIMD', '?backend=cpu', 'vae-lab-relaxed-simd_bg.wasm'],
  ['plain SIMD', '?backend=cpu&simd=plain', null],
]) test(`the CPU decode workers and the fused CPU kernels (${build} build) give the page thread's and burn's pixels`, { timeout: 600_000 }, async () => {
  const { browser, page, errors } = await open(BACKENDS[1]);
  try {
    await ready(page, { query });
    const fetched = page.wasmFiles.filter((f) => !f.startsWith('vae-lab-train') && !f.startsWith('vae-lab-first'));
    if (wasm) assert.deepEqual([...new Set(fetched)], [wasm], `wasm fetched: ${page.wasmFiles}`);
    else assert.ok(fetched.length > 0 && fetched.every((f) => /^vae-lab-[0-9a-f]+_bg\.wasm$/.test(f)), `wasm fetched: ${page.wasmFiles}`);
    assert.equal(await page.evaluate(() => window.vaeLabCpuBuild.relaxedSimd), wasm !== null);
    // Random N(0, I) latents, decoded in the workers and on the page's thread.
    for (const [variant, batch] of [['baseline', 900], ['latent10', 37]]) {
      if (variant !== 'baseline') {
        await page.getByTestId('variant-picker').selectOption(variant);
        await page.getByTestId('model-ready').waitFor({ timeout: TIMEOUT });
      }
      const check = await page.evaluate((o) => window.vaeLab.checkDecodeWorkers(o), { variant, batch, seed: 7 });
      console.log(`${build}: decode workers, ${variant} × ${batch}: ${JSON.stringify(check)}`);
      assert.ok(check.workers >= 1, 'no decode workers started');
      assert.ok(check.maxAbsDiff <= 1e-4, `max abs diff ${check.maxAbsDiff}`);
    }
    // The fused CPU kernels, read from the shipped weights files in this browser's wasm, against
    // burn's layers: the CPU builds have none, so their outputs were computed natively on the
    // same latents and digits (tests/fixtures/burn-layers-outputs.json, which a native test
    // checks against burn's layers): random N(0, 2²) latents and the first shipped test digits.
    for (const variant of ['latent10', 'deeper', 'baseline']) {
      await page.getByTestId('variant-picker').selectOption(variant);
      await page.getByTestId('model-ready').waitFor({ timeout: TIMEOUT });
      const { seed, batch } = LAYERS_OUTPUTS;
      const check = await page.evaluate(async (o) => {
        const c = await window.vaeLab.checkFastPath(o);
        return { path: c.path, decoded: Array.from(c.decoded), reconstructed: Array.from(c.reconstructed) };
      }, { variant, batch, seed });
      assert.equal(check.path, 'fused CPU kernels', `${variant} has no fused CPU kernels`);
      const diffs = ['decoded', 'reconstructed'].map((what, k) => {
        const expected = LAYERS_OUTPUTS.variants[variant][k];
        assert.equal(check[what].length, expected.length, `${variant} ${what}: ${check[what].length} pixels`);
        return check[what].reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i])), 0);
      });
      console.log(`${build}: fused CPU kernels, ${variant} × ${batch}: max abs diff from burn's layers ${diffs.join(', ')}`);
      assert.ok(diffs[0] <= 1e-4, `decode: max abs diff ${diffs[0]}`);
      assert.ok(diffs[1] <= 1e-4, `reconstruct: max abs diff ${diffs[1]}`);
    }
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});

// Browsers without a hardware WebGPU adapter: one with WebGPU disabled, one (headless Chromium
// without --enable-unsafe-webgpu) whose navigator.gpu finds no adapter, and one whose only
// adapter is SwiftShader (a software fallback, slower than the CPU build).
for (const [label, flags, says] of [
  ['WebGPU disabled', ['--disable-features=WebGPU'], /no WebGPU|no usable adapter/],
  ['no adapter', [], /no usable adapter/],
  ['a software adapter', SWIFTSHADER, /software renderer.*backend=webgpu/],
]) test(`with ${label} the page loads the CPU-only build and says why`, { timeout: 600_000 }, async () => {
  const { browser, page, errors } = await open({ flags });
  try {
    await ready(page, { query: '' });
    assert.match(await page.getByTestId('backend-badge').textContent(), /CPU/);
    const notice = await page.getByTestId('notice').textContent();
    console.log(`with ${label}: ${notice}`);
    assert.match(notice, says);
    assert.ok(!page.wasmFiles.includes('vae-lab-webgpu_bg.wasm'), `wasm fetched: ${page.wasmFiles}`);
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});

test('a corrupted weights file gives a clear message, not a crash', { timeout: 600_000 }, async () => {
  const { browser, page } = await open(BACKENDS[1]);
  try {
    await page.route('**/models/baseline.bpk?*', (route) => route.fulfill({ status: 200, body: Buffer.from('corrupted!'.repeat(100)) }));
    await page.goto(server.url + '?backend=cpu');
    const message = await page.getByTestId('model-error').textContent({ timeout: TIMEOUT });
    assert.match(message, /model could not be loaded from models\/baseline\.bpk/);
    // The page keeps working: the tabs still switch.
    await page.getByTestId('tab-report').click();
    await page.getByTestId('report-table').waitFor({ timeout: TIMEOUT });
    await page.screenshot({ path: path.join(ARTIFACTS, 'corrupt-weights.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
