// The guided tour: every step with no console error, each step's view the one its link
// (`?tour=N`) opens, next / back by buttons and keys, leave and resume; on a phone, a screenshot
// per step in test-artifacts/. On the CPU path: the tour is the same on both backends, and every
// mode it opens is tested on WebGPU too (page.test.mjs, every tab with every model), which over
// SwiftShader took 38 s more of the suite for nothing the tour adds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ARTIFACTS, BACKENDS, TIMEOUT, open, ready as readyAt, servedDist } from './harness.mjs';

const server = servedDist();

// What the page shows: the tour's step and title, the selected tab, the model, the link's query.
async function shownView(page) {
  return page.evaluate(() => ({
    step: Number(document.querySelector('[data-testid=tour]')?.dataset.step ?? 0),
    title: document.querySelector('[data-testid=tour-title]')?.textContent ?? '',
    tab: document.querySelector('[role=tab][aria-selected=true]')?.dataset.testid ?? '',
    model: document.querySelector('[data-testid=variant-picker]')?.value ?? '',
  }));
}

// Waits until the tour shows step `n` and the link says so.
async function atStep(page, n) {
  await page.locator(`[data-testid=tour][data-step="${n}"]`).waitFor({ timeout: TIMEOUT });
  await page.waitForFunction((k) => new URLSearchParams(location.search).get('tour') === String(k), n, { timeout: TIMEOUT });
}

async function steps(page) {
  const progress = await page.getByTestId('tour-progress').textContent();
  return Number(/of (\d+)/.exec(progress)[1]);
}

for (const backend of BACKENDS.filter((b) => b.name === 'cpu')) {
  test(`the guided tour walks every step on ${backend.name}`, { timeout: 900_000 }, async () => {
    const { browser, page, errors } = await open(backend);
    try {
      await readyAt(page, server.url + backend.query);
      await page.getByTestId('tour-start').click();
      await atStep(page, 1);
      const count = await steps(page);
      assert.ok(count >= 8, `${count} steps`);
      const seen = [];
      for (let n = 1; n <= count; n++) {
        await atStep(page, n);
        // The link of a step is the step alone (with the backend the page was opened with).
        const query = new URL(page.url()).searchParams;
        assert.deepEqual([...query.keys()].filter((k) => k !== 'backend'), ['tour'], `step ${n}: ${page.url()}`);
        seen.push(await shownView(page));
        if (n === count) break;
        // Next by key and by button, in turn.
        if (n % 2) {
          await page.locator('body').focus();
          await page.evaluate(() => document.activeElement?.blur());
          await page.keyboard.press('ArrowRight');
        } else {
          await page.getByTestId('tour-next').click();
        }
      }
      // Back.
      await page.getByTestId('tour-back').click();
      await atStep(page, count - 1);
      // Each step's link opens the view the tour showed.
      for (const view of seen) {
        await page.goto(`${server.url}${backend.query}&tour=${view.step}`);
        await atStep(page, view.step);
        await page.getByTestId('backend-badge').filter({ hasNotText: 'Starting' }).waitFor({ timeout: TIMEOUT });
        assert.deepEqual(await shownView(page), view, `step ${view.step}`);
      }
      // Leave, then resume where it was left.
      await page.goto(`${server.url}${backend.query}&tour=4`);
      await atStep(page, 4);
      await page.getByTestId('tour-leave').click();
      await page.getByTestId('tour').waitFor({ state: 'detached' });
      assert.equal(new URL(page.url()).searchParams.get('tour'), null);
      assert.match(await page.getByTestId('tour-start').textContent(), /Resume the tour \(step 4\)/);
      await page.getByTestId('tour-start').click();
      await atStep(page, 4);
      console.log(`${backend.name}: ${seen.map((v) => `${v.step}. ${v.title} (${v.tab.replace('tab-', '')}, ${v.model})`).join('; ')}`);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
}

test('the guided tour on a phone: every step in sight, a screenshot each', { timeout: 600_000 }, async () => {
  const backend = BACKENDS.find((b) => b.name === 'cpu');
  const { browser, page, errors } = await open(backend, { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  try {
    await readyAt(page, `${server.url}${backend.query}&tour=1`);
    const count = await steps(page);
    for (let n = 1; n <= count; n++) {
      await atStep(page, n);
      // Let the step's view settle (models load) before the picture.
      await page.waitForTimeout(1500);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `step ${n}: the page is ${width} px wide on a 390 px screen`);
      // Folding the text leaves the title and the buttons, and a smaller panel.
      if (n === 2) {
        const open = (await page.getByTestId('tour').boundingBox()).height;
        await page.getByTestId('tour-fold').tap();
        const folded = (await page.getByTestId('tour').boundingBox()).height;
        assert.ok(folded < open - 40, `folded ${folded} px, open ${open} px`);
        assert.equal(await page.getByTestId('tour-fold').getAttribute('aria-expanded'), 'false');
        await page.getByTestId('tour-fold').tap();
      }
      const panel = await page.getByTestId('tour').boundingBox();
      assert.ok(panel && panel.y + panel.height <= 844 + 1 && panel.y >= 0, `step ${n}: the tour's panel is out of sight (${JSON.stringify(panel)})`);
      // Its head and its buttons are inside it, in sight (only the text may scroll).
      for (const id of ['tour-progress', 'tour-next']) {
        const b = await page.getByTestId(id).boundingBox();
        assert.ok(b && b.y >= panel.y - 1 && b.y + b.height <= panel.y + panel.height + 1, `step ${n}: ${id} is cut (${JSON.stringify(b)} in ${JSON.stringify(panel)})`);
      }
      await page.screenshot({ path: path.join(ARTIFACTS, `phone-tour-${n}.png`) });
      if (n < count) await page.getByTestId('tour-next').tap();
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
