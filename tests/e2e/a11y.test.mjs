// Accessibility: axe-core (WCAG 2.1 A and AA rules, injected into the page) finds no violation in
// any mode, after input and with everything folded opened; every canvas is named; the tabs and
// the drawing pad work from the keyboard alone, and a screen reader hears what happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ONE, TIMEOUT, open, ready, servedDist, stroke } from './harness.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const MODES = ['draw', 'inside', 'inpaint', 'generate', 'explore', 'compare', 'report', 'train'];
const server = servedDist();

// axe's WCAG 2.1 A/AA rules on the page as it is; one line per violation and node.
async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`));
  });
  return found;
}

// The light theme on a wide screen, the dark one on a phone (where tables and the tour's text
// scroll, and a scrolling box must take the keyboard's focus), with the tour open there too.
const SCREENS = [
  { scheme: 'light', screen: 'a wide screen', options: {}, views: MODES.map((m) => `m=${m}`) },
  { scheme: 'dark', screen: 'a phone', options: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true },
    views: [...MODES.map((m) => `m=${m}`), 'tour=3'] },
];

for (const { scheme, screen, options, views } of SCREENS) {
  test(`axe finds no WCAG 2.1 AA violation in any mode (${scheme} theme, ${screen})`, { timeout: 900_000 }, async () => {
    const { browser, page, errors } = await open({ flags: [] }, { bypassCSP: true, colorScheme: scheme, ...options });
    const all = [];
    try {
      for (const view of views) {
        const mode = view.replace(/^m=/, '');
        await ready(page, `${server.url}?${view}&backend=cpu`);
        // Some input, so that what it shows is checked too (the other modes open on a digit).
        if (mode === 'draw') await stroke(page, ONE);
        // What is folded away too ("?" explanations, long tables).
        await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
        await page.waitForTimeout(1500);
        const found = await violations(page);
        // Every canvas says what it shows (an image with a name, or hidden inside a named control).
        found.push(...await page.evaluate(() => [...document.querySelectorAll('canvas')]
          .filter((c) => c.getAttribute('aria-hidden') !== 'true' && !(['img', 'application'].includes(c.getAttribute('role')) && c.getAttribute('aria-label')?.trim()))
          .map((c) => `unnamed canvas: ${c.dataset.testid ?? c.className}`)));
        for (const v of found) console.log(`${scheme} ${mode}: ${v}`);
        all.push(...found.map((v) => `${mode}: ${v}`));
      }
      // An embedded mode (a course page's <iframe>): the bar above it and the mode.
      await page.goto(`${server.url}?embed=inpaint&backend=cpu`);
      await page.getByTestId('model-ready').waitFor({ timeout: TIMEOUT });
      await page.waitForTimeout(1500);
      const embedded = await violations(page);
      for (const v of embedded) console.log(`${scheme} embed=inpaint: ${v}`);
      all.push(...embedded.map((v) => `embed=inpaint: ${v}`));
      assert.deepEqual(all, [], 'axe violations');
      assert.deepEqual(errors, [], 'console errors');
    } finally {
      await browser.close();
    }
  });
}

test('the keyboard alone: tabs move with the arrow keys, a digit drawn with the pen is reconstructed, named and announced, the arrows paint a mask, pick a generated digit and move over the manifold', { timeout: 600_000 }, async () => {
  const { browser, page, errors } = await open({ flags: [] });
  try {
    await ready(page, `${server.url}?m=draw&backend=cpu`);
    assert.equal(await page.getByTestId('model-announce').textContent(), 'Baseline (latent 2) ready.', 'the model being ready is announced');
    // Tab until the drawing pad has the focus.
    for (let k = 0; k < 40 && await page.evaluate(() => document.activeElement?.dataset.testid) !== 'draw-canvas'; k++) await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'draw-canvas', 'the pad takes the focus');
    assert.match(await page.getByTestId('draw-canvas').getAttribute('data-pen'), /,up$/, 'a visible pen, lifted');
    // A vertical bar (a 1): up three steps fast, pen down, down six steps fast, lift.
    for (let k = 0; k < 3; k++) await page.keyboard.press('Shift+ArrowUp');
    await page.keyboard.press('Space');
    for (let k = 0; k < 6; k++) await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Space');
    // Named with what it shows: which digit it looks like, once the digit classifier (fetched
    // after the start-up) is in.
    // (A name for part of the stroke may come first: wait for the 1, then say what it is if not.)
    const recon = page.getByRole('img', { name: /model's reconstruction of your drawing: it looks/ });
    await recon.waitFor({ timeout: TIMEOUT });
    await page.getByRole('img', { name: /reconstruction of your drawing: it looks (like|most like) a 1\b/ }).waitFor({ timeout: TIMEOUT }).catch(() => {});
    const name = await recon.getAttribute('aria-label');
    console.log(`reconstruction's name: ${name}`);
    assert.match(name, /: it looks (like|most like) a 1\b/, name);
    assert.match(await page.getByTestId('draw-announce').textContent(), /^Reconstructed by the Baseline \(latent 2\) model: your drawing of 1 stroke, which looks (like|most like) a 1\b/);
    assert.match(await page.getByTestId('draw-looks').textContent(), /looks (like|most like) a 1\b/, 'shown beside the reconstruction too');
    assert.equal(await page.getByRole('status').filter({ hasText: 'Reconstructed' }).count(), 1, 'announced politely');
    // Backspace takes the stroke back.
    await page.keyboard.press('Backspace');
    await page.getByRole('img', { name: /nothing yet/ }).waitFor({ timeout: TIMEOUT });

    // The tabs: one tab stop, arrows (and Home, End) move between modes.
    await page.getByTestId('tab-draw').focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('tab', { selected: true }).getAttribute('data-testid'), 'tab-inside');
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'tab-inside');
    await page.keyboard.press('End');
    assert.equal(await page.getByRole('tab', { selected: true }).getAttribute('data-testid'), 'tab-train');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('tab', { selected: true }).getAttribute('data-testid'), 'tab-draw', 'the arrows wrap around');
    assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll('[role=tab]')].map((t) => t.tabIndex).filter((i) => i === 0).length), 1, 'one tab stop');
    assert.equal(await page.getByRole('tabpanel').getAttribute('aria-labelledby'), 'tab-draw');

    // Generate: the arrows pick a tile of the grid.
    await page.getByTestId('tab-generate').click();
    await page.getByTestId('generate-grid').focus();
    // Tile 1 is shown until another is picked.
    await page.getByRole('img', { name: /^The picked digit: tile 1 of the grid, enlarged; it looks/ }).waitFor({ timeout: TIMEOUT });
    await page.keyboard.press('ArrowRight');
    await page.getByRole('img', { name: /^The picked digit: tile 2 of the grid, enlarged; it looks/ }).waitFor({ timeout: TIMEOUT });
    console.log(`picked: ${await page.getByTestId('generate-picked').getAttribute('aria-label')}; ${await page.getByTestId('generate-looks').textContent()}`);
    await page.keyboard.press('ArrowDown');
    // One row down: 8 tiles a row.
    await page.getByRole('img', { name: /tile 10 of the grid/ }).waitFor({ timeout: TIMEOUT });

    // Inpaint: a mask painted with the keyboard.
    await page.getByTestId('tab-inpaint').click();
    await page.getByTestId('inpaint-clear').click();
    for (let k = 0; k < 60 && await page.evaluate(() => document.activeElement?.dataset.testid) !== 'inpaint-mask-canvas'; k++) await page.keyboard.press('Tab');
    assert.equal(await page.getByTestId('inpaint-mask-canvas').getAttribute('data-cursor'), '14,14,up', 'the mask takes the focus and shows its brush');
    await page.keyboard.press('Space');
    for (let k = 0; k < 3; k++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Space');
    assert.equal(await page.getByTestId('inpaint-mask-canvas').getAttribute('data-cursor'), '17,14,up');
    // A 3×3 brush at 4 cells in a row: 6 columns of 3 hidden cells, as the link says.
    const hidden = () => page.evaluate(() => {
      const text = new URLSearchParams(location.search).get('mask') ?? '';
      const bytes = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
      let n = 0;
      for (const c of bytes) for (let b = c.charCodeAt(0); b; b >>= 1) n += b & 1;
      return n;
    });
    for (let k = 0; k < 50 && await hidden() !== 18; k++) await page.waitForTimeout(100);
    assert.equal(await hidden(), 18, 'cells hidden by the keyboard brush');
    for (const id of ['inpaint-original', 'inpaint-one-pass', 'inpaint-iterative']) {
      await page.waitForFunction((i) => /; it looks/.test(document.querySelector(`[data-testid=${i}]`).getAttribute('aria-label')), id, { timeout: TIMEOUT });
      console.log(`${id}: ${await page.getByTestId(id).getAttribute('aria-label')}`);
    }

    // Explore: the arrows move the decoded point over the manifold.
    await page.getByTestId('tab-explore').click();
    await page.getByTestId('manifold-grid').focus();
    const probe = page.getByTestId('latent-probe');
    const before = await probe.getAttribute('aria-label');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((b) => document.querySelector('[data-testid=latent-probe]').getAttribute('aria-label') !== b, before, { timeout: TIMEOUT });
    console.log(`manifold: ${before} → ${await probe.getAttribute('aria-label')}`);
    await page.waitForFunction(() => /; it looks/.test(document.querySelector('[data-testid=latent-probe]').getAttribute('aria-label')), null, { timeout: TIMEOUT });
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.close();
  }
});
