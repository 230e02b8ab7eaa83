// Share links: a view copied from each mode opens in a fresh browser on the other backend with
// the same pixels; back / forward / reload; mangled links; a bounded history under a flood of
// slider moves; a phone-sized touch screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ARTIFACTS, BACKENDS, ONE, TIMEOUT, ZERO, open, pixels, ready, reconstructionOf, stroke, waitForInk, servedDist } from './harness.mjs';

const [WEBGPU, CPU] = BACKENDS;
const server = servedDist();

// Largest difference between two pixel arrays (0..1), and how many differ at all.
function diff(a, b) {
  assert.equal(a.length, b.length);
  let max = 0, n = 0;
  for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i] - b[i]); max = Math.max(max, d); if (d > 0) n++; }
  return { max, n };
}

// The canvases' pixels once they stop changing (a slow backend may still be computing the
// view's last change when the test asks).
async function settledPixels(page, ids) {
  let last = null;
  for (let tries = 0; tries < 60; tries++) {
    const now = [];
    for (const id of ids) now.push(await pixels(page, id));
    if (last && JSON.stringify(now) === JSON.stringify(last)) return Object.fromEntries(ids.map((id, k) => [id, now[k]]));
    last = now;
    await page.waitForTimeout(700);
  }
  throw new Error(`${ids} never settled`);
}

// Clicks "Copy link" and returns what the clipboard got (it must be the address bar's link).
async function copyLink(page) {
  await page.getByTestId('copy-link').click();
  await page.getByTestId('copy-link-status').waitFor({ timeout: TIMEOUT });
  const [copied, href] = await page.evaluate(async () => [await navigator.clipboard.readText(), location.href]);
  assert.equal(copied, href);
  return copied;
}

// Each mode: how to set up a view in it, and the canvases whose pixels a link must reproduce.
const VIEWS = [
  ['draw', async (page) => { await reconstructionOf(page, ZERO); }, ['model-input', 'reconstruction']],
  ['inpaint', async (page) => {
    await page.getByTestId('tab-inpaint').click();
    await page.getByTestId('inpaint-test-1098').click();
    await page.getByTestId('inpaint-clear').click();
    const box = await page.getByTestId('inpaint-mask-canvas').boundingBox();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.4);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.5, { steps: 8 });
    await page.mouse.up();
    await page.getByTestId('error-iterative').waitFor({ timeout: TIMEOUT });
    await page.waitForTimeout(500);
  }, ['inpaint-masked', 'inpaint-one-pass', 'inpaint-iterative']],
  ['generate', async (page) => {
    await page.getByTestId('tab-generate').click();
    await page.getByTestId('generate-seed').fill('7');
    await page.getByTestId('generate-seed').press('Enter');
    await waitForInk(page, 'generate-grid', 80);
    const box = await page.getByTestId('generate-grid').boundingBox();
    await page.mouse.click(box.x + box.width * (2.5 / 8), box.y + box.height * (1.5 / 8));
    await waitForInk(page, 'generate-picked', 80);
  }, ['generate-grid', 'generate-picked']],
  ['explore', async (page) => {
    await page.getByTestId('variant-picker').selectOption('latent10');
    await page.getByTestId('model-ready').filter({ hasText: 'Latent 10' }).waitFor({ timeout: TIMEOUT });
    await page.getByTestId('tab-explore').click();
    await page.getByTestId('latent-slider-4').fill('1.5');
    await page.getByTestId('latent-slider-0').fill('-0.75');
    await waitForInk(page, 'latent-probe', 80);
    await page.waitForTimeout(500);
  }, ['latent-probe']],
  ['compare', async (page) => {
    await page.getByTestId('variant-picker').selectOption('baseline');
    await page.getByTestId('tab-compare').click();
    await page.getByRole('button', { name: 'Test #7584' }).click();
    for (const v of ['baseline', 'latent10', 'mse']) await waitForInk(page, `compare-${v}`, 60);
    await page.waitForTimeout(1500);
  }, ['compare-input', 'compare-baseline', 'compare-latent10', 'compare-mse']],
];

