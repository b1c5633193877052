// The rules both web players share (src/ondas/web/static/ondas/player-core.js).
import test from "node:test";
import assert from "node:assert/strict";

import * as core from "../../src/ondas/web/static/ondas/player-core.js";

const chapters = [
  { start: 0, title: "Intro" },
  { start: 120, title: "Copy-on-write" },
  { start: 600, title: "Questions" },
];

test("clock writes m:ss below an hour and h:mm:ss from one", () => {
  assert.equal(core.clock(0), "0:00");
  assert.equal(core.clock(59.9), "0:59");
  assert.equal(core.clock(61), "1:01");
  assert.equal(core.clock(3599), "59:59");
  assert.equal(core.clock(3600), "1:00:00");
  assert.equal(core.clock(3600 * 10 + 65), "10:01:05");
});

test("clock reads junk and negatives as zero", () => {
  for (const value of [-5, NaN, undefined, null, "x", Infinity * 0]) {
    assert.equal(core.clock(value), "0:00");
  }
});

test("a seek lands inside the timeline, half a second before the end", () => {
  assert.equal(core.clampSeek(-10, 300), 0);
  assert.equal(core.clampSeek(150, 300), 150);
  assert.equal(core.clampSeek(300, 300), 299.5);
  assert.equal(core.clampSeek(1e9, 300), 299.5);
  assert.equal(core.clampSeek(0.2, 0.3), 0);
  // an unknown length (0) clamps only below
  assert.equal(core.clampSeek(1e6, 0), 1e6);
  assert.equal(core.clampSeek("junk", 300), 0);
});

test("only the offered speeds are kept; anything else plays at 1x", () => {
  assert.equal(core.speedFrom("1.5"), 1.5);
  assert.equal(core.speedFrom(3), 3);
  for (const value of ["4", 0, -1, "fast", null, 1.3]) {
    assert.equal(core.speedFrom(value), 1);
  }
});

test("the chapter at a time allows a seek that lands a hair early", () => {
  assert.equal(core.chapterAt([], 50), -1);
  assert.equal(core.chapterAt(chapters, 0), 0);
  assert.equal(core.chapterAt(chapters, 119.8), 1);
  assert.equal(core.chapterAt(chapters, 119.7), 0);
  assert.equal(core.chapterAt(chapters, 5000), 2);
  assert.equal(core.chapterAt([{ start: 30, title: "late" }], 10), -1);
});

test("previous chapter: back to this one's start, or the one before within 3 s", () => {
  assert.equal(core.previousChapterStart(chapters, 400), 120);
  assert.equal(core.previousChapterStart(chapters, 122), 0);
  assert.equal(core.previousChapterStart(chapters, 123.5), 120);
  assert.equal(core.previousChapterStart(chapters, 1), 0);
  assert.equal(core.previousChapterStart([{ start: 30, title: "late" }], 10), 0);
});

test("next chapter: the next start, none past the end or after the last", () => {
  assert.equal(core.nextChapterStart(chapters, 0, 0), 120);
  assert.equal(core.nextChapterStart(chapters, 130, 900), 600);
  assert.equal(core.nextChapterStart(chapters, 700, 900), null);
  // a chapter that starts past the audio's end is not offered
  assert.equal(core.nextChapterStart(chapters, 130, 500), null);
});

test("a position within 10 s of the end counts as finished", () => {
  assert.equal(core.isFinished(289, 300), false);
  assert.equal(core.isFinished(291, 300), true);
  assert.equal(core.isFinished(50, 0), false);
});

test("a media fragment asks for the start only when it is worth it", () => {
  assert.equal(core.withStart("/audio/1.mp3", 0), "/audio/1.mp3");
  assert.equal(core.withStart("/audio/1.mp3", 0.4), "/audio/1.mp3");
  assert.equal(core.withStart("/audio/1.mp3", 75.125), "/audio/1.mp3#t=75.13");
  assert.equal(core.needsSeek(10, 10.2), false);
  assert.equal(core.needsSeek(10, 10.5), true);
});

