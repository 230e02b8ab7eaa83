// VAE Lab's service worker: the page works offline after one visit. scripts/finish-dist.mjs fills
// in VERSION (a hash of the whole build) and PRECACHE (the app shell) when Trunk builds dist/.
//
// - Files whose name or link carries their content hash (Trunk's hashed builds and styles,
//   models/*?sha256=…, whose hash comes from models/manifest.json) never change: cache first.
// - Everything else (the page itself, the manifest, the unhashed WebGPU build): network first, the
//   cache when offline, so a new deploy shows on the next load without a hard refresh.
// - Files the page fetched before this worker controlled it are cached when the page lists them
//   (www/register-sw.js posts {kind: 'cache-used', id, urls} once the page has started; the
//   worker answers {kind: 'cached', id}), the app shell (PRECACHE) with each list.
const VERSION = '__VERSION__';
const PRECACHE = __PRECACHE__;
const HASHED = new Set(__HASHED__);
const CACHE = `vae-lab-${VERSION}`;

const immutable = (url) => url.searchParams.has('sha256') || HASHED.has(url.pathname.split('/').pop());

// Nothing is fetched at install: the app shell (PRECACHE) is cached with the page's first list,
// which it sends once it has started, so a first visit's start-up has the connection to itself.
self.addEventListener('install', (event) => {
  event.waitUntil(self.skipWaiting());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('vae-lab-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// The largest file kept: the page refuses a bigger one (engine::web), so it is not stored either.
const LARGEST_KEPT = 16 * 1024 * 1024;

async function fromNetwork(request, cache) {
  const response = await fetch(request);
  const size = Number(response.headers.get('content-length'));
  if (response.ok && response.type === 'basic' && !(size > LARGEST_KEPT)) await cache.put(request, response.clone());
  return response;
}

async function respond(request) {
  const cache = await caches.open(CACHE);
  const url = new URL(request.url);
  if (immutable(url)) {
    return (await cache.match(request)) ?? fromNetwork(request, cache);
  }
  try {
    return await fromNetwork(request, cache);
  } catch (offline) {
    // A link with another query string (?backend=cpu, a shared view) opens the same page.
    const cached = await cache.match(request, { ignoreSearch: request.mode === 'navigate' });
    if (cached) return cached;
    throw offline;
  }
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith(respond(event.request));
});

self.addEventListener('message', (event) => {
  if (event.data?.kind !== 'cache-used' || !Array.isArray(event.data.urls)) return;
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    for (const href of [...PRECACHE, ...event.data.urls]) {
      const url = new URL(href, self.location.href);
      if (url.origin !== self.location.origin || url.pathname.endsWith('/sw.js')) continue;
      if (await cache.match(url.href)) continue;
      try {
        await fromNetwork(new Request(url.href), cache);
      } catch {
        // Offline or gone: cached on a later visit.
      }
    }
    // The page marks itself ready for offline use once every list it sent is done.
    event.source?.postMessage({ kind: 'cached', id: event.data.id });
  })());
});
