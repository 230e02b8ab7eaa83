// The Train mode in Chromium on the CPU path: a short run from scratch learns (the loss goes
// down, the chart and the reconstructions move) while the page stays usable; pause and resume
// continue from the same step; the model is then "your model" in Draw and Generate, survives a
// reload, downloads and loads back to the same pixels; a damaged file gets a clear message.
// And the first steps match the native trainer's: 20 of 128 digits on the CPU path, with and
// without relaxed SIMD (tests/fixtures/train-20-steps.json), the first 5 of 32 on WebGPU (SwiftShader,
// tests/fixtures/train-20-steps-batch-32.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARTIFACTS, BACKENDS, ROOT, TIMEOUT, ZERO, ONE, open, pearson, pixels, reconstructionOf, stroke, waitForInk, ready as readyAt, servedDist } from './harness.mjs';

const server = servedDist();
const CPU = BACKENDS.find((b) => b.name === 'cpu');
const fixture = (name) => JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures', name), 'utf8'));
const REFERENCE = fixture('train-20-steps.json');

const phase = (page, name) => page.locator(`[data-testid=train-phase][data-phase=${name}]`).waitFor({ timeout: TIMEOUT });
const step = async (page) => Number(await page.getByTestId('train-phase').getAttribute('data-step'));
const losses = async (page) => JSON.parse(await page.getByTestId('train-chart').getAttribute('data-losses'));

async function settings(page, { digits, epochs, batch, seed }) {
  await page.getByTestId('train-digits').fill(String(digits));
  await page.getByTestId('train-digits').dispatchEvent('change');
  await page.getByTestId('train-epochs').fill(String(epochs));
  await page.getByTestId('train-epochs').dispatchEvent('change');
  await page.getByTestId('train-batch').selectOption(String(batch));
  await page.getByTestId('train-seed').fill(String(seed));
  await page.getByTestId('train-seed').dispatchEvent('change');
}

