// The page's design: the light and dark themes (the system's, or the visitor's choice, kept across
// visits), layouts that use a wide screen (input and outputs side by side, results large), nothing
// blank where a default fits, and an embed link that shows one mode for a course page's <iframe>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ONE, TIMEOUT, open, pearson, ready, servedDist, stroke, waitForInk } from './harness.mjs';

const server = servedDist();
const CPU = { name: 'cpu', query: '?backend=cpu', flags: [] };

// The relative luminance of a CSS colour (rgb() / rgba()), 0 = black, 1 = white.
function luminance(css) {
  const [r, g, b] = css.match(/[\d.]+/g).slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const background = (page) => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);

test('the theme follows the system until the toggle chooses, and the choice is kept', { timeout: 600_000 }, async () => {
  const { browser, page, errors } = await open(CPU, { colorScheme: 'light' });
  try {
    await ready(page, server.url + CPU.query);
    const toggle = page.getByRole('button', { name: 'Dark theme' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    assert.ok(luminance(await background(page)) > 0.8, 'a light system gets the light theme');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    assert.ok(luminance(await background(page)) < 0.05, 'the toggle turns the page dark');
    // A reload (and any later visit) opens dark: the loader applies the choice before the page draws.
    await page.reload();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await ready(page, server.url + CPU.query);
    assert.equal(await page.getByRole('button', { name: 'Dark theme' }).getAttribute('aria-pressed'), 'true');
    await page.getByRole('button', { name: 'Dark theme' }).click();
    assert.ok(luminance(await background(page)) > 0.8, 'and back to light');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
  // A dark system, no choice made: dark from the start, and the toggle says so.
  const dark = await open(CPU, { colorScheme: 'dark' });
  try {
    await ready(dark.page, server.url + CPU.query);
    assert.ok(luminance(await background(dark.page)) < 0.05, 'a dark system gets the dark theme');
    assert.equal(await dark.page.getByRole('button', { name: 'Dark theme' }).getAttribute('aria-pressed'), 'true');
    assert.deepEqual(dark.errors, []);
  } finally {
    await dark.browser.close();
  }
});

test('a wide screen puts outputs beside their input, large, and Generate shows a digit before any click', { timeout: 600_000 }, async () => {
  const { browser, page, errors } = await open(CPU, { viewport: { width: 1280, height: 800 } });
  const box = (id) => page.getByTestId(id).boundingBox();
  const beside = (a, b) => b.x >= a.x + a.width && b.y < a.y + a.height;
  try {
    await ready(page, server.url + CPU.query);
    await stroke(page, ONE);
    await waitForInk(page, 'reconstruction', 80);
    const [pad, recon] = [await box('draw-canvas'), await box('reconstruction')];
    assert.ok(beside(pad, recon), `the reconstruction is not beside the pad: ${JSON.stringify({ pad, recon })}`);
    assert.ok(recon.width >= 224, `the reconstruction is ${recon.width} px wide`);

    await page.getByTestId('tab-generate').click();
    // Tile 1 is picked for the visitor: the panel beside the grid is never empty.
    await waitForInk(page, 'generate-picked', 80);
    const [grid, picked] = [await box('generate-grid'), await box('generate-picked')];
    assert.ok(beside(grid, picked), 'the picked digit is beside the grid');
    assert.ok(picked.width >= 224, `the picked digit is ${picked.width} px wide`);
    assert.match(await page.getByTestId('generate-picked').getAttribute('aria-label'), /^The picked digit: tile 1 of the grid, enlarged/);
    assert.ok(!new URL(page.url()).searchParams.has('pick'), 'the default pick is not written into the link');

    await page.getByTestId('tab-inpaint').click();
    await waitForInk(page, 'inpaint-iterative', 80);
    const [mask, filled] = [await box('inpaint-mask-canvas'), await box('inpaint-iterative')];
    assert.ok(beside(mask, filled), 'the outputs are beside the mask');
    assert.ok(filled.width >= 112, `the inpainted digit is ${filled.width} px wide`);
    for (const mode of ['draw', 'inside', 'inpaint', 'generate', 'explore', 'compare', 'report', 'train']) {
      await page.getByTestId(`tab-${mode}`).click();
      await page.waitForTimeout(300);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 1280, `${mode} is ${width} px wide on a 1280 px screen`);
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('an embed link shows its one mode, without the header and tabs, and opens the same view whole', { timeout: 600_000 }, async () => {
  const { browser, page, errors } = await open(CPU, { viewport: { width: 720, height: 640 } });
  try {
    await page.goto(`${server.url}?backend=cpu&embed=generate&seed=7`);
    await page.getByTestId('model-ready').waitFor({ timeout: TIMEOUT });
    await waitForInk(page, 'generate-picked', 80);
    assert.equal(await page.getByRole('tablist').count(), 0, 'no tabs');
    assert.equal(await page.getByTestId('backend-badge').count(), 0, 'no header');
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'VAE Lab · Generate');
    // The link keeps the embedding as the view changes.
    await page.getByTestId('generate-new').click();
    await page.waitForFunction(() => new URLSearchParams(location.search).get('seed') === '8');
    assert.equal(new URL(page.url()).searchParams.get('embed'), 'generate');
    const href = new URL(await page.getByTestId('open-in-lab').getAttribute('href'), page.url());
    assert.deepEqual(Object.fromEntries(href.searchParams), { backend: 'cpu', m: 'generate', seed: '8' });
    assert.equal(await page.getByTestId('open-in-lab').getAttribute('target'), '_blank');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 720, `the embedded mode is ${width} px wide in a 720 px frame`);
    // The whole page, from that link: the same view, with its tabs.
    await ready(page, href.href);
    assert.equal(await page.getByTestId('tab-generate').getAttribute('aria-selected'), 'true');
    assert.equal(await page.getByTestId('generate-seed').inputValue(), '8');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('before its wasm has started the page shows what it is, what is loading and a first reconstruction; if it cannot start, it says why there', { timeout: 600_000 }, async () => {
  const { browser, page } = await open(CPU);
  try {
    // Hold the page's build back: what a visitor on a slow network sees meanwhile.
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    const pageBuild = /\/vae-lab-(?!first_)[^/]*\.wasm$/;
    await page.route(pageBuild, async (route) => { await held; await route.continue(); });
    await page.goto(server.url + CPU.query);
    await page.getByRole('heading', { level: 1, name: 'VAE Lab' }).waitFor({ timeout: TIMEOUT });
    assert.match(await page.getByTestId('boot-status').textContent(), /^Starting: the page and its first model are downloading/);
    // Meanwhile the first build (the fused kernels alone) has drawn the first reconstruction there.
    await page.getByTestId('boot-first').waitFor({ state: 'visible', timeout: TIMEOUT });
    const [input, output] = await page.evaluate(() => ['boot-first-input', 'boot-first-output'].map((id) => {
      const data = document.querySelector(`[data-testid=${id}]`).getContext('2d').getImageData(0, 0, 28, 28).data;
      return Array.from({ length: 784 }, (_, i) => 1 - data[4 * i] / 255);
    }));
    const r = pearson(input, output);
    console.log(`the start screen's first reconstruction: Pearson r = ${r.toFixed(3)}, at ${(await page.evaluate(() => window.vaeLabFirstReconstructionMs)).toFixed(0)} ms`);
    assert.ok(r > 0.5 && input.filter((v) => v > 0.5).length > 50, `r = ${r}`);
    assert.equal(await page.locator('#boot canvas[role=img][aria-label]').count(), 2, 'both canvases named');
    release();
    await page.getByTestId('model-ready').waitFor({ timeout: TIMEOUT });
    assert.equal(await page.locator('#boot').count(), 0, 'the static page gives way to the app');
    assert.equal(await page.getByRole('heading', { level: 1 }).count(), 1, 'one title');

    // A wasm that cannot be fetched: the same place says the page could not start.
    await page.unroute(/\.wasm$/);
    await page.route(/\.wasm$/, (route) => route.abort());
    await page.goto(server.url + CPU.query);
    await page.getByText(/^The page could not start/).waitFor({ timeout: TIMEOUT });
  } finally {
    await browser.close();
  }
});
