// A decode worker (module worker, started by the engine's DecodePool): its own instance of the
// page's CPU build, which installs `self.vaeLabWorker` when it finds no window. The messages are
// engine::workers::decode_protocol's: {kind: 'start', js, wasm} once (handled here: it boots the
// build), then requests that the build answers ({kind: 'loaded' | 'decoded' | 'failed', id, ...}).
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
    const reply = await self[DECODER].receive(message);
    // The pixels' buffer moves to the page rather than being copied.
    self.postMessage(reply, reply.pixels ? [reply.pixels.buffer] : []);
  } catch (error) {
    self.postMessage({ kind: 'failed', id: message.id, error: String(error?.message ?? error) });
  }
};
