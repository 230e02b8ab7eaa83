// The training worker (module worker, started by the Train mode: engine::workers::train_client). Boots a
// build, which installs `self.vaeLabTrainer` (js-names.js: TRAINER), and hands it every message (engine::workers::train_protocol).
// On the CPU (`train-worker.js`) that is the `vae-lab-train` build (the CPU build with autodiff
// and Adam, fetched only now), or with `?build=train-relaxed-simd` the same with fused
// multiply-adds (what the relaxed-SIMD page build starts); on WebGPU (`?build=webgpu`) the page's
// own WebGPU build, which carries training and is already in the browser's cache (the flag below
// tells it it is the trainer, not the page). Messages that arrive while it boots wait for it, in order.
import { TRAINER, TRAIN_WORKER } from './js-names.js';

const BUILDS = { webgpu: 'vae-lab-webgpu', 'train-relaxed-simd': 'vae-lab-train-relaxed-simd' };
const name = BUILDS[new URL(import.meta.url).searchParams.get('build')] ?? 'vae-lab-train';
self[TRAIN_WORKER] = true;
const ready = import(`./${name}.js`).then((build) =>
  build.default({ module_or_path: new URL(`./${name}_bg.wasm`, import.meta.url) }));

self.onmessage = async (event) => {
  try {
    await ready;
    self[TRAINER].receive(event.data);
  } catch (error) {
    self.postMessage({ kind: 'failed', message: `the training build did not start (${error?.message ?? error})` });
  }
};
