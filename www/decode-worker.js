// A decode worker (module worker, started by the engine's DecodePool): its own instance of the
// page's CPU build, which installs `self.vaeLabWorker` when it finds no window. Messages:
// {kind: 'start', js, wasm} once, then {id, kind: 'load', variant, bytes} and
// {id, kind: 'decode', variant, latents: Float32Array}; each answered with {id, pixels?} or {id, error}.
import { DECODER } from './js-names.js';

let ready = null;

self.onmessage = async (event) => {
  const message = event.data;
  if (message.kind === 'start') {
    ready = import(message.js).then((build) => build.default({ module_or_path: message.wasm }));
    return;
  }
  try {
    await ready;
    const api = self[DECODER];
    if (message.kind === 'load') {
      api.install(message.variant, message.bytes);
      self.postMessage({ id: message.id });
    } else if (message.kind === 'decode') {
      const pixels = await api.decode(message.variant, message.latents);
      self.postMessage({ id: message.id, pixels }, [pixels.buffer]);
    } else {
      self.postMessage({ id: message.id, error: `unknown message ${message.kind}` });
    }
  } catch (error) {
    self.postMessage({ id: message.id, error: String(error?.message ?? error) });
  }
};