test("translations fill %(name)s and %(name)d and keep unknown names", () => {
  const t = core.translator({
    resumeAt: "Seguir en %(time)s",
    left: "Quedan %(hours)d h",
  });
  assert.equal(t("resumeAt", { time: "1:02" }), "Seguir en 1:02");
  assert.equal(t("left", { hours: 3 }), "Quedan 3 h");
  assert.equal(t("resumeAt"), "Seguir en %(time)s");
  assert.equal(t("missing"), "missing");
  assert.equal(core.translator(null)("play"), "play");
});

function element(closest) {
  return { closest: (selector) => (closest(selector) ? {} : null) };
}

function key(key, extra) {
  return { key, target: element(() => false), defaultPrevented: false, ...extra };
}

test("keys: space toggles, arrows skip, forms and modifiers are left alone", () => {
  assert.equal(core.keyAction(key(" ")), "toggle");
  assert.equal(core.keyAction(key("Spacebar")), "toggle");
  assert.equal(core.keyAction(key(" ", { repeat: true })), "none");
  assert.equal(core.keyAction(key("ArrowLeft")), "back");
  assert.equal(core.keyAction(key("ArrowRight")), "forward");
  assert.equal(core.keyAction(key("a")), null);
  assert.equal(core.keyAction(key(" ", { ctrlKey: true })), null);
  assert.equal(core.keyAction(key(" ", { defaultPrevented: true })), null);
  const typing = element((selector) => selector.startsWith("input"));
  assert.equal(core.keyAction(key("ArrowLeft", { target: typing })), null);
  const button = element((selector) => selector === "button, summary");
  assert.equal(core.keyAction(key(" ", { target: button })), null);
  assert.equal(core.keyAction(key("ArrowRight", { target: button })), "forward");
});

function memoryStorage() {
  const items = new Map();
  return {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => items.set(k, String(v)),
    removeItem: (k) => items.delete(k),
  };
}

test("stored settings survive a round trip, junk and a missing storage", () => {
  const storage = memoryStorage();
  const stored = core.store(() => storage);
  stored.write("ondas.position.7", { t: 42, d: 300 });
  assert.deepEqual(stored.read("ondas.position.7"), { t: 42, d: 300 });
  stored.forget("ondas.position.7");
  assert.equal(stored.read("ondas.position.7"), null);
  storage.setItem("ondas.device", "web-abc");
  assert.equal(stored.text("ondas.device"), "web-abc");
  assert.equal(stored.read("ondas.device"), null); // not JSON: not ours
  // the speed both players keep reads the same as JSON and as text
  stored.keepText(core.KEY_SPEED, "1.5");
  assert.equal(stored.read(core.KEY_SPEED), 1.5);

  const broken = core.store(() => {
    throw new Error("SecurityError");
  });
  broken.write("k", 1);
  broken.keepText("k", "1");
  broken.forget("k");
  assert.equal(broken.read("k"), null);
  assert.equal(broken.text("k"), null);
});

test("the Media Session gets every action and a position inside the item", () => {
  const handlers = {};
  const session = {
    setActionHandler(action, handler) {
      if (action === "stop") {
        throw new TypeError("unknown action"); // an older browser
      }
      handlers[action] = handler;
    },
    setPositionState(state) {
      this.state = state;
    },
  };
  const calls = [];
  const player = {
    play: () => calls.push("play"),
    pause: () => calls.push("pause"),
    skip: (delta) => calls.push(["skip", delta]),
    seekTo: (at) => calls.push(["seek", at]),
    previousChapter: () => calls.push("prev"),
    nextChapter: () => calls.push("next"),
  };
  core.setMediaHandlers(session, player);
  handlers.seekbackward({});
  handlers.seekforward({ seekOffset: 10 });
  handlers.seekto({ seekTime: 99 });
  handlers.seekto({});
  handlers.previoustrack();
  handlers.nexttrack();
  assert.deepEqual(calls, [["skip", -15], ["skip", 10], ["seek", 99], "prev", "next"]);

  core.setPositionState(session, 300, 2, 400);
  assert.deepEqual(session.state, { duration: 300, playbackRate: 2, position: 300 });
  core.setPositionState(null, 300, 1, 1); // no Media Session: nothing happens
});

