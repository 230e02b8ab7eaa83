// What the browser tests share: Chromium with a fresh profile (chromium.mjs), the page's
// readiness, pixels of its 28×28 canvases, pen strokes. Screenshots go to test-artifacts/.
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { SWIFTSHADER as SWIFTSHADER_AS_SHIPPED, freshProfile } from './chromium.mjs';
import { serve } from './server.mjs';

// WebGPU over SwiftShader for the tests, without Dawn's robustness (the bounds clamps it adds to
// every buffer access in a shader), as ONNX Runtime's release builds run Dawn: the WebGPU tests'
// shaders ran ~20 % faster (the training check 44-46 s instead of 58-59 s alone, 2 cores, AMD
// EPYC, 2026-12-07) with the same results (its 5 steps within 1.14e-7 of the native fixture
// either way). Dawn's validation stays on, so a WebGPU error still fails a test. The benchmarks
// keep Chromium's defaults (chromium.mjs).
export const SWIFTSHADER = [...SWIFTSHADER_AS_SHIPPED, '--enable-dawn-features=disable_robustness'];

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const DIST = path.join(ROOT, 'dist');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
// What the page serves: the models copied into dist/ when it was built.
export const MANIFEST = JSON.parse(fs.readFileSync(path.join(DIST, 'models/manifest.json'), 'utf8'));
export const BACKENDS = [
  { name: 'webgpu', query: '?backend=webgpu', flags: SWIFTSHADER },
  { name: 'cpu', query: '?backend=cpu', flags: [] },
];
export const TIMEOUT = 180_000;

// dist/ served for the tests of one file (options: see server.mjs); its `url` is set once the
// file's tests start.
export function servedDist(options) {
  const served = {};
  before(async () => {
    assert.ok(fs.existsSync(path.join(DIST, 'index.html')), 'build the page first: bash scripts/build-page.sh');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    Object.assign(served, await serve(DIST, options));
  });
  after(() => served.close?.());
  return served;
}

export async function open(backend, { serviceWorkers = 'block', ...options } = {}) {
  const browser = await freshProfile({
    flags: backend.flags,
    viewport: { width: 1200, height: 900 },
    // Playwright's routes do not see requests a service worker answers: tests that damage files
    // block it; the offline tests allow it.
    serviceWorkers,
    ...options,
  });
  const page = browser.pages()[0] ?? await browser.newPage();
  const errors = [];
  // Which build of the page the loader fetched (the WebGPU one is `vae-lab-webgpu_bg.wasm`).
  page.wasmFiles = [];
  page.on('request', (r) => { if (r.url().endsWith('.wasm')) page.wasmFiles.push(path.basename(new URL(r.url()).pathname)); });
  // The page must fetch nothing from another origin (data: and blob: URLs are not fetches).
  page.foreignRequests = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (/^https?:$/.test(url.protocol) && url.hostname !== '127.0.0.1') page.foreignRequests.push(r.url());
  });
  // A CSP violation is a console error too, so every test that checks for none checks the CSP.
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) =>
    console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline code'}`)));
  // A failed fetch's message does not name the file: add it.
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location()?.url;
    errors.push(/^Failed to load resource/.test(m.text()) && where ? `${m.text()} (${where})` : m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { browser, page, errors };
}

export async function ready(page, url) {
  await page.goto(url);
  await page.getByTestId('backend-badge').filter({ hasNotText: 'Starting' }).waitFor({ timeout: TIMEOUT });
  await page.getByTestId('model-ready').waitFor({ timeout: TIMEOUT });
}

// Pixel intensities (0..1) of a 28×28 canvas.
export async function pixels(page, testId) {
  return page.getByTestId(testId).evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const out = [];
    for (let i = 0; i < d.length; i += 4) out.push(d[i] / 255);
    return out;
  });
}

// Waits until a canvas shows ink: some pixel's red channel above `level` (0..255).
export async function waitForInk(page, testId, level) {
  await page.waitForFunction(([id, min]) => {
    const c = document.querySelector(`[data-testid=${id}]`);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) if (d[i] > min) return true;
    return false;
  }, [testId, level], { timeout: TIMEOUT });
}

export function pearson(a, b) {
  const n = a.length, ma = a.reduce((s, v) => s + v, 0) / n, mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) ** 2; sbb += (b[i] - mb) ** 2; }
  return sab / Math.sqrt(saa * sbb || 1);
}

export async function stroke(page, points, pad = 'draw-canvas') {
  const box = await page.getByTestId(pad).boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 2 });
  await page.mouse.up();
}

export async function reconstructionOf(page, points) {
  await page.getByTestId('draw-clear').click();
  await stroke(page, points);
  // Wait until the reconstruction on screen is of the whole stroke (it updates within frames).
  await page.waitForFunction(() => {
    const [input, recon] = ['model-input', 'reconstruction'].map((id) => document.querySelector(`[data-testid=${id}]`).dataset.points);
    return Number(input) > 0 && input === recon;
  }, null, { timeout: TIMEOUT });
  return [await pixels(page, 'model-input'), await pixels(page, 'reconstruction')];
}

export const ZERO = Array.from({ length: 41 }, (_, k) => {
  const t = (k / 40) * 2 * Math.PI;
  return [0.5 + 0.22 * Math.sin(t), 0.5 - 0.32 * Math.cos(t)];
});
export const ONE = [[0.52, 0.18], [0.5, 0.5], [0.48, 0.82]];
