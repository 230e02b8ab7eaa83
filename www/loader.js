// The page's loader (Trunk.toml's inline script calls `start`): picks one of the page's builds
// and starts it. The WebGPU build only where the browser has a hardware adapter and the link does
// not ask for the CPU; everyone else fetches the 4x smaller CPU build. A software adapter
// (SwiftShader: WebGPU emulated on the CPU) is 20-60x slower than the CPU build
// (docs/performance.md), so it gets the CPU build too unless the link says ?backend=webgpu. Trunk
// names the WebGPU build after its binary (it is built as a "worker", so it is not hashed).
import { CPU_BUILD, FIRST_RECONSTRUCTION, PREFETCHED, SOFTWARE_ADAPTER, THEME, WASM_MEMORY, WEBGPU_FAILED } from './js-names.js';

// The theme the visitor chose (app::widgets::theme), before anything is drawn.
try {
  const theme = localStorage.getItem(THEME);
  if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme;
} catch {}

// Relaxed SIMD (fused multiply-add): a module of one f32x4.relaxed_madd validates only where the
// browser has it (Chrome 114+; not Safari). There the CPU build with fused multiply-adds in its
// kernels; ?simd=plain asks for the other (the tests and the benchmark time both).
function hasRelaxedSimd() {
  const splat = [0x43, 0, 0, 0, 0, 0xfd, 0x13];
  const body = [0, ...splat, ...splat, ...splat, 0xfd, 0x85, 0x02, 0x0b];
  try {
    return WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0, 10, body.length + 2, 1, body.length, ...body]));
  } catch {
    return false;
  }
}

async function pickBuild(cpu, base, builds) {
  if (!builds.includes('webgpu')) return cpu;
  const webgpu = { js: `${base}vae-lab-webgpu.js`, wasm: `${base}vae-lab-webgpu_bg.wasm` };
  const asked = new URLSearchParams(location.search).get('backend');
  // WebGPU failed earlier in this tab (the engine left why in session storage).
  let failed = null;
  try { failed = sessionStorage.getItem(WEBGPU_FAILED); } catch {}
  if (asked === 'cpu' || failed || !navigator.gpu) return cpu;
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return cpu;
    const info = adapter.info ?? {};
    if (asked !== 'webgpu' && (info.isFallbackAdapter || info.architecture === 'swiftshader')) {
      window[SOFTWARE_ADAPTER] = true;
      return cpu;
    }
    return webgpu;
  } catch {
    return cpu;
  }
}

// A file name a manifest may give (study::parse::plain_name's rule): letters, digits, `-`, `_`
// and inner dots, nothing that leaves the models folder.
const plainName = (file) => typeof file === 'string' && /^[A-Za-z0-9_-]([A-Za-z0-9._-]{0,62}[A-Za-z0-9_-])?$/.test(file) && !file.includes('..');

// The page's first two fetches, started now rather than once the wasm has started: the models
// list and the weights of the model the link opens (the shipped variant its `v` names; the
// baseline without one). The engine takes each response over (engine::web::fetch_bytes, under
// the same URL) and checks it as it checks any fetch; anything else it fetches itself. Resolves to
// that model's name, listed size and SHA-256 and a copy of its response (null where there is none).
function prefetch(base, wanted) {
  const fetched = {};
  window[PREFETCHED] = fetched;
  const manifest = fetch(`${base}models/manifest.json`);
  fetched['models/manifest.json'] = manifest;
  // Read from a copy, taken before the engine reads the response itself.
  return manifest.then((r) => (r.ok ? r.clone().json() : null)).then((listed) => {
    const weights = listed?.variants?.find((entry) => entry.variant === wanted)?.weights;
    if (!plainName(weights?.file) || !/^[0-9a-f]{64}$/.test(weights?.sha256 ?? '') || !Number.isSafeInteger(weights?.bytes)) return null;
    // engine::web::hashed_url's form.
    const url = `models/${weights.file}?sha256=${weights.sha256}`;
    const response = fetch(`${base}${url}`);
    fetched[url] = response;
    return response.then((r) => ({ variant: wanted, bytes: weights.bytes, sha256: weights.sha256, copy: r.ok ? r.clone() : null }));
  }).catch(() => null);
}

