/* Keeps the page itself available without signal. The API is never cached: check-ins wait
   in the page's IndexedDB queue instead, so nothing stale is ever shown as sent. */
const CACHE = "pantau-app-v2";
const SHELL = ["./", "queue.js", "verdict.js", "days.js", "app.js", "app.css", "manifest.webmanifest", "icons/icon.svg", "icons/icon-192.png", "icons/icon-512.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/app/")) return;
  // network first, so a new version lands at once; the cached copy when there is no signal
  event.respondWith(fetch(event.request)
    .then((reply) => {
      const copy = reply.clone();
      caches.open(CACHE).then((c) => c.put(event.request, copy));
      return reply;
    })
    .catch(() => caches.match(event.request, { ignoreSearch: true })));
});
