// The page's cargo builds, read from index.html's Trunk links (the one place they are written).
//   node scripts/page-builds.mjs build [--cpu]   runs them (`--cpu`: all but the WebGPU build)
//   node scripts/page-builds.mjs html OUT        writes index.html without the WebGPU build to OUT
// `build` runs each exactly as Trunk does (same target, profile, bin and features), so the `trunk
// build` after it finds them done: the scripts start it while Trunk itself is still compiling.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const WEBGPU = 'vae-lab-webgpu';
const html = fs.readFileSync(new URL('../index.html', import.meta.url), 'utf8');

// `<link data-trunk rel="rust" ...>` tags (attributes may span lines).
const links = [...html.matchAll(/<link\s+data-trunk\s+rel="rust"[^>]*>/g)].map((m) => {
  const tag = m[0];
  const attr = (name) => tag.match(new RegExp(`\\b${name}="([^"]*)"`))?.[1];
  const bin = attr('data-bin');
  if (!bin) throw new Error(`index.html: a rust link without data-bin: ${tag}`);
  return {
    tag,
    bin,
    profile: attr('data-cargo-profile'),
    features: attr('data-cargo-features'),
    noDefault: /\bdata-cargo-no-default-features\b/.test(tag),
  };
});
if (links.length === 0) throw new Error('index.html has no rust build');

const [command, arg] = process.argv.slice(2);
if (command === 'build') {
  const chosen = links.filter((l) => arg !== '--cpu' || l.bin !== WEBGPU);
  for (const l of chosen) {
    const args = ['build', '--target=wasm32-unknown-unknown', '--locked', '--bin', l.bin];
    if (l.profile) args.push('--profile', l.profile);
    else args.push('--release');
    if (l.noDefault) args.push('--no-default-features');
    if (l.features) args.push('--features', l.features);
    const started = Date.now();
    const run = spawnSync('cargo', args, { stdio: 'inherit' });
    if (run.status !== 0) process.exit(run.status ?? 1);
    console.log(`page build ${l.bin}: ${Math.round((Date.now() - started) / 1000)} s`);
  }
} else if (command === 'html' && arg) {
  const webgpu = links.find((l) => l.bin === WEBGPU);
  if (!webgpu) throw new Error(`index.html has no ${WEBGPU} build`);
  fs.writeFileSync(arg, html.replace(webgpu.tag, `<!-- ${WEBGPU}: left out of this build -->`));
} else {
  console.error('usage: node scripts/page-builds.mjs build [--cpu] | html OUT');
  process.exit(2);
}
