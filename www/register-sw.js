// Registers the service worker (sw.js) so the page works offline after one visit, and once the
// page has started lists to it every file of this origin the page fetched, so those fetched
// before it took control (the wasm build, the first model) are cached too. <html> gets
// data-offline-ready once every list sent is cached; it loses it while a later list is being
// cached. A browser without service workers just stays online.
if ('serviceWorker' in navigator) {
  const root = document.documentElement;
  const pending = new Set();
  let next = 0;
  let started = false;
  const markReady = () => { if (started && pending.size === 0) root.dataset.offlineReady = 'true'; };
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.kind !== 'cached') return;
    pending.delete(event.data.id);
    markReady();
  });
  // Registered at once, so that it proxies (and keeps) what the page and its workers fetch from
  // then on; the lists, and with the first one the app shell (sw.js), wait until the page has
  // started (the app sets data-started once its start-up fetches are done): the files fetched
  // before it took control (the wasm again) then download after the first reconstruction, not
  // beside it, on a first visit's slow connection.
  navigator.serviceWorker.register('sw.js')
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const send = (entries) => {
        const urls = entries.map((e) => e.name).filter((u) => u.startsWith(location.origin));
        const worker = registration.active;
        if (urls.length === 0 || !worker) return;
        const id = next++;
        pending.add(id);
        delete root.dataset.offlineReady;
        worker.postMessage({ kind: 'cache-used', id, urls });
      };
      // Everything fetched so far (the worker skips what it has), then each later fetch.
      const onStarted = () => {
        started = true;
        send(performance.getEntriesByType('resource'));
        markReady();
        new PerformanceObserver((list) => send(list.getEntries())).observe({ type: 'resource' });
      };
      if (root.dataset.started) onStarted();
      else {
        new MutationObserver((_, observer) => {
          if (!root.dataset.started) return;
          observer.disconnect();
          onStarted();
        }).observe(root, { attributes: true, attributeFilter: ['data-started'] });
      }
    })
    .catch((error) => console.warn(`VAE Lab will not work offline here: ${error}`));
}