// One direction: the two backends' pixels agree either way round, and the link a page copies does
// not depend on its backend (the WebGPU → CPU run took 47 s over SwiftShader for no more).
for (const [from, to] of [[CPU, WEBGPU]]) {
  test(`a link copied from each mode on ${from.name} opens the same pixels on ${to.name}`, { timeout: 1_800_000 }, async () => {
    const a = await open(from);
    const lengths = {};
    try {
      await a.browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
      await ready(a.page, server.url + from.query);
      for (const [mode, setUp, canvases] of VIEWS) {
        await setUp(a.page);
        const link = await copyLink(a.page);
        // The link forces the sharer's backend; the other side asks for its own.
        const url = new URL(link);
        url.searchParams.set('backend', to.name);
        lengths[mode] = link.length;
        const shown = await settledPixels(a.page, canvases);
        const b = await open(to);
        try {
          await b.page.goto(url.href);
          await b.page.getByTestId('backend-badge').filter({ hasNotText: 'Starting' }).waitFor({ timeout: TIMEOUT });
          assert.equal(await b.page.getByTestId(`tab-${mode}`).getAttribute('aria-selected'), 'true', `${mode}: the tab`);
          for (const id of canvases) {
            await waitForInk(b.page, id, 40);
            // Wait for the page to settle on its result, then compare it with the sharer's.
            let d;
            for (let tries = 0; tries < 40; tries++) {
              d = diff(shown[id], await pixels(b.page, id));
              if (d.max <= 1 / 255 + 1e-9) break;
              await b.page.waitForTimeout(500);
            }
            console.log(`${mode} ${from.name} → ${to.name}, ${id}: max abs diff ${d.max.toFixed(4)}, ${d.n} of ${shown[id].length} pixels differ`);
            // Canvases hold 8-bit pixels: the two backends' outputs (floats ~1e-6 apart) may
            // round to neighbouring levels, never more.
            assert.ok(d.max <= 1 / 255 + 1e-9, `${mode}, ${id}: max abs diff ${d.max}`);
          }
          await b.page.screenshot({ path: path.join(ARTIFACTS, `link-${mode}-${to.name}.png`), fullPage: true });
          assert.deepEqual(b.errors, [], `${mode}: console errors`);
        } finally {
          await b.browser.close();
        }
      }
      console.log(`link lengths (characters): ${JSON.stringify(lengths)}`);
      if (lengths.draw) assert.ok(lengths.draw < 2000, `a drawing's link is ${lengths.draw} characters`);
      assert.deepEqual(a.errors, [], 'console errors');
    } finally {
      await a.browser.close();
    }
  });
}

