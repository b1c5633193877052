// The book player's pure parts: the meter of what was heard and the timeline.
import test from "node:test";
import assert from "node:assert/strict";

import { meter } from "../../src/ondas/web/static/ondas/book-meter.js";
import { durationWords, partIndexAt } from "../../src/ondas/web/static/ondas/book-page.js";

test("continuous playback is one stretch; what it cost counts real seconds", () => {
  const m = meter(3600, 0);
  assert.equal(m.track(100, 0, 1), 0); // opens the stretch
  assert.equal(m.track(110, 10_000, 1), 10);
  assert.equal(m.track(120, 20_000, 1), 10);
  m.close();
  assert.deepEqual(m.take(200), [{ start: 100, end: 120, rate: 1 }]);
  assert.equal(m.pending(), 0);
});

test("at 2x, 30 minutes of wall time are 60 minutes of the book and 30 paid", () => {
  const m = meter(36_000, 0);
  let paid = m.track(0, 0, 2);
  for (let s = 1; s <= 1800; s++) {
    paid += m.track(s * 2, s * 1000, 2);
  }
  m.close();
  assert.equal(paid, 1800);
  assert.deepEqual(m.take(200), [{ start: 0, end: 3600, rate: 2 }]);
});

test("a jump further than time allows closes the stretch and opens another", () => {
  const m = meter(3600, 0);
  m.track(0, 0, 1);
  m.track(5, 5000, 1);
  assert.equal(m.track(500, 6000, 1), 0); // a seek the player did not announce
  m.track(503, 9000, 1);
  m.close();
  assert.deepEqual(m.take(200), [
    { start: 0, end: 5, rate: 1 },
    { start: 500, end: 503, rate: 1 },
  ]);
});

test("a change of speed starts a new stretch at the new rate", () => {
  const m = meter(3600, 0);
  m.track(0, 0, 1);
  m.track(10, 10_000, 1);
  m.track(10, 10_000, 1.5);
  m.track(25, 20_000, 1.5);
  m.close();
  assert.deepEqual(m.take(200), [
    { start: 0, end: 10, rate: 1 },
    { start: 10, end: 25, rate: 1.5 },
  ]);
});

test("the free sample costs nothing; the first paid second is past it", () => {
  const m = meter(3600, 60);
  let paid = m.track(50, 0, 1);
  paid += m.track(60, 10_000, 1);
  assert.equal(paid, 0);
  paid += m.track(70, 20_000, 1);
  assert.equal(paid, 10);
});

test("cut closes at the current point and goes on from there when playing", () => {
  const m = meter(3600, 0);
  m.track(0, 0, 1);
  m.track(10, 10_000, 1);
  m.cut(true);
  assert.deepEqual(m.take(200), [{ start: 0, end: 10, rate: 1 }]);
  assert.equal(m.track(20, 20_000, 1), 10); // the carried stretch goes on
  m.cut(false);
  assert.deepEqual(m.take(200), [{ start: 10, end: 20, rate: 1 }]);
  assert.equal(m.track(30, 30_000, 1), 0); // paused: a new stretch
});

test("a stretch never runs past the book, and a landing is no stretch", () => {
  const m = meter(100, 0);
  m.track(95, 0, 1);
  m.track(100.4, 5400, 1);
  m.close();
  m.track(50, 6000, 1);
  m.close(); // 0 s heard: noise, not reported
  assert.deepEqual(m.take(200), [{ start: 95, end: 100, rate: 1 }]);
});

test("take hands out at most the number asked, oldest first", () => {
  const m = meter(3600, 0);
  for (let i = 0; i < 5; i++) {
    m.track(i * 100, i * 1e6, 1);
    m.track(i * 100 + 1, i * 1e6 + 1000, 1);
    m.close();
  }
  assert.deepEqual(
    m.take(2).map((s) => s.start),
    [0, 100]
  );
  assert.equal(m.pending(), 3);
});

test("the part playing a time of the book's timeline", () => {
  const parts = [
    { start: 0, duration: 600 },
    { start: 600, duration: 900 },
    { start: 1500, duration: 300 },
  ];
  assert.equal(partIndexAt(parts, 0), 0);
  assert.equal(partIndexAt(parts, 599.9), 0);
  assert.equal(partIndexAt(parts, 599.9995), 1);
  assert.equal(partIndexAt(parts, 600), 1);
  assert.equal(partIndexAt(parts, 1e9), 2);
});

test("durations in words round to minutes and never say zero for some", () => {
  const t = (name, v) => name + ":" + JSON.stringify(v);
  assert.equal(durationWords(20, t), 'minutes:{"minutes":1}');
  assert.equal(durationWords(0, t), 'minutes:{"minutes":0}');
  assert.equal(durationWords(3600, t), 'hours:{"hours":1}');
  assert.equal(durationWords(3600 + 5 * 60, t), 'hoursMinutes:{"hours":1,"minutes":5}');
});
