// Registers the service worker (sw.js) so the page works offline after one visit, and lists to it
// every file of this origin the page fetched, so those fetched before it took control (the wasm
// build, the first model) are cached too. A browser without service workers just stays online.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('sw.js')
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const send = (entries) => {
        const urls = entries.map((e) => e.name).filter((u) => u.startsWith(location.origin));
        if (urls.length > 0) registration.active?.postMessage({ kind: 'cache-used', urls });
      };
      new PerformanceObserver((list) => send(list.getEntries())).observe({ type: 'resource', buffered: true });
    })
    .catch((error) => console.warn(`VAE Lab will not work offline here: ${error}`));
}
