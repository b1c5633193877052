// Keeping the episode across pages (src/ondas/web/static/ondas/player-handoff.js).
import test from "node:test";
import assert from "node:assert/strict";

import { store } from "../../src/ondas/web/static/ondas/player-core.js";
import * as handoff from "../../src/ondas/web/static/ondas/player-handoff.js";

function memoryStore(initial) {
  const data = new Map(Object.entries(initial || {}).map(([k, v]) => [k, JSON.stringify(v)]));
  const storage = {
    getItem: (key) => (data.has(key) ? data.get(key) : null),
    setItem: (key, value) => data.set(key, String(value)),
    removeItem: (key) => data.delete(key),
  };
  return Object.assign(store(() => storage), { data });
}

const FREE = {
  id: "7",
  src: "/audio/7",
  title: "CPU and Kernel Page Faults",
  show: "The Backend Engineering Show",
  url: "/shows/backend/cpu/",
  artwork: "",
  duration: 3000,
  exclusive: false,
  api: "",
  chapters: [{ start: 0, title: "Intro" }],
};
const EXCLUSIVE = Object.assign({}, FREE, {
  id: "9",
  src: "/audio/9",
  exclusive: true,
  api: "/api/v1/shows/premium/episodes/secret",
});

function element(attrs) {
  return {
    dataset: attrs.dataset || {},
    hasAttribute: (name) => Boolean(attrs[name]),
  };
}

function fetchAnswer(status, body, calls) {
  return (url, init) => {
    calls.push([url, init.credentials]);
    return Promise.resolve({ status, json: () => Promise.resolve(body) });
  };
}

test("an exclusive episode is kept without its audio address; a free one with it", () => {
  const kept = handoff.keepable(EXCLUSIVE);
  assert.equal(kept.src, "");
  assert.equal(EXCLUSIVE.src, "/audio/9"); // the player's own copy keeps it
  assert.equal(handoff.isKept(kept), true);
  assert.deepEqual(handoff.keepable(FREE), FREE);
  assert.equal(handoff.isKept(FREE), true);
  // what an older player stored (no "exclusive"), or an exclusive one with an address
  const older = Object.assign({}, FREE);
  delete older.exclusive;
  assert.equal(handoff.isKept(older), false);
  assert.equal(handoff.isKept(EXCLUSIVE), false);
  assert.equal(handoff.isKept(null), false);
  assert.equal(handoff.isKept({ id: "1", exclusive: true, src: "", chapters: [] }), false); // no api
});

test("the handoff note is taken once, fresh and sane only", () => {
  const tab = memoryStore();
  handoff.leave(tab, "7", 722.12345, 1000);
  assert.deepEqual(tab.read(handoff.KEY_HANDOFF), { id: "7", t: 722.123, at: 1000 });
  assert.deepEqual(handoff.takeHandoff(tab, 1500), { id: "7", t: 722.123, at: 1000 });
  assert.equal(handoff.takeHandoff(tab, 1500), null); // used once

  handoff.leave(tab, "7", 10, 1000);
  assert.equal(handoff.takeHandoff(tab, 1000 + handoff.HANDOFF_MAX_AGE_MS + 1), null); // stale
  handoff.leave(tab, "7", 10, 5000);
  assert.equal(handoff.takeHandoff(tab, 4000), null); // from the future
  handoff.leave(tab, "7", 10, 1000);
  handoff.leave(tab, null, 0, 1200); // paused when it left: no note
  assert.equal(handoff.takeHandoff(tab, 1300), null);
  tab.write(handoff.KEY_HANDOFF, { id: "7", t: "x", at: 1000 });
  assert.equal(handoff.takeHandoff(tab, 1100), null);
});

test("the API's answer decides whether an exclusive episode comes back", () => {
  assert.deepEqual(handoff.confirmed(EXCLUSIVE, 200, { id: 9, locked: false, audio_url: "/audio/9" }), {
    episode: Object.assign({}, EXCLUSIVE, { src: "/audio/9" }),
  });
  assert.deepEqual(handoff.confirmed(EXCLUSIVE, 200, { id: 9, locked: true, audio_url: "/audio/9" }), {
    forget: true,
  });
  assert.deepEqual(handoff.confirmed(EXCLUSIVE, 404, null), { forget: true });
  assert.deepEqual(handoff.confirmed(EXCLUSIVE, 503, null), {}); // nothing to say: keep, do not play
  assert.deepEqual(handoff.confirmed(EXCLUSIVE, 200, { id: 10, locked: false, audio_url: "/a" }), {});
});

