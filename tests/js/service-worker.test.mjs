// The service worker (src/ondas/web/templates/ondas/pwa/service-worker.js),
// run in a VM context with an in-memory Cache Storage and network: what it
// keeps, what it never touches, and how a new version replaces the old one.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";

const SOURCE = readFileSync(
  new URL("../../src/ondas/web/templates/ondas/pwa/service-worker.js", import.meta.url),
  "utf8"
);
const ORIGIN = "https://ondas.test";
const SHELL = ["/static/ondas/ondas.css", "/static/ondas/player.js"];

function response(status, type, contentType, body) {
  return {
    status,
    ok: status >= 200 && status < 300,
    type: type || "basic",
    headers: new Headers({ "Content-Type": contentType || "text/css" }),
    body: body || "",
    clone() {
      return response(status, type, contentType, body);
    },
  };
}

function request(path, options) {
  const init = options || {};
  return {
    url: path.startsWith("http") ? path : ORIGIN + path,
    method: init.method || "GET",
    mode: init.mode || "no-cors",
    destination: init.destination || "",
    headers: new Headers(init.headers || {}),
  };
}

function worker(version, network, existing) {
  const stores = existing || new Map();
  const listeners = {};
  const log = { fetched: [], skipWaiting: 0, claimed: 0 };
  const keyOf = (what) => (typeof what === "string" ? new URL(what, ORIGIN).href : what.url);
  const caches = {
    async open(name) {
      if (!stores.has(name)) {
        stores.set(name, new Map());
      }
      const entries = stores.get(name);
      return {
        put: async (what, value) => entries.set(keyOf(what), value),
        match: async (what) => entries.get(keyOf(what)),
      };
    },
    keys: async () => Array.from(stores.keys()),
    delete: async (name) => stores.delete(name),
  };
  class FakeRequest {
    constructor(url, init) {
      this.url = new URL(url, ORIGIN).href;
      Object.assign(this, init);
    }
  }
  const self = {
    ONDAS_SW: { version, static: "/static/", offline: "/offline/", shell: SHELL },
    location: new URL(ORIGIN + "/sw.js"),
    addEventListener: (type, fn) => (listeners[type] = fn),
    skipWaiting: async () => log.skipWaiting++,
    clients: { claim: async () => log.claimed++ },
  };
  const fetch = async (what) => {
    const url = typeof what === "string" ? what : what.url;
    log.fetched.push({ url: new URL(url, ORIGIN).pathname, cache: what.cache, credentials: what.credentials });
    return network(new URL(url, ORIGIN).pathname);
  };
  vm.runInNewContext(SOURCE, { self, caches, fetch, Request: FakeRequest, URL, Promise, Error });

  async function lifecycle(type) {
    let done;
    listeners[type]({ waitUntil: (p) => (done = p) });
    await done;
  }
  async function handle(req) {
    let answer = null;
    listeners.fetch({ request: req, respondWith: (p) => (answer = p) });
    return answer === null ? null : await answer;
  }
  return { stores, log, lifecycle, handle };
}

const site = (path) => {
  if (path === "/offline/") return response(200, "basic", "text/html", "offline page");
  if (path.startsWith("/static/")) return response(200, "basic", "text/css", "file " + path);
  return response(200, "basic", "text/html", "page " + path);
};

test("install keeps the shell and the offline page, past the HTTP cache", async () => {
  const sw = worker("v1", site);
  await sw.lifecycle("install");
  const cache = sw.stores.get("ondas-v1");
  assert.deepEqual(
    Array.from(cache.keys()).sort(),
    [ORIGIN + "/offline/", ORIGIN + "/static/ondas/ondas.css", ORIGIN + "/static/ondas/player.js"]
  );
  assert.ok(sw.log.fetched.every((f) => f.cache === "reload" && f.credentials === "omit"));
  assert.equal(sw.log.skipWaiting, 1);
});