test('back and forward walk through strokes and modes; reload keeps the view; slider floods do not flood history', { timeout: 600_000 }, async () => {
  const { browser, page, errors } = await open(CPU);
  try {
    await ready(page, server.url + CPU.query);
    const points = () => page.getByTestId('model-input').getAttribute('data-points').then(Number);
    const settled = (n) => page.waitForFunction((want) => {
      const [input, recon] = ['model-input', 'reconstruction'].map((id) => document.querySelector(`[data-testid=${id}]`)?.dataset.points);
      return Number(input) === want && input === recon;
    }, n, { timeout: TIMEOUT });
    await stroke(page, ONE);
    const one = await points();
    await stroke(page, [[0.3, 0.3], [0.7, 0.3]]);
    const two = await points();
    assert.ok(two > one);
    await page.getByTestId('tab-generate').click();
    await page.waitForTimeout(400);
    await page.goBack();
    assert.equal(await page.getByTestId('tab-draw').getAttribute('aria-selected'), 'true');
    await settled(two);
    await page.goBack();
    await settled(one);
    await page.goForward();
    await settled(two);
    await page.reload();
    await page.getByTestId('model-ready').waitFor({ timeout: TIMEOUT });
    await settled(two);

    // 400 slider moves in Explore: at most a couple of history entries.
    await page.getByTestId('variant-picker').selectOption('latent10');
    await page.getByTestId('model-ready').filter({ hasText: 'Latent 10' }).waitFor({ timeout: TIMEOUT });
    await page.getByTestId('tab-explore').click();
    await page.getByTestId('latent-slider-0').waitFor();
    const before = await page.evaluate(() => history.length);
    await page.getByTestId('latent-slider-0').evaluate((slider) => {
      for (let k = 0; k < 400; k++) {
        slider.value = String(-3 + (6 * k) / 399);
        slider.dispatchEvent(new Event('input', { bubbles: true }));
      }
    });
    // The link is written once the slider settles (300 ms after the last move).
    await page.waitForFunction(() => /z=3(,|%2C)/.test(location.search), null, { timeout: TIMEOUT });
    const added = (await page.evaluate(() => history.length)) - before;
    console.log(`400 slider moves added ${added} history entries`);
    assert.ok(added <= 1, `${added} history entries`);
    assert.match(page.url(), /z=3(,|%2C)/);
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});

// A hand-mangled link per mode: the nearest valid view, and a notice saying what was left out.
const MANGLED = [
  ['draw', 'm=draw&d=AAAA!!broken', /the drawing/],
  ['inpaint', 'm=inpaint&src=t99999&steps=1e9&mask=zzz', /digit to inpaint.*inpainting mask.*number of steps/],
  ['generate', 'm=generate&seed=abc&pick=99&t=9', /seed.*temperature.*picked digit/],
  ['explore', 'm=explore&v=latent10&z=1,2', /latent point/],
  ['compare', 'm=compare&src=g.nope.1', /digit to inpaint/],
  ['draw', 'm=rep0rt&v=huge', /mode.*model|model.*mode/],
];
for (const [mode, query, says] of MANGLED) {
  test(`a mangled ${mode} link (${query}) opens a valid view and says what was left out`, { timeout: 300_000 }, async () => {
    const { browser, page, errors } = await open(CPU);
    try {
      await ready(page, `${server.url}?backend=cpu&${query}`);
      const notice = await page.getByTestId('notice').textContent({ timeout: TIMEOUT });
      console.log(`${query}: ${notice}`);
      assert.match(notice, /left out/);
      assert.match(notice, says);
      assert.equal(await page.getByTestId(`tab-${mode}`).getAttribute('aria-selected'), 'true');
      // The address bar now holds the valid view.
      await page.waitForFunction(() => !/broken|99999|1e9|abc|nope|huge|rep0rt/.test(location.search), null, { timeout: TIMEOUT });
      assert.deepEqual(errors, [], 'console errors');
    } finally {
      await browser.close();
    }
  });
}

test('on a phone (390 × 844, touch) the reconstruction stays in view while drawing; every mode fits', { timeout: 600_000 }, async () => {
  const { browser, page, errors } = await open(CPU, { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  try {
    await ready(page, server.url + CPU.query);
    const box = await page.getByTestId('draw-canvas').boundingBox();
    const cdp = await browser.newCDPSession(page);
    const touch = (type, [x, y]) => cdp.send('Input.dispatchTouchEvent', {
      type, touchPoints: type === 'touchEnd' ? [] : [{ x: box.x + x * box.width, y: box.y + y * box.height }],
    });
    await touch('touchStart', ZERO[0]);
    for (const p of ZERO.slice(1)) await touch('touchMove', p);
    // Mid-stroke: the reconstruction is on screen, whole.
    const inView = async (id) => {
      const b = await page.getByTestId(id).boundingBox();
      return b && b.y >= 0 && b.x >= 0 && b.y + b.height <= 844 && b.x + b.width <= 390;
    };
    assert.ok(await inView('draw-canvas'), 'the drawing area is on screen');
    assert.ok(await inView('reconstruction'), `the reconstruction is off screen: ${JSON.stringify(await page.getByTestId('reconstruction').boundingBox())}`);
    await touch('touchEnd', ZERO[0]);
    await page.waitForFunction(() => {
      const [input, recon] = ['model-input', 'reconstruction'].map((id) => document.querySelector(`[data-testid=${id}]`).dataset.points);
      return Number(input) > 10 && input === recon;
    }, null, { timeout: TIMEOUT });
    assert.equal(await page.evaluate(() => window.scrollY), 0, 'the page scrolled while drawing');
    assert.ok(Math.max(...(await pixels(page, 'reconstruction'))) > 0.5);
    for (const mode of ['draw', 'inside', 'inpaint', 'generate', 'explore', 'compare', 'report']) {
      await page.getByTestId(`tab-${mode}`).click();
      await page.waitForTimeout(1500);
      await page.screenshot({ path: path.join(ARTIFACTS, `phone-${mode}.png`) });
    }
    // Explore: the decoded digit stays in view while the manifold is dragged.
    await page.getByTestId('tab-explore').click();
    const grid = page.getByTestId('manifold-grid');
    await grid.scrollIntoViewIfNeeded();
    assert.ok(await inView('latent-probe'), `the probe is off screen: ${JSON.stringify(await page.getByTestId('latent-probe').boundingBox())}`);
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});

test('where the browser refuses the clipboard, the link is shown to copy by hand', { timeout: 300_000 }, async () => {
  const { browser, page, errors } = await open(CPU);
  try {
    await page.addInitScript(() => {
      navigator.clipboard.writeText = () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError'));
    });
    await ready(page, `${server.url}?backend=cpu&m=generate&seed=5`);
    await page.getByTestId('copy-link').click();
    const field = page.getByTestId('copy-link-fallback');
    await field.waitFor({ timeout: TIMEOUT });
    assert.equal(await field.inputValue(), page.url());
    assert.match(page.url(), /m=generate/);
    assert.match(page.url(), /seed=5/);
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});