test("restore plays on from the note's second, only for the episode it names", async () => {
  const stored = memoryStore({ [handoff.KEY_LAST]: FREE, "ondas.playing": true });
  const tab = memoryStore();
  handoff.leave(tab, "7", 722.5, 1000);
  const found = await handoff.restore({
    stored,
    tab,
    now: 2000,
    elementOf: () => null,
    fromElement: () => assert.fail("not on the page"),
    fetchFn: () => assert.fail("a free episode needs no question"),
  });
  assert.deepEqual(found, { episode: FREE, resumeAt: 722.5 });
  assert.equal(stored.data.has("ondas.playing"), false); // the older, shared flag is gone

  // The next page load (a reload after a pause, a new tab): no note, no playing.
  const again = await handoff.restore({ stored, tab, now: 3000, elementOf: () => null, fetchFn: null });
  assert.deepEqual(again, { episode: FREE, resumeAt: null });

  handoff.leave(tab, "8", 50, 3000); // a note about another episode
  const other = await handoff.restore({ stored, tab, now: 3100, elementOf: () => null, fetchFn: null });
  assert.equal(other.resumeAt, null);
});

test("restore prefers the page's copy, and forgets an episode the page locks", async () => {
  const fresh = Object.assign({}, EXCLUSIVE, { title: "renamed" });
  const stored = memoryStore({ [handoff.KEY_LAST]: handoff.keepable(EXCLUSIVE) });
  const found = await handoff.restore({
    stored,
    tab: memoryStore(),
    now: 0,
    elementOf: () => element({ dataset: { audioSrc: "/audio/9" } }),
    fromElement: () => fresh,
    fetchFn: () => assert.fail("the page already says"),
  });
  assert.equal(found.episode, fresh);

  const locked = await handoff.restore({
    stored,
    tab: memoryStore(),
    now: 0,
    elementOf: () => element({ "data-locked": true }),
    fetchFn: () => assert.fail("the page already says"),
  });
  assert.equal(locked, null);
  assert.equal(stored.read(handoff.KEY_LAST), null);
});

test("restore asks the API with the session for an exclusive episode off the page", async () => {
  const calls = [];
  const tab = memoryStore();
  handoff.leave(tab, "9", 100, 0);
  const stored = memoryStore({ [handoff.KEY_LAST]: handoff.keepable(EXCLUSIVE) });
  const yes = await handoff.restore({
    stored,
    tab,
    now: 10,
    elementOf: () => null,
    fetchFn: fetchAnswer(200, { id: 9, locked: false, audio_url: "/audio/9" }, calls),
  });
  assert.deepEqual(calls, [["/api/v1/shows/premium/episodes/secret", "same-origin"]]);
  assert.equal(yes.episode.src, "/audio/9");
  assert.equal(yes.resumeAt, 100);
  assert.equal(stored.read(handoff.KEY_LAST).src, ""); // still not stored

  const no = await handoff.restore({
    stored,
    tab: memoryStore(),
    now: 10,
    elementOf: () => null,
    fetchFn: fetchAnswer(200, { id: 9, locked: true, audio_url: "/audio/9" }, calls),
  });
  assert.equal(no, null);
  assert.equal(stored.read(handoff.KEY_LAST), null); // forgotten

  const offline = memoryStore({ [handoff.KEY_LAST]: handoff.keepable(EXCLUSIVE) });
  const unknown = await handoff.restore({
    stored: offline,
    tab: memoryStore(),
    now: 10,
    elementOf: () => null,
    fetchFn: () => Promise.reject(new TypeError("Failed to fetch")),
  });
  assert.equal(unknown, null);
  assert.notEqual(offline.read(handoff.KEY_LAST), null); // kept for when the network is back
});

test("restore drops what an older player stored (it may hold an exclusive address)", async () => {
  const older = Object.assign({}, EXCLUSIVE);
  delete older.exclusive;
  const stored = memoryStore({ [handoff.KEY_LAST]: older });
  const found = await handoff.restore({ stored, tab: memoryStore(), now: 0, elementOf: () => null });
  assert.equal(found, null);
  assert.equal(stored.read(handoff.KEY_LAST), null);
});
