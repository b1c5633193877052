/*
 * Ondas service worker, served at /sw.js (scope: the whole site). The view
 * (ondas.web.pwa) puts its settings first: self.ONDAS_SW = {version, static,
 * offline, shell}.
 *
 * What it keeps, in one cache per version: same-origin GETs of static files
 * (the shell is fetched on install; other static files as they are asked
 * for) and the offline page. Why only those: they are the same for everyone
 * and say nothing about anyone. Pages go to the network (pages hold a
 * person's library, account and the audio addresses they may play); when it
 * cannot be reached, the offline page answers. Audio, feeds, the API and
 * everything else are left to the browser: an exclusive episode's audio or a
 * private feed's answer never lands in a cache that outlives the right to it.
 */
"use strict";

const CONFIG = self.ONDAS_SW;
const PREFIX = "ondas-";
const CACHE = PREFIX + CONFIG.version;
const AUDIO_PATH = /\.(mp3|m4a|m4b|aac|ogg|oga|opus|wav|flac|webm|mp4)$/i;

function isStaticPath(url) {
  return url.pathname.startsWith(CONFIG.static) && !AUDIO_PATH.test(url.pathname);
}

/** True when a network answer may be kept: a whole, plain, same-origin file. */
function keepable(response) {
  if (!response || response.status !== 200 || response.type !== "basic") {
    return false;
  }
  const type = response.headers.get("Content-Type") || "";
  return !/^(audio|video)\//i.test(type);
}

/**
 * How the worker answers ``request``: "page" (network, else the offline
 * page), "static" (cache, else network and keep), or null (the browser's
 * own fetch, untouched).
 */
function routeOf(request) {
  if (request.method !== "GET") {
    return null;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return null;
  }
  if (request.mode === "navigate") {
    return "page";
  }
  if (request.headers.has("Range") || request.destination === "audio" || request.destination === "video") {
    return null;
  }
  return isStaticPath(url) ? "static" : null;
}

async function precache() {
  const cache = await caches.open(CACHE);
  // "reload": past the HTTP cache, so a new version never keeps old files
  // (nginx lets browsers keep static files for days).
  const urls = CONFIG.shell.concat([CONFIG.offline]);
  await Promise.all(
    urls.map(async (url) => {
      const response = await fetch(new Request(url, { cache: "reload", credentials: "omit" }));
      if (!response.ok) {
        throw new Error("precache " + url + ": " + response.status);
      }
      await cache.put(url, response);
    })
  );
}

async function dropOldCaches() {
  const names = await caches.keys();
  await Promise.all(
    names.filter((name) => name.startsWith(PREFIX) && name !== CACHE).map((name) => caches.delete(name))
  );
}

async function page(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const cache = await caches.open(CACHE);
    const offline = await cache.match(CONFIG.offline, { ignoreVary: true });
    if (offline) {
      return offline;
    }
    throw error;
  }
}

async function staticFile(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreVary: true });
  if (kept) {
    return kept;
  }
  const response = await fetch(request);
  if (keepable(response)) {
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(dropOldCaches().then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const route = routeOf(event.request);
  if (route === "page") {
    event.respondWith(page(event.request));
  } else if (route === "static") {
    event.respondWith(staticFile(event.request));
  }
});
