// The page's cargo builds, read from index.html's Trunk links (the one place they are written).
//   node scripts/page-builds.mjs build [--first] [--bench] [--tests]  runs them (`--first`: the
//       main CPU build only; `--bench`: each with the `bench` feature, the tests' and benchmarks'
//       hook; `--tests`: in the `page-tests` profile, see Cargo.toml)
//   node scripts/page-builds.mjs html OUT [--first] [--bench] [--tests]  writes index.html so
//       changed to OUT (`--tests`: the `page-tests` profile, and Trunk skips wasm-opt on every build)
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

const [command, ...rest] = process.argv.slice(2);
const first = rest.includes('--first');
const bench = rest.includes('--bench');
const tests = rest.includes('--tests');
// The tests' profile in place of the page's (Cargo.toml: `page-tests` inherits `page`).
const profileOf = (l) => (tests && l.profile === 'page' ? 'page-tests' : l.profile);
const out = rest.find((a) => !a.startsWith('--'));
// A link's features with `bench` added where asked.
const featuresOf = (l) => (bench ? [l.features, 'bench'].filter(Boolean).join(',') : l.features);
if (command === 'build') {
  const chosen = links.filter((l) => !first || l.main);
  for (const l of chosen) {
    const args = ['build', '--target=wasm32-unknown-unknown', '--locked', '--bin', l.bin];
    if (profileOf(l)) args.push('--profile', profileOf(l));
    else args.push('--release');
    if (l.noDefault) args.push('--no-default-features');
    if (featuresOf(l)) args.push('--features', featuresOf(l));
    const started = Date.now();
    const run = spawnSync('cargo', args, { stdio: 'inherit' });
    if (run.status !== 0) process.exit(run.status ?? 1);
    console.log(`page build ${l.bin}: ${Math.round((Date.now() - started) / 1000)} s`);
  }
} else if (command === 'html' && out) {
  // The loader runs what is there (scripts/finish-dist.mjs lists the builds for it).
  let page = html;
  for (const l of links) {
    if (first && !l.main) {
      page = page.replace(l.tag, `<!-- ${l.bin}: left out of this build -->`);
      continue;
    }
    let tag = l.tag;
    if (bench) {
      tag = l.features ? tag.replace(`data-cargo-features="${l.features}"`, `data-cargo-features="${featuresOf(l)}"`) : tag.replace('rel="rust"', `rel="rust" data-cargo-features="bench"`);
    }
    if (tests) {
      tag = tag.replace(`data-cargo-profile="${l.profile}"`, `data-cargo-profile="${profileOf(l)}"`);
      // Trunk skips wasm-opt at level 0.
      tag = tag.replace(/\bdata-wasm-opt="[^"]*"/, 'data-wasm-opt="0"');
    }
    page = page.replace(l.tag, tag);
  }
  fs.writeFileSync(out, page);
} else {
  console.error('usage: node scripts/page-builds.mjs build [--first] [--bench] [--tests] | html OUT [--first] [--bench] [--tests]');
  process.exit(2);
}
