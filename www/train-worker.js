// The training worker (module worker, started by the Train mode: engine::train_client). Boots the
// `vae-lab-train` build (the CPU build with autodiff and Adam, fetched only now), which installs
// `self.vaeLabTrainer`, and hands it every message (engine::train_protocol). Messages that arrive
// while it boots wait for it, in order.
const ready = import('./vae-lab-train.js').then((build) =>
  build.default({ module_or_path: new URL('./vae-lab-train_bg.wasm', import.meta.url) }));

self.onmessage = async (event) => {
  try {
    await ready;
    self.vaeLabTrainer.receive(event.data);
  } catch (error) {
    self.postMessage({ kind: 'failed', message: `the training build did not start (${error?.message ?? error})` });
  }
};
