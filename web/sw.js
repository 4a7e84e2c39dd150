// Tidepool's service worker: the playground works offline, and pages it serves are
// cross-origin isolated (COOP/COEP added here, for static hosts that cannot send headers).
//
// `cargo xtask precache` (a Trunk post-build hook, after the Content-Security-Policy) replaces
// the MANIFEST line below with the built site's files and their SHA-256, so every build gives
// a different worker script: the browser sees the change and installs the new version beside
// the old one. See ARCHITECTURE.md, "Offline: the service worker".
"use strict";

// @generated-manifest (rewritten by `cargo xtask precache`; this placeholder is never served)
const MANIFEST = { version: "unbuilt", precache: [], lazy: [] };

// Each build has its own caches; `activate` deletes every other build's.
// Not just "tidepool-": the Grad-CAM worker keeps its weights in a cache of its own
// ("tidepool-gradcam-weights-v1"), which must survive updates.
const PREFIX = "tidepool-sw-";
const PRECACHE = `${PREFIX}${MANIFEST.version}`;
const RUNTIME = `${PREFIX}${MANIFEST.version}-lazy`;

// A navigation waits this long for the network before the cached page is used.
const NAVIGATION_TIMEOUT_MS = 4000;

const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

const absolute = (path) => new URL(path, self.location).href;
const INDEX = absolute("index.html");
// URL -> { path, sha256 } for the files cached at install and those cached on first use.
const PRECACHED = new Map(MANIFEST.precache.map((f) => [absolute(f.path), f]));
const LAZY = new Map(MANIFEST.lazy.map((f) => [absolute(f.path), f]));

const hex = (buffer) =>
  Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");

// Fetches one file past the HTTP cache and checks it is the file this build names: a host
// that already serves a newer (or older) build must not leave a mixed set in the cache.
async function fetchVerified(file) {
  const response = await fetch(absolute(file.path), { cache: "no-cache" });
  if (!response.ok) {
    throw new Error(`${file.path}: HTTP ${response.status}`);
  }
  const body = await response.arrayBuffer();
  if (file.sha256 !== null) {
    const digest = hex(await crypto.subtle.digest("SHA-256", body));
    if (digest !== file.sha256) {
      throw new Error(`${file.path}: the server has another build (sha256 ${digest})`);
    }
  }
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(PRECACHE);
      // All or nothing: one failed file fails the install, and the browser tries again later.
      const responses = await Promise.all(MANIFEST.precache.map(fetchVerified));
      await Promise.all(
        MANIFEST.precache.map((file, i) => cache.put(absolute(file.path), responses[i])),
      );
    })(),
  );
  // No skipWaiting here: a page keeps the build it loaded until the learner accepts the
  // update ("update ready, reload"), which posts "skip-waiting".
});

self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") {
    self.skipWaiting();
  }
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith(PREFIX) && name !== PRECACHE && name !== RUNTIME)
          .map((name) => caches.delete(name)),
      );
      // The first install controls the open page at once, so it works offline from now on.
      await self.clients.claim();
    })(),
  );
});

// The response with the isolation headers added (its body is streamed, not copied).
function isolated(response) {
  // Opaque, redirected and error responses cannot (or must not) be rebuilt.
  if (response.type === "opaque" || response.type === "opaqueredirect" || response.redirected) {
    return response;
  }
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) {
    headers.set(name, value);
  }
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

// Network first for the page itself, so a new build (or `trunk serve`'s rebuild) is seen
// at once; the cached page when the network fails or is slower than NAVIGATION_TIMEOUT_MS.
async function navigation(request) {
  const cached = () => caches.open(PRECACHE).then((cache) => cache.match(INDEX));
  try {
    const response = await Promise.race([
      fetch(request),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("navigation timed out")), NAVIGATION_TIMEOUT_MS),
      ),
    ]);
    return response;
  } catch (error) {
    const page = await cached();
    if (page) {
      return page;
    }
    throw error;
  }
}

// Cache first for the build's hashed files.
async function precached(request) {
  try {
    const cache = await caches.open(PRECACHE);
    const hit = await cache.match(request.url);
    if (hit) {
      return hit;
    }
  } catch (error) {
    // Storage unavailable: the network answers.
  }
  return fetch(request);
}

// The Grad-CAM worker and its weights: from the cache once fetched, else from the network
// (then kept for next time).
async function lazy(request) {
  let cache = null;
  try {
    cache = await caches.open(RUNTIME);
    const hit = await cache.match(request.url);
    if (hit) {
      return hit;
    }
  } catch (error) {
    cache = null; // storage unavailable: the network answers
  }
  const response = await fetch(request);
  if (cache && response.ok && response.status === 200) {
    try {
      await cache.put(request.url, response.clone());
    } catch (error) {
      // A full disk (QuotaExceededError) must not fail the request: it is served uncached
      // and downloaded again next time. (Rejecting here left the Grad-CAM worker unloaded.)
    }
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) {
    return; // the browser's own handling
  }
  const url = request.url.split("#")[0];
  let answer;
  if (request.mode === "navigate") {
    answer = navigation(request);
  } else if (PRECACHED.has(url)) {
    answer = precached(request);
  } else if (LAZY.has(url)) {
    answer = lazy(request);
  } else {
    answer = fetch(request);
  }
  event.respondWith(answer.then(isolated));
});