test("an install that cannot fetch the shell fails (the old worker stays)", async () => {
  const sw = worker("v1", (path) => (path === "/offline/" ? response(500) : site(path)));
  await assert.rejects(sw.lifecycle("install"), /precache \/offline\/: 500/);
  assert.equal(sw.log.skipWaiting, 0);
});

test("a new version drops the old caches on activation, and only Ondas's", async () => {
  const stores = new Map([["ondas-v1", new Map()], ["someone-else", new Map()]]);
  const sw = worker("v2", site, stores);
  await sw.lifecycle("install");
  await sw.lifecycle("activate");
  assert.deepEqual(Array.from(stores.keys()).sort(), ["ondas-v2", "someone-else"]);
  assert.equal(sw.log.claimed, 1);
});

test("pages come from the network, never from a cache; offline, the offline page", async () => {
  let online = true;
  const sw = worker("v1", (path) => {
    if (!online && path !== "/offline/") throw new TypeError("Failed to fetch");
    return site(path);
  });
  await sw.lifecycle("install");
  const page = await sw.handle(request("/library/", { mode: "navigate" }));
  assert.equal(page.body, "page /library/");
  assert.equal(sw.stores.get("ondas-v1").has(ORIGIN + "/library/"), false);

  online = false;
  const offline = await sw.handle(request("/library/", { mode: "navigate" }));
  assert.equal(offline.body, "offline page");
});

test("static files: from the cache first, else the network, kept when whole", async () => {
  let calls = 0;
  const sw = worker("v1", (path) => {
    calls++;
    return path === "/static/missing.js" ? response(404) : site(path);
  });
  await sw.lifecycle("install");
  calls = 0;
  const css = await sw.handle(request("/static/ondas/ondas.css"));
  assert.equal(css.body, "file /static/ondas/ondas.css");
  assert.equal(calls, 0);
  const book = await sw.handle(request("/static/ondas/book-player.js"));
  assert.equal(book.body, "file /static/ondas/book-player.js");
  assert.ok(sw.stores.get("ondas-v1").has(ORIGIN + "/static/ondas/book-player.js"));
  await sw.handle(request("/static/missing.js"));
  assert.equal(sw.stores.get("ondas-v1").has(ORIGIN + "/static/missing.js"), false);
});

test("audio, feeds, the API, posts and other sites are left to the browser", async () => {
  const sw = worker("v1", site);
  await sw.lifecycle("install");
  const untouched = [
    request("/audio/12"),
    request("/audio/12", { destination: "audio", headers: { Range: "bytes=0-" } }),
    request("/audio/12/k/secret-key.mp3"),
    request("/feeds/k/secret-key.xml"),
    request("/api/v1/shows/backend/episodes"),
    request("/static/feeds/notice-ended.mp3"), // a static file, but audio
    request("/static/ondas/ondas.css", { headers: { Range: "bytes=0-10" } }),
    request("/static/x.css", { destination: "audio" }),
    request("/account/sign-out/", { method: "POST", mode: "navigate" }),
    request("https://elsewhere.test/static/ondas/ondas.css"),
    request("/media/artwork/backend.png"),
  ];
  for (const req of untouched) {
    assert.equal(await sw.handle(req), null, req.url);
  }
  const kept = Array.from(sw.stores.get("ondas-v1").keys());
  assert.ok(kept.every((url) => url.startsWith(ORIGIN + "/static/ondas/") || url === ORIGIN + "/offline/"));
});

test("a static address that answers audio is passed on but not kept", async () => {
  const sw = worker("v1", (path) =>
    path === "/static/ondas/odd" ? response(200, "basic", "audio/mpeg") : site(path)
  );
  await sw.lifecycle("install");
  const answer = await sw.handle(request("/static/ondas/odd"));
  assert.equal(answer.status, 200);
  assert.equal(sw.stores.get("ondas-v1").has(ORIGIN + "/static/ondas/odd"), false);
});
