// Lighthouse 12.2.3 on the built page (dist/), served locally over HTTP/1.1 with gzip, in Debian's
// Chromium: its mobile profile (a mid-range phone: 4x CPU slowdown, slow 4G) and its desktop
// profile, for the Draw mode a shared link opens. Prints the four category scores, LCP and TBT,
// and writes target/lighthouse-<profile>.json. Not a test: the scores depend on this machine's
// CPU (say which when you quote them). Run it with: bash scripts/bench-lighthouse.sh
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CHROMIUM, CHROMIUM_FLAGS } from '../tests/e2e/chromium.mjs';
import { serve } from '../tests/e2e/server.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIST = path.join(ROOT, 'dist');
const LIGHTHOUSE = 'lighthouse@12.2.3';
const profiles = process.argv.slice(2).length ? process.argv.slice(2) : ['mobile', 'desktop'];

if (!fs.existsSync(path.join(DIST, 'index.html'))) {
  console.error('build the page first: bash scripts/build-page.sh');
  process.exit(1);
}
const server = await serve(DIST, {});
const rows = [];
try {
  for (const profile of profiles) {
    const out = path.join(ROOT, 'target', `lighthouse-${profile}.json`);
    const args = ['--yes', LIGHTHOUSE, server.url, '--quiet', '--output=json', `--output-path=${out}`,
      '--only-categories=performance,accessibility,best-practices,seo',
      // The tests' Chromium and flags; without --disable-dev-shm-usage its tab died here (a
      // small /dev/shm).
      `--chrome-flags=--headless=new --disable-dev-shm-usage ${CHROMIUM_FLAGS.join(' ')}`];
    if (profile === 'desktop') args.push('--preset=desktop');
    // Not spawnSync: this process serves the page while Lighthouse loads it.
    const status = await new Promise((resolve) => spawn('npx', args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, CHROME_PATH: CHROMIUM } })
      .on('exit', resolve));
    if (status !== 0) throw new Error(`lighthouse (${profile}) exited with ${status}`);
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    const score = (c) => Math.round(report.categories[c].score * 100);
    const audit = (a) => report.audits[a].displayValue;
    rows.push(`| ${profile} | ${score('performance')} | ${score('accessibility')} | ${score('best-practices')} | ${score('seo')} | ${audit('largest-contentful-paint')} | ${audit('total-blocking-time')} | ${audit('first-contentful-paint')} |`);
    for (const [id, a] of Object.entries(report.audits)) {
      if (a.score !== null && a.score < 1 && ['accessibility', 'best-practices', 'seo'].some((c) => report.categories[c].auditRefs.some((r) => r.id === id && r.weight > 0))) {
        console.log(`${profile}: ${id}: ${a.title}`);
      }
    }
  }
} finally {
  server.close();
}
const cpu = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU';
console.log(`\nLighthouse 12.2.3, Chromium, ${cpu} (${os.cpus().length} cores), ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| Profile | Performance | Accessibility | Best practices | SEO | LCP | TBT | FCP |');
console.log('|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