// A response's bytes, or null once it passes `limit` (read no further: a damaged deploy's huge
// file is not held in memory).
async function readAtMost(response, limit) {
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

// The start screen's first reconstruction (index.html's #boot figure), by the first build (the
// fused kernels alone, ~100 kB) on the prefetched weights, checked against the manifest's size
// and SHA-256 first. Resolves once it is drawn, or could not be (the page then starts as it would
// without it): the page's own build downloads after it, so that a slow connection brings this
// first.
async function firstReconstruction(base, prefetched) {
  const [bindings, module, weights] = await Promise.all([import(`${base}vae-lab-first.js`), compile(`${base}vae-lab-first_bg.wasm`), prefetched]);
  if (!weights?.copy?.body || !crypto.subtle) return;
  const bytes = await readAtMost(weights.copy, weights.bytes);
  if (bytes?.length !== weights.bytes) return;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  if ([...digest].map((b) => b.toString(16).padStart(2, '0')).join('') !== weights.sha256) return;
  await bindings.default({ module_or_path: module });
  const digit = bindings.digit();
  const output = bindings.reconstruct(weights.variant, bytes, digit);
  const figure = document.querySelector('#boot .boot-first');
  if (!figure) return;
  for (const [id, pixels] of [['boot-first-input', digit], ['boot-first-output', output]]) {
    const canvas = figure.querySelector(`[data-testid=${id}]`);
    const context = canvas.getContext('2d');
    const image = context.createImageData(28, 28);
    pixels.forEach((v, i) => {
      const ink = Math.round(255 * (1 - Math.min(1, Math.max(0, v))));
      image.data.set([ink, ink, ink, 255], 4 * i);
    });
    context.putImageData(image, 0, 0);
  }
  figure.hidden = false;
  window[FIRST_RECONSTRUCTION] = performance.now();
}

// Compiles the wasm at `url` as its bytes arrive (as wasm-bindgen's own start would; from the
// whole file where the server does not say application/wasm).
async function compile(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  if (response.headers.get('Content-Type')?.split(';')[0].trim() === 'application/wasm') return WebAssembly.compileStreaming(response);
  return WebAssembly.compile(await response.arrayBuffer());
}

// `base`: where the site is; `js`, `wasm`: the main CPU build's files (Trunk's hashed names);
// `builds`: the other builds this site has (scripts/finish-dist.mjs; scripts/serve.sh serves the
// main one alone first).
export async function start(options) {
  try {
    await startBuild(options);
  } catch (error) {
    // Said where the visitor is looking (index.html's #boot), not only in the console.
    const status = document.querySelector('#boot .boot-status');
    if (status) {
      status.className = 'boot-status error';
      status.textContent = `The page could not start (${error?.message ?? error}). It needs a browser with WebAssembly: any current Chrome, Edge, Firefox or Safari. Reloading may help if the connection dropped.`;
    }
    throw error;
  }
}

async function startBuild({ base, js, wasm, builds = ['first', 'relaxed-simd', 'webgpu', 'train', 'train-relaxed-simd'] }) {
  const wanted = new URLSearchParams(location.search).get('v') ?? 'baseline';
  const prefetched = prefetch(base, wanted);
  // The page's build waits for the start screen's first reconstruction (5 s at most), which
  // shows the baseline (the model a link opens unless it names another).
  const first = builds.includes('first') && wanted === 'baseline'
    ? Promise.race([firstReconstruction(base, prefetched).catch((e) => console.warn(`no first reconstruction on the start screen: ${e}`)), new Promise((resolve) => setTimeout(resolve, 5000))])
    : null;
  const relaxed = builds.includes('relaxed-simd') && hasRelaxedSimd() && new URLSearchParams(location.search).get('simd') !== 'plain';
  const cpu = relaxed
    ? { js: `${base}vae-lab-relaxed-simd.js`, wasm: `${base}vae-lab-relaxed-simd_bg.wasm`, relaxedSimd: true }
    : { js: `${base}${js}`, wasm: `${base}${wasm}`, relaxedSimd: false };
  // The engine's decode workers run the CPU build whichever build the page runs.
  window[CPU_BUILD] = { js: new URL(cpu.js, location.href).href, wasm: new URL(cpu.wasm, location.href).href, relaxedSimd: cpu.relaxedSimd };
  let build = await pickBuild(cpu, base, builds);
  await first;
  // The wasm downloads and compiles while its JavaScript bindings load (its failure is awaited
  // below, or dropped with its build, never left unhandled meanwhile).
  let compiled = compile(build.wasm);
  compiled.catch(() => {});
  let bindings;
  try {
    bindings = await import(build.js);
  } catch (error) {
    // The WebGPU build failed to load (a host that lost the file, say): the CPU build runs
    // everything too.
    if (build === cpu) throw error;
    console.warn(`the WebGPU build did not load (${error}); running the CPU build`);
    build = cpu;
    compiled = compile(build.wasm);
    bindings = await import(build.js);
  }
  // Compiled, then instantiated in a later task: the end of the compile and the wasm's start are
  // then two shorter tasks on the page's thread, not one long one.
  const module = await compiled;
  await new Promise((resolve) => setTimeout(resolve, 0));
  const instance = await bindings.default({ module_or_path: module });
  window.wasmBindings = bindings;
  // The instance's memory, for the browser tests' memory-growth check.
  window[WASM_MEMORY] = () => instance.memory;
  dispatchEvent(new CustomEvent('TrunkApplicationStarted', { detail: { wasm: instance } }));
}
