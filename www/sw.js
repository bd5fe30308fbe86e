// @ts-check
// The page's service worker. It keeps this build of the page (the HTML, scripts, styles and both
// wasm builds) in the browser, so a second visit transfers next to nothing and the page works
// offline; and it gives every response the cross-origin isolation headers, so that on a host
// that sends none (GitHub Pages, an S3 bucket, python3 -m http.server) training still gets its
// second worker, once the page has reloaded under it (js/service.js).
//
// A build is one cache, named by the build's content hash: a new deployment installs beside the
// old one and takes over only when a page starts (never under a running page), and the old cache
// is deleted. MNIST is kept apart by the training worker (js/data-files.js), so a new build does
// not download it again.

// The site build (scripts/build-site.mjs) writes this line: its hash, the files kept at install
// (the page as a browser with SIMD runs it) and the rest of the build, kept when first asked for.
/** @type {{version: string, install: string[], files: string[]}} */
const BUILD = { version: 'source', install: [], files: [] };
const PREFIX = 'cnn-playground-build-';
const CACHE = `${PREFIX}${BUILD.version}`;
/** This worker's global scope: the WebWorker lib types `self` as any worker's. */
const scope = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

scope.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(BUILD.install.map((f) => new Request(f, { cache: 'reload' })))));
});

scope.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key);
    }
    await scope.clients.claim();
  })());
});

// A page that starts while this worker waits asks it to take over (js/service.js).
scope.addEventListener('message', (event) => {
  if (event.data === 'takeOver') scope.skipWaiting();
});

scope.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== scope.location.origin) return;
  event.respondWith(respond(event));
});

const BUILD_FILES = new Set(BUILD.files.map((f) => new URL(f, scope.location.href).pathname));

async function respond(event) {
  const request = event.request;
  const cache = await caches.open(CACHE);
  // The page's address may carry a query (?wasm=portable): it is the same page.
  const cached = await cache.match(request, { ignoreSearch: request.mode === 'navigate' });
  if (cached) return isolated(cached);
  const response = await fetch(request);
  if (response.ok && BUILD_FILES.has(new URL(request.url).pathname)) {
    // Kept beside the answer, not before it: a full cache costs the page nothing.
    event.waitUntil(cache.put(request, response.clone()).catch(() => {}));
  }
  return isolated(response);
}

/** The response with the headers that make the page cross-origin isolated. */
function isolated(response) {
  if (response.type === 'opaque' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
