// The same page in Firefox: Debian's Firefox ESR, driven by puppeteer-core over WebDriver BiDi.
// A smoke test of what a visitor does first: the page starts on the CPU (Firefox ESR has no
// WebGPU), a digit drawn with the mouse is reconstructed, every tab opens its mode, and nothing
// is logged as an error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import puppeteer from 'puppeteer-core';
import { ARTIFACTS, ONE, TIMEOUT, servedDist } from './harness.mjs';

const FIREFOX = '/usr/bin/firefox-esr';
const MODES = ['draw', 'inside', 'inpaint', 'generate', 'explore', 'compare', 'report', 'train'];
const server = servedDist();

test('Firefox ESR: the page starts, a drawn digit is reconstructed, every mode opens, no console error', { timeout: 600_000 }, async () => {
  assert.ok(fs.existsSync(FIREFOX), `Firefox ESR is missing (${FIREFOX}): bash scripts/setup-web.sh --deps --browser installs it`);
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    userDataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-firefox-')),
    defaultViewport: { width: 1200, height: 900 },
  });
  const errors = [];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(server.url);
    await page.waitForSelector('[data-testid=model-ready]', { timeout: TIMEOUT });
    const badge = await page.$eval('[data-testid=backend-badge]', (b) => b.textContent);
    assert.match(badge, /CPU/, `the badge says ${badge}`);

    // A "1" drawn with the mouse.
    const pad = await (await page.$('[data-testid=draw-canvas]')).boundingBox();
    const at = ([x, y]) => [pad.x + x * pad.width, pad.y + y * pad.height];
    await page.mouse.move(...at(ONE[0]));
    await page.mouse.down();
    for (const p of ONE.slice(1)) await page.mouse.move(...at(p), { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(() => {
      const c = document.querySelector('[data-testid=reconstruction]');
      const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
      let max = 0;
      for (let i = 0; i < d.length; i += 4) max = Math.max(max, d[i]);
      return max > 128;
    }, { timeout: TIMEOUT });
    // Named with which digit it looks like once the digit classifier is in.
    // (A name for part of the stroke may come first: wait for the 1, then say what it is if not.)
    await page.waitForFunction(() => /: it looks (like|most like) a 1\b/.test(document.querySelector('[data-testid=reconstruction]').getAttribute('aria-label')), { timeout: TIMEOUT }).catch(() => {});
    const name = await page.$eval('[data-testid=reconstruction]', (c) => c.getAttribute('aria-label'));
    assert.match(name, /reconstruction of your drawing: it looks (like|most like) a 1\b/, name);

    for (const mode of MODES) {
      await page.click(`[data-testid=tab-${mode}]`);
      await page.waitForSelector(`[data-testid=tab-${mode}][aria-selected=true]`);
      await page.waitForSelector(`section.mode.${mode}`, { timeout: TIMEOUT });
    }
    // Generate's grid is drawn in Firefox too.
    await page.click('[data-testid=tab-generate]');
    await page.waitForFunction(() => {
      const d = document.querySelector('[data-testid=generate-grid]').getContext('2d').getImageData(0, 0, 224, 224).data;
      let lit = 0;
      for (let i = 0; i < d.length; i += 4) lit += d[i] > 128;
      return lit > 500;
    }, { timeout: TIMEOUT });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'firefox-generate.png') });
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});