test("the lock screen shows the item and the chapter playing as it changes", () => {
  class FakeMetadata {
    constructor(init) {
      Object.assign(this, init);
    }
  }
  const made = [];
  const session = {
    set metadata(value) {
      made.push(value);
    },
    setActionHandler() {},
    setPositionState(state) {
      this.state = state;
    },
  };
  const lock = core.mediaSession({ mediaSession: session }, FakeMetadata, "https://ondas.test/shows/x/");
  lock.show({
    title: "CPU and Kernel Page Faults",
    artist: "The Backend Engineering Show",
    album: "The Backend Engineering Show",
    artwork: "/media/artwork/backend.png",
    chapters,
  });
  lock.chapter("Copy-on-write");
  lock.chapter("Copy-on-write"); // the same chapter: not made again
  lock.chapter("Questions");
  lock.chapter("");

  assert.equal(made.length, 4);
  assert.ok(made.every((value) => value instanceof FakeMetadata));
  assert.deepEqual(
    made.map((value) => value.album),
    ["The Backend Engineering Show", "Copy-on-write", "Questions", "The Backend Engineering Show"]
  );
  const last = made[3];
  assert.equal(last.title, "CPU and Kernel Page Faults");
  assert.equal(last.artist, "The Backend Engineering Show");
  assert.deepEqual(last.artwork, [{ src: "https://ondas.test/media/artwork/backend.png" }]);
  assert.deepEqual(
    last.chapterInfo.map((c) => [c.title, c.startTime]),
    [["Intro", 0], ["Copy-on-write", 120], ["Questions", 600]]
  );

  lock.position(900, 1.5, 130);
  assert.deepEqual(session.state, { duration: 900, playbackRate: 1.5, position: 130 });
  lock.playing(true);
  assert.equal(session.playbackState, "playing");
  lock.playing(false);
  assert.equal(session.playbackState, "paused");
});

test("a new item starts without the last one's chapter; no session, no errors", () => {
  const made = [];
  const session = {
    set metadata(value) {
      made.push(value);
    },
  };
  const lock = core.mediaSession({ mediaSession: session }, Object, "https://ondas.test/");
  lock.chapter("before any item"); // nothing to show it on
  lock.show({ title: "One", artist: "Show", album: "Show", chapters: [] });
  lock.chapter("Part two");
  lock.show({ title: "Two", artist: "Show", album: "Show" });
  assert.deepEqual(made.map((m) => [m.title, m.album]), [["One", "Show"], ["One", "Part two"], ["Two", "Show"]]);
  assert.deepEqual(made[2].artwork, []);

  const none = core.mediaSession({}, undefined, "https://ondas.test/");
  assert.equal(none.session, null);
  none.show({ title: "x" });
  none.chapter("y");
  none.position(10, 1, 5);
  none.playing(true);
  none.handle({});
});

test("the Media Session actions drive the player: ±15/30 s, seek, chapters", () => {
  const handlers = {};
  const session = { setActionHandler: (action, handler) => (handlers[action] = handler) };
  const calls = [];
  const lock = core.mediaSession({ mediaSession: session }, Object, "https://ondas.test/");
  lock.handle({
    play: () => calls.push("play"),
    pause: () => calls.push("pause"),
    skip: (s) => calls.push(["skip", s]),
    seekTo: (s) => calls.push(["seek", s]),
    previousChapter: () => calls.push("prev"),
    nextChapter: () => calls.push("next"),
  });
  for (const action of ["play", "pause", "seekbackward", "seekforward", "seekto", "previoustrack", "nexttrack"]) {
    assert.equal(typeof handlers[action], "function", action);
  }
  handlers.play();
  handlers.pause();
  handlers.seekbackward();
  handlers.seekforward();
  handlers.seekto({ seekTime: 2070, fastSeek: true });
  handlers.nexttrack();
  handlers.previoustrack();
  assert.deepEqual(calls, ["play", "pause", ["skip", -15], ["skip", 30], ["seek", 2070], "next", "prev"]);
});
