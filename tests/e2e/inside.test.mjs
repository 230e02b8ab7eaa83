// Inside: a drawn digit through every stage, on both backends; resampling ε; an Inside link on
// the other backend; a phone's screen. Screenshots go to test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ARTIFACTS, BACKENDS, TIMEOUT, ZERO, open, pixels, ready as readyAt, servedDist, stroke } from './harness.mjs';

const server = servedDist();

// The run number of what Inside shows (0 before the first).
const shown = (page) => page.getByTestId('inside').getAttribute('data-shown').then(Number);

// Waits until Inside shows a run after `after`, and the page has settled on it.
async function nextShown(page, after) {
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=inside]')?.dataset.shown) > n, after, { timeout: TIMEOUT });
  let last = await shown(page);
  // A pen moving or a model loading may start more runs: wait for one frame-run quiet period.
  for (;;) {
    await page.waitForTimeout(300);
    const now = await shown(page);
    if (now === last) return now;
    last = now;
  }
}

// For each stage: does any of its canvases or bars show something?
async function stageInk(page) {
  return page.evaluate(() => [...document.querySelectorAll('[data-testid^=inside-stage-]')].map((li) => {
    const canvases = [...li.querySelectorAll('canvas')];
    const ink = canvases.some((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 8) return true;
      return false;
    });
    const values = li.querySelector('[data-testid^=inside-values-]')?.textContent ?? '';
    const numbers = values.split(',').map(Number).filter((v) => Number.isFinite(v) && v !== 0);
    return { name: li.querySelector('h3').textContent, ink: ink || numbers.length > 0 };
  }));
}

const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

const INSIDE_LINKS = {};

