// Registers the service worker (sw.js) so the page works offline after one visit, and lists to it
// every file of this origin the page fetched, so those fetched before it took control (the wasm
// build, the first model) are cached too. While a list is being cached, <html> lacks
// data-offline-ready; it is set once every file used so far is cached. A browser without service
// workers just stays online.
if ('serviceWorker' in navigator) {
  const pending = new Set();
  let next = 0;
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.kind !== 'cached') return;
    pending.delete(event.data.id);
    if (pending.size === 0) document.documentElement.dataset.offlineReady = 'true';
  });
  navigator.serviceWorker.register('sw.js')
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const send = (entries) => {
        const urls = entries.map((e) => e.name).filter((u) => u.startsWith(location.origin));
        const worker = registration.active;
        if (urls.length === 0 || !worker) return;
        const id = next++;
        pending.add(id);
        delete document.documentElement.dataset.offlineReady;
        worker.postMessage({ kind: 'cache-used', id, urls });
      };
      new PerformanceObserver((list) => send(list.getEntries())).observe({ type: 'resource', buffered: true });
    })
    .catch((error) => console.warn(`VAE Lab will not work offline here: ${error}`));
}
