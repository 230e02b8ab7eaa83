// The page's cargo builds, read from index.html's Trunk links (the one place they are written).
//   node scripts/page-builds.mjs build [--first]  runs them (`--first`: the main CPU build only)
//   node scripts/page-builds.mjs html OUT         writes index.html with the main build only to OUT
// `build` runs each exactly as Trunk does (same target, profile, bin and features), so the `trunk
// build` after it finds them done: the scripts start it while Trunk itself is still compiling.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

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
    // The page's own build; the others are "workers" to Trunk (built, not linked in the page).
    main: !/\bdata-type="worker"/.test(tag),
  };
});
if (links.length === 0) throw new Error('index.html has no rust build');

const [command, arg] = process.argv.slice(2);
if (command === 'build') {
  const chosen = links.filter((l) => arg !== '--first' || l.main);
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
  // The loader runs what is there (scripts/finish-dist.mjs lists the builds for it).
  let first = html;
  for (const l of links.filter((l) => !l.main)) first = first.replace(l.tag, `<!-- ${l.bin}: left out of this build -->`);
  fs.writeFileSync(arg, first);
} else {
  console.error('usage: node scripts/page-builds.mjs build [--first] | html OUT');
  process.exit(2);
}
