// The Report's answers (findings.json from `vae-lab eval`) in Chromium on both backends: fetched
// only once the Report is opened, every figure with its sentence, the latent-10 sweep decoded by
// the page, figures downloadable; a damaged findings file gets a message and the rest stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, BACKENDS, DIST, MANIFEST, ONE, TIMEOUT, open, pixels, reconstructionOf, ready, servedDist } from './harness.mjs';
import { serve } from './server.mjs';

const FINDINGS = JSON.parse(fs.readFileSync(path.join(DIST, 'models', MANIFEST.findings.file), 'utf8'));
const FIGURES = ['quality', 'latent-size', 'active-units', 'latent10-sweep', 'confusion', 'inpainting', 'study-digits', 'generated', 'seeds', 'loss-check'];
// The sweep's pixels per backend, to compare the two.
const SWEEPS = {};

const server = servedDist();

for (const backend of BACKENDS) {
  test(`the Report answers the study's questions on ${backend.name}`, { timeout: 600_000 }, async () => {
    const { browser, page, errors } = await open(backend, { acceptDownloads: true });
    const fetched = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    try {
      await ready(page, server.url + backend.query);
      await reconstructionOf(page, ONE);
      assert.ok(!fetched.some((p) => p.endsWith('/findings.json')), 'the findings are not part of the first load');

      await page.getByTestId('tab-report').click();
      await page.getByTestId('answers').waitFor({ timeout: TIMEOUT });
      assert.ok(fetched.some((p) => p.endsWith('/findings.json')), 'opening the Report fetches the findings');
      // Coming back to the Report does not fetch them again.
      await page.getByTestId('tab-draw').click();
      await page.getByTestId('tab-report').click();
      await page.getByTestId('answers').waitFor({ timeout: TIMEOUT });
      assert.equal(fetched.filter((p) => p.endsWith('/findings.json')).length, 1, 'the findings are fetched once a visit');
      for (const name of FIGURES) {
        const text = await page.getByTestId(`reading-${name}`).textContent();
        console.log(`${backend.name}: ${name}: ${text}`);
        assert.doesNotMatch(text, /Not measured yet/, `${name} has no reading`);
        assert.match(text, /\d/, `${name}: the reading quotes numbers`);
      }
      // One row per measured model, with the measured numbers.
      assert.equal(await page.locator('[data-testid^=quality-]').count() - 1, FINDINGS.variants.length);
      const latent10 = FINDINGS.variants.find((v) => v.variant === 'latent10');
      assert.match(await page.getByTestId('reading-active-units').textContent(), new RegExp(`uses ${latent10.active_units} of its 10`));
      const baseline = FINDINGS.variants.find((v) => v.variant === 'baseline');
      assert.match(await page.getByTestId('quality-baseline').textContent(), new RegExp(baseline.quality.ssim.toFixed(4)));

      // The sweep: one row of 9 digits per active dimension, decoded here.
      const sweep = page.locator('[data-testid=latent10-sweep][data-painted=true]');
      await sweep.waitFor({ timeout: TIMEOUT });
      assert.equal(await sweep.getAttribute('height'), String(28 * latent10.active_units));
      SWEEPS[backend.name] = await pixels(page, 'latent10-sweep');
      assert.ok(Math.max(...SWEEPS[backend.name]) > 0.5, 'the sweep shows digits');

      // Downloads: an SVG figure as drawn, the sweep as PNG.
      for (const [name, check] of [
        ['latent-size', (b) => assert.match(b.toString('utf8'), /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*latent size/)],
        ['latent10-sweep', (b) => assert.deepEqual([...b.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47])],
      ]) {
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`download-${name}`).click()]);
        const file = await download.path();
        check(fs.readFileSync(file));
        console.log(`${backend.name}: downloaded ${download.suggestedFilename()} (${fs.statSync(file).size} bytes)`);
      }
      await page.screenshot({ path: path.join(ARTIFACTS, `${backend.name}-report.png`), fullPage: true });
      assert.deepEqual(errors, [], 'console errors');
    } finally {
      await browser.close();
    }
  });
}

test('the sweep is the same picture on both backends', () => {
  assert.ok(SWEEPS.cpu && SWEEPS.webgpu, 'both backends drew the sweep');
  const diff = SWEEPS.cpu.reduce((m, v, i) => Math.max(m, Math.abs(v - SWEEPS.webgpu[i])), 0);
  console.log(`sweep: max abs pixel difference CPU vs WebGPU ${diff.toFixed(4)}`);
  assert.ok(diff <= 2 / 255, `max abs diff ${diff}`);
});

test('damaged findings: a clear message, and the rest of the Report stays', { timeout: 300_000 }, async () => {
  const good = fs.readFileSync(path.join(DIST, 'models', MANIFEST.findings.file));
  const damaged = Buffer.from(good).fill(good[100] ^ 8, 100, 101);
  const host = await serve(DIST, { files: new Map([[`models/${MANIFEST.findings.file}`, damaged]]) });
  const { browser, page, errors } = await open(BACKENDS.find((b) => b.name === 'cpu'));
  try {
    await page.goto(`${host.url}?backend=cpu&m=report`);
    const message = await page.getByTestId('findings-error').textContent({ timeout: TIMEOUT });
    console.log(`damaged findings: ${message}`);
    assert.match(message, /findings\.json.*checksum/);
    await page.getByTestId('report-table').waitFor({ timeout: TIMEOUT });
    await page.getByTestId('loss-chart').waitFor({ timeout: TIMEOUT });
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
    host.close();
  }
});