for (const backend of BACKENDS) {
  test(`Inside shows a drawn digit through every stage on ${backend.name}`, { timeout: 600_000 }, async (t) => {
    const { browser, page, errors } = await open(backend);
    try {
      await readyAt(page, `${server.url}${backend.query}&m=inside`);
      await nextShown(page, 0);

      await t.test('a drawn digit: every stage shows something, and the loss terms', async () => {
        await page.getByTestId('inside-drawing').click();
        const before = await shown(page);
        await stroke(page, ZERO, 'inside-pad');
        await nextShown(page, before);
        const stages = await stageInk(page);
        assert.ok(stages.length >= 11, `${stages.length} stages`);
        for (const s of stages) assert.ok(s.ink, `${backend.name}: stage ${s.name} is blank`);
        const formula = await page.getByTestId('inside-formula').textContent();
        const [recon, kl, total] = formula.match(/(\d+\.\d\d)\s*\+\s*(\d+\.\d\d)\s*=\s*(\d+\.\d\d)/).slice(1).map(Number);
        assert.ok(recon > 0 && kl > 0 && Math.abs(recon + kl - total) < 0.02, formula);
        assert.match(await page.getByTestId('inside-recon').textContent(), /brightest pixel/);
        assert.match(await page.getByTestId('inside-kl').textContent(), /z\d pays most/);
        const rows = await page.getByTestId('inside-code-table').locator('tbody tr').count();
        assert.equal(rows, 2);
        console.log(`${backend.name}: drawn 0 → reconstruction ${recon} + KL ${kl} = ${total}`);
        // The pipeline scrolls inside its panel; the page does not scroll sideways.
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 1200, `the page is ${width} px wide in a 1200 px window`);
        await page.screenshot({ path: path.join(ARTIFACTS, `${backend.name}-inside.png`), fullPage: true });
      });

      await t.test('a map hovered is shown large with what it is', async () => {
        await page.getByTestId('inside-map-2-5').hover();
        await page.getByTestId('inside-look-caption').filter({ hasText: 'map 6 of 64' }).waitFor({ timeout: TIMEOUT });
        assert.match(await page.getByTestId('inside-look-caption').textContent(), /Conv 64 · map 6 of 64 · 7×7, values -?\d/);
        const look = await page.getByTestId('inside-look').evaluate((c) => [c.width, c.height]);
        assert.deepEqual(look, [7, 7]);
      });

      await t.test('a keyboard moves through a stage\'s maps with the arrows, one Tab stop a stage', async () => {
        // One map a stage takes Tab (the shown one, else the first): 4 convolution stages, not 256 maps.
        const stops = await page.locator('.maps button.map[tabindex="0"]').count();
        const groups = await page.locator('.maps[role=toolbar]').count();
        assert.ok(groups >= 4, `${groups} stages of maps`);
        assert.equal(stops, groups, `${stops} maps take Tab in ${groups} stages`);
        await page.getByTestId('inside-map-2-5').locator('xpath=..').focus();
        await page.keyboard.press('ArrowRight');
        await page.getByTestId('inside-look-caption').filter({ hasText: 'map 7 of 64' }).waitFor({ timeout: TIMEOUT });
        await page.keyboard.press('End');
        await page.getByTestId('inside-look-caption').filter({ hasText: 'map 64 of 64' }).waitFor({ timeout: TIMEOUT });
        assert.equal(await page.evaluate(() => document.activeElement?.querySelector('canvas')?.dataset.testid), 'inside-map-2-63');
        // Tab leaves the stage for what follows it.
        await page.keyboard.press('Tab');
        const stillIn = await page.evaluate(() => document.activeElement?.closest('.maps') === document.querySelector('[data-testid=inside-map-2-0]').closest('.maps'));
        assert.equal(stillIn, false, 'Tab stayed among the stage\'s maps');
        // Back to the map the next test's link names.
        await page.getByTestId('inside-map-2-5').click();
        await page.getByTestId('inside-look-caption').filter({ hasText: 'map 6 of 64' }).waitFor({ timeout: TIMEOUT });
      });

      await t.test('resampling ε changes the draws, not μ', async () => {
        const table = async () => page.getByTestId('inside-code-table').locator('tbody td:nth-child(2)').allTextContents();
        const eps = await page.getByTestId('inside').getAttribute('data-eps').then(Number);
        // Runs a click on "Resample ε" and waits for its own run: the one with the next ε, which
        // read the drawing after the click (a run the pen started may land after the click).
        const resample = async (seed) => {
          const before = await shown(page);
          await page.getByTestId('inside-resample').click();
          await page.waitForFunction((e) => Number(document.querySelector('[data-testid=inside]')?.dataset.eps) === e, seed, { timeout: TIMEOUT });
          await nextShown(page, before);
        };
        await resample(eps + 1);
        const mean = await pixels(page, 'inside-mean-decode');
        const samples = await pixels(page, 'inside-samples');
        const mu = await table();
        await resample(eps + 2);
        // μ's decode is drawn again, the same up to the rounding of one level: on WebGPU the
        // second decode may run another kernel (burn's autotune picks one by timing) whose sums
        // round differently (seen: 1 level in 6 pixels, on 2 busy cores).
        const meanAgain = await pixels(page, 'inside-mean-decode');
        assert.ok(maxDiff(mean, meanAgain) <= 1 / 255 + 1e-9, `μ's decode changed by ${maxDiff(mean, meanAgain) * 255} levels`);
        assert.deepEqual(await table(), mu);
        const after = await pixels(page, 'inside-samples');
        assert.ok(maxDiff(samples, after) > 0.05, `the draws did not change (${maxDiff(samples, after)})`);
        assert.match(page.url(), new RegExp(`eps=${eps + 2}\\b`));
        assert.match(page.url(), /look=2\.5/);
        INSIDE_LINKS[backend.name] = { url: page.url(), samples: after };
      });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
}

test('an Inside link opens the same pixels on the other backend', { timeout: 600_000 }, async () => {
  assert.ok(INSIDE_LINKS.cpu && INSIDE_LINKS.webgpu, 'the two tests above ran');
  for (const [from, to] of [['cpu', 'webgpu'], ['webgpu', 'cpu']]) {
    const backend = BACKENDS.find((b) => b.name === to);
    const { browser, page, errors } = await open(backend);
    try {
      const query = new URL(INSIDE_LINKS[from].url).search.replace(/backend=\w+/, `backend=${to}`);
      await readyAt(page, server.url + query);
      await nextShown(page, 0);
      const samples = await pixels(page, 'inside-samples');
      const diff = maxDiff(samples, INSIDE_LINKS[from].samples);
      console.log(`Inside link from ${from} opened on ${to}: max pixel difference ${diff.toFixed(4)}`);
      assert.ok(diff <= 2 / 255, `${from} → ${to}: ${diff}`);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  }
});

test('Inside on a phone: the pipeline stacks, nothing is cut', { timeout: 300_000 }, async () => {
  const backend = BACKENDS.find((b) => b.name === 'cpu');
  const { browser, page, errors } = await open(backend, { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  try {
    await readyAt(page, `${server.url}${backend.query}&m=inside`);
    await nextShown(page, 0);
    // (A mobile browser zooms out to fit what overflows, so the screen is 390 px, not innerWidth.)
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page is ${width} px wide on a 390 px screen`);
    const stages = await stageInk(page);
    for (const s of stages) assert.ok(s.ink, `stage ${s.name} is blank`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone-inside.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
