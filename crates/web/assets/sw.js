// 善治外勤's service worker: keeps the app's shell and assets so the app opens without a
// signal. It keeps nobody's data (the page seals that itself) and leaves every other page,
// and every request that is not a GET, to the network as if it were not there.
var VERSION = "__VERSION__";
var CACHE = "shanzhi-shell-" + VERSION;
// Served under the same prefix as the app (a base path behind a proxy).
var BASE = self.location.pathname.replace(/\/sw\.js$/, "");
var SHELL = "__PRECACHE__";
var URLS = SHELL.map(function (u) { return BASE + u; });

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (c) {
        // A redirect (the session ended meanwhile) is not kept as the shell.
        return Promise.all(URLS.map(function (u) {
          return fetch(u, { credentials: "same-origin", cache: "reload" }).then(function (r) {
            if (r.ok && !r.redirected) return c.put(u, r);
          });
        }));
      })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("shanzhi-shell-") === 0 && k !== CACHE; })
          .map(function (k) { return caches.delete(k); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin || URLS.indexOf(url.pathname) < 0) return;
  // The shell from the cache at once (a weak signal must not hold the page up), refreshed
  // behind it when the network answers; a redirect (to the login page) is not kept.
  event.respondWith(
    caches.open(CACHE).then(function (c) {
      return c.match(url.pathname).then(function (hit) {
        var fresh = fetch(req).then(function (r) {
          if (r.ok && !r.redirected) c.put(url.pathname, r.clone());
          return r;
        });
        if (hit) {
          fresh.catch(function () {});
          return hit;
        }
        return fresh;
      });
    })
  );
});
