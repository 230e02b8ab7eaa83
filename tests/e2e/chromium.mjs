// The one place the browser tests and the benchmarks start Chromium: Debian's build
// (`apt-get install chromium`, scripts/setup-web.sh --browser), headless, with the same flags.
// tests/e2e/harness.mjs, benches/web.mjs, benches/profile-train.mjs and benches/ort-web.mjs
// launch through it; benches/lighthouse.mjs hands its path and flags to Lighthouse's own launcher.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
// No sandbox (CI runs as root), and nothing fetched or started that the page did not ask for.
export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
// WebGPU over SwiftShader, a CPU emulation of a GPU: the page uses it only when the link asks
// (?backend=webgpu), and its timings say nothing about GPUs.
export const SWIFTSHADER = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader'];

function present() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is missing (${CHROMIUM}): bash scripts/setup-web.sh --deps --browser installs it`);
}

// Chromium with a fresh profile, as a first visit (a cold cache, no service worker yet):
// Playwright takes --user-data-dir as a persistent context. `flags` are added to the common
// ones; `options` are Playwright's (viewport, serviceWorkers, ...).
export async function freshProfile({ flags = [], ...options } = {}) {
  present();
  return chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-')), {
    executablePath: CHROMIUM,
    headless: true,
    ...options,
    args: ['--headless', ...CHROMIUM_FLAGS, ...flags],
  });
}

// One Chromium for several fresh contexts (`browser.newContext()`: each its own cache and
// storage), for a benchmark that takes turns between contenders.
export async function launch({ flags = [] } = {}) {
  present();
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS, ...flags] });
}

// Chromium's version, for a benchmark's report.
export async function chromiumVersion() {
  const browser = await launch();
  try {
    return browser.version();
  } finally {
    await browser.close();
  }
}
