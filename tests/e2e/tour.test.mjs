// A visitor's tour, on both backends: every model, and with each one every tab in turn, switched
// faster than the work each starts can finish (a model loading, a grid decoding, a readback in
// flight), then back to Draw. Late results must drop quietly when their view is gone: any console
// error fails the tour (a panic in the page shows as one).
import test from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, ONE, TIMEOUT, open, ready, reconstructionOf, servedDist } from './harness.mjs';

const server = servedDist();
const TABS = ['draw', 'inpaint', 'generate', 'explore', 'compare', 'report', 'train'];

for (const backend of BACKENDS) {
  test(`every tab with every model on ${backend.name}, with no console error`, { timeout: 900_000 }, async () => {
    const { browser, page, errors } = await open(backend);
    try {
      await ready(page, server.url + backend.query);
      await reconstructionOf(page, ONE);
      const variants = await page.getByTestId('variant-picker').locator('option').evaluateAll((options) => options.map((o) => o.value));
      assert.ok(variants.length >= 5, `the picker offers ${variants}`);
      for (const variant of variants) {
        await page.getByTestId('variant-picker').selectOption(variant);
        for (const tab of TABS) {
          await page.getByTestId(`tab-${tab}`).click();
          // Long enough for the tab to start its work, too short for most of it to finish.
          await page.waitForTimeout(120);
        }
        await page.getByTestId('tab-draw').click();
      }
      // The last model works, and whatever was still in flight has landed.
      await page.getByTestId('model-ready').waitFor({ timeout: TIMEOUT });
      await reconstructionOf(page, ONE);
      await page.waitForTimeout(3000);
      assert.deepEqual(errors, [], 'console errors (a panic shows here)');
    } finally {
      await browser.close();
    }
  });
}