// The CPU path runs the whole 20 steps of 128 digits; WebGPU over SwiftShader (a CPU emulation
// of a GPU, ~8 s a step of 32 and ~15 s a step of 128 on 2 cores) the first 5 of its fixture's 20
// steps of 32, then stops: the same seed, initial weights, batches and ε (drawn on the CPU), so
// only the float arithmetic of the two backends differs.
// On the CPU both training workers: with fused multiply-adds (wasm relaxed SIMD, which this
// Chromium has: the relaxed-SIMD page build starts it) and without (?simd=plain: what a browser
// without relaxed SIMD runs).
const AGREEMENT = [
  { backend: CPU, label: 'cpu, relaxed SIMD', build: 'vae-lab-train-relaxed-simd_bg.wasm', reference: REFERENCE, steps: REFERENCE.losses.length, tolerance: 1e-3 },
  { backend: { ...CPU, query: '?backend=cpu&simd=plain' }, label: 'cpu, plain SIMD', build: 'vae-lab-train_bg.wasm', reference: REFERENCE, steps: REFERENCE.losses.length, tolerance: 1e-3 },
  { backend: BACKENDS.find((b) => b.name === 'webgpu'), label: 'webgpu', build: 'vae-lab-webgpu_bg.wasm', reference: fixture('train-20-steps-batch-32.json'), steps: 5, tolerance: 1e-2 },
];
for (const { backend, label, build, reference, steps, tolerance } of AGREEMENT) {
  test(`the first ${steps} steps in the page are the native trainer's (${label}, batch ${reference.batch}, ${tolerance} relative)`, { timeout: 600_000 }, async () => {
    const { browser, page, errors } = await open(backend);
    try {
      await readyAt(page, `${server.url}${backend.query}&m=train`);
      await page.getByTestId('train-use-drawings').uncheck();
      await settings(page, { digits: reference.sample_digits, epochs: 1, batch: reference.batch, seed: reference.seed });
      await page.getByTestId('train-go').click();
      if (steps < reference.losses.length) {
        await page.waitForFunction((n) => Number(document.querySelector('[data-testid=train-phase]').dataset.step) >= n, steps, { timeout: 600_000 });
        await page.getByTestId('train-stop').click();
      }
      await phase(page, 'finished');
      const got = await losses(page);
      assert.ok(got.length >= steps && got.length <= reference.losses.length, `${got.length} steps`);
      const worst = Math.max(...got.map((l, k) => Math.abs(l - reference.losses[k]) / reference.losses[k]));
      const status = await page.getByTestId('train-phase').textContent();
      console.log(`${label}: ${got.length} steps of ${reference.batch}, worst relative difference to the native trainer ${worst.toExponential(2)}; first ${got[0].toFixed(3)} vs ${reference.losses[0].toFixed(3)}, last ${got.at(-1).toFixed(3)} vs ${reference.losses[got.length - 1].toFixed(3)}; ${status}`);
      assert.ok(worst <= tolerance, `worst relative difference ${worst}`);
      // The training worker ran the build meant for this page, and no other.
      const trainBuilds = page.wasmFiles.filter((f) => /^vae-lab-(train|train-relaxed-simd|webgpu)_bg\.wasm$/.test(f));
      assert.ok(trainBuilds.length > 0 && trainBuilds.every((f) => f === build), `training builds fetched: ${trainBuilds}`);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
}

// Data-parallel training: two workers, each computing half of every batch and adding up their
// gradients, train as one worker does, up to the order of a sum (engine::workers::train).
test('two training workers take the steps one worker takes (cpu, 1e-5 relative)', { timeout: 600_000 }, async () => {
  const { browser, page, errors } = await open(CPU);
  try {
    await readyAt(page, `${server.url}?backend=cpu&m=train`);
    await page.getByTestId('train-use-drawings').uncheck();
    await settings(page, { digits: REFERENCE.sample_digits, epochs: 1, batch: REFERENCE.batch, seed: REFERENCE.seed });
    const runs = {};
    const maps = {};
    for (const workers of [1, 2]) {
      await page.getByTestId('train-workers').selectOption(String(workers));
      await page.getByTestId('train-go').click();
      await phase(page, 'finished');
      assert.equal(Number(await page.getByTestId('train-phase').getAttribute('data-workers')), workers);
      runs[workers] = await losses(page);
      assert.equal(runs[workers].length, REFERENCE.losses.length);
      // The live view's map of the held-out means after the last step (a team computes it in slices).
      maps[workers] = await page.getByTestId('train-means').evaluate((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data));
    }
    const worst = Math.max(...runs[2].map((l, k) => Math.abs(l - runs[1][k]) / runs[1][k]));
    console.log(`2 workers against 1: ${runs[2].length} steps, worst relative difference ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-5, `worst relative difference ${worst}`);
    const painted = maps[1].filter((v, i) => i % 4 === 0 && v !== maps[1][0]).length;
    const furthest = maps[2].reduce((m, v, i) => Math.max(m, Math.abs(v - maps[1][i])), 0);
    console.log(`the held-out means' map: ${painted} pixels painted, 2 workers' against 1 worker's: a channel differs by ${furthest} at most`);
    assert.ok(painted > 200, `the map has points (${painted} pixels off the background's red)`);
    assert.ok(maps[2].length === maps[1].length && furthest <= 2, `2 workers drew the map 1 worker drew (a channel differs by ${furthest})`);
    // Stopped midway, a team ends as one worker does: the model so far is kept.
    await page.getByTestId('train-go').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=train-phase]').dataset.step) >= 3, null, { timeout: TIMEOUT });
    await page.getByTestId('train-stop').click();
    await phase(page, 'finished');
    assert.match(await page.getByTestId('train-phase').textContent(), /^Stopped at epoch 1 of 1, step \d+ of 20/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('train in the page on two workers: learn, pause and resume, use, keep, download and load back', { timeout: 900_000 }, async (t) => {
  const { browser, page, errors } = await open(CPU);
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-downloads-'));
  try {
    await readyAt(page, `${server.url}?backend=cpu`);
    // Three digits of "my handwriting" for the run.
    for (const points of [ZERO, ONE, ZERO]) {
      await stroke(page, points);
      await page.getByTestId('draw-add-training').click();
    }
    await page.getByText('3 digits of yours collected').waitFor({ timeout: TIMEOUT });

    await t.test('a run from scratch learns while the page stays responsive', async () => {
      await page.getByTestId('tab-train').click();
      // Long enough (3 × 26 steps) that it is still running after a drawing on a fast machine.
      await settings(page, { digits: 800, epochs: 3, batch: 32, seed: 11 });
      // Two workers, whatever the machine's cores: pause, resume and the live view with a team.
      await page.getByTestId('train-workers').selectOption('2');
      await page.getByTestId('train-go').click();
      await phase(page, 'running');
      assert.equal(await page.getByTestId('train-phase').getAttribute('data-workers'), '2');
      await page.waitForFunction(() => Number(document.querySelector('[data-testid=train-phase]').dataset.step) >= 4, null, { timeout: TIMEOUT });
      // Draw while it trains: the drawing is reconstructed (by the shipped baseline).
      await page.getByTestId('tab-draw').click();
      const [input, recon] = await reconstructionOf(page, ZERO);
      assert.ok(pearson(input, recon) > 0.5, 'a drawing made during training is reconstructed');
      await page.getByTestId('tab-train').click();

      // A dashboard while it runs: the settings folded to their summary line.
      assert.equal(await page.locator('details.train-settings').evaluate((d) => d.open), false, 'the settings fold while a run is on');
      assert.equal(await page.getByTestId('train-settings-summary').textContent(),
        'Settings: baseline, latent 2, BCE, β 1, batch 32, learning rate 0.001, 3 epochs');
      await page.getByTestId('train-pause').click();
      await phase(page, 'paused');
      const paused = await step(page);
      await page.waitForTimeout(1500);
      assert.equal(await step(page), paused, 'no step while paused');
      await page.getByTestId('train-resume').click();
      await page.waitForFunction((s) => Number(document.querySelector('[data-testid=train-phase]').dataset.step) > s, paused, { timeout: TIMEOUT });
      await phase(page, 'finished');
      assert.equal(await page.locator('details.train-settings').evaluate((d) => d.open), true, 'the settings open again when it is done');
      const all = await losses(page);
      // One loss per step, none skipped or repeated across the pause: 3 epochs of ⌈803 / 32⌉.
      assert.equal(all.length, 3 * Math.ceil(803 / 32));
      const head = all.slice(0, 3).reduce((a, b) => a + b) / 3;
      const tail = all.slice(-3).reduce((a, b) => a + b) / 3;
      console.log(`cpu: train 3 epochs of 803 digits: loss ${head.toFixed(1)} → ${tail.toFixed(1)}; ${await page.getByTestId('train-phase').textContent()}`);
      assert.ok(tail < 0.75 * head, `the loss goes down: ${head} → ${tail}`);
      assert.equal(await page.locator('[data-testid=train-chart] circle.test').count(), 3, 'a held-out loss per epoch');
      assert.ok(Number(await page.getByTestId('train-reconstructions').getAttribute('data-painted')) >= 3, 'the reconstructions were redrawn');
      await waitForInk(page, 'train-reconstructions', 100);
      await page.getByTestId('train-means').waitFor({ timeout: TIMEOUT });
      await page.screenshot({ path: path.join(ARTIFACTS, 'cpu-train.png'), fullPage: true });
    });

    let before;
    await t.test('your model draws and generates', async () => {
      await page.getByTestId('your-model-use').click();
      assert.equal(await page.getByTestId('variant-picker').inputValue(), 'yours-b2');
      await page.getByTestId('model-ready').filter({ hasText: 'Your model' }).waitFor({ timeout: TIMEOUT });
      const [input, recon] = await reconstructionOf(page, ZERO);
      before = recon;
      console.log(`cpu: your model reconstructs a drawn 0 with Pearson r = ${pearson(input, recon).toFixed(3)}`);
      assert.ok(pearson(input, recon) > 0.3, 'your model reconstructs a drawing');
      await page.getByTestId('tab-generate').click();
      // A model of 3 short epochs draws faint blurs (brightest pixel ~85 of 255): ink, not black.
      await waitForInk(page, 'generate-grid', 40);
    });

    await t.test('a reload keeps it', async () => {
      await page.reload();
      await page.getByTestId('backend-badge').filter({ hasNotText: 'Starting' }).waitFor({ timeout: TIMEOUT });
      await page.getByTestId('model-ready').filter({ hasText: 'Your model' }).waitFor({ timeout: TIMEOUT });
      await page.getByTestId('tab-draw').click();
      const [, recon] = await reconstructionOf(page, ZERO);
      assert.deepEqual(recon, before, 'the same model after the reload');
    });

    await t.test('download, load back: the same pixels; a damaged file: a clear message', async () => {
      await page.getByTestId('tab-train').click();
      const saved = [];
      for (const id of ['your-model-download', 'your-model-download-record']) {
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(id).click()]);
        const file = path.join(downloads, download.suggestedFilename());
        await download.saveAs(file);
        saved.push(file);
      }
      const record = JSON.parse(fs.readFileSync(saved[1], 'utf8'));
      assert.equal(record.variant, 'yours-b2');
      assert.equal(record.history.length, 3);
      await page.getByTestId('your-model-upload').setInputFiles({ name: 'broken.bpk', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model at all') });
      const problem = await page.getByTestId('your-model-problem').textContent({ timeout: TIMEOUT });
      assert.match(problem, /broken\.bpk is not a model file/);
      // A fresh page: load the downloaded files into it.
      await page.getByTestId('your-model-forget').click();
      await page.getByText('Removed from this browser').waitFor({ timeout: TIMEOUT });
      await page.goto(`${server.url}?backend=cpu&m=train`);
      await page.getByTestId('model-ready').waitFor({ timeout: TIMEOUT });
      assert.equal(await page.getByTestId('your-model-summary').count(), 0, 'removed from the browser');
      await page.getByTestId('your-model-upload').setInputFiles(saved);
      await page.getByTestId('your-model-summary').waitFor({ timeout: TIMEOUT });
      await page.getByTestId('your-model-use').click();
      await page.getByTestId('model-ready').filter({ hasText: 'Your model' }).waitFor({ timeout: TIMEOUT });
      const [, recon] = await reconstructionOf(page, ZERO);
      assert.deepEqual(recon, before, 'the downloaded model gives the same pixels');
    });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('fine-tune a shipped model on your own drawings only', { timeout: 600_000 }, async () => {
  const { browser, page, errors } = await open(CPU);
  try {
    await readyAt(page, `${server.url}?backend=cpu`);
    for (const points of [ONE, ONE, ONE, ONE]) {
      await stroke(page, points);
      await page.getByTestId('draw-add-training').click();
    }
    await page.getByText('4 digits of yours collected').waitFor({ timeout: TIMEOUT });
    const [drawn, shippedRecon] = await reconstructionOf(page, ONE);
    await page.getByTestId('tab-train').click();
    await page.getByTestId('train-start-from').selectOption('baseline');
    await settings(page, { digits: 0, epochs: 15, batch: 32, seed: 5 });
    await page.getByTestId('train-go').click();
    await phase(page, 'finished');
    const all = await losses(page);
    // Four drawings, one step per epoch: the loss on them falls as the model learns this hand.
    assert.equal(all.length, 15);
    console.log(`cpu: fine-tune baseline on 4 drawings: loss ${all[0].toFixed(1)} → ${all.at(-1).toFixed(1)}; ${await page.getByTestId('your-model-summary').textContent()}`);
    assert.ok(all.at(-1) < all[0], `the loss on the drawings goes down: ${all[0]} → ${all.at(-1)}`);
    assert.match(await page.getByTestId('your-model-summary').textContent(), /fine-tuned from Baseline/);
    await page.getByTestId('your-model-use').click();
    await page.getByTestId('model-ready').filter({ hasText: 'Your model' }).waitFor({ timeout: TIMEOUT });
    const [, tunedRecon] = await reconstructionOf(page, ONE);
    console.log(`cpu: the drawn 1 reconstructed by the shipped baseline r = ${pearson(drawn, shippedRecon).toFixed(3)}, by the fine-tuned model r = ${pearson(drawn, tunedRecon).toFixed(3)}`);
    assert.ok(pearson(drawn, tunedRecon) > 0.3, 'the fine-tuned model reconstructs the drawing');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
