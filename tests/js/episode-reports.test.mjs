// What the episode player reports it played (episode-reports.js).
import test from "node:test";
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import {
  episodeReports,
  reportUrl,
  streamId,
} from "../../src/ondas/web/static/ondas/episode-reports.js";

// Browsers (and Node 19+) have crypto on the global object; Debian 12's
// Node 18 keeps it in node:crypto.
globalThis.crypto ??= webcrypto;

function fakeRequest(answers) {
  const sent = [];
  function request(method, url, payload, keepalive) {
    sent.push({ method, url, payload, keepalive });
    const answer = answers.shift();
    return answer === "offline" ? Promise.reject(new Error("offline")) : Promise.resolve(answer);
  }
  return { request, sent };
}

function reporter(fake, template = "/playback/episodes/0/report", playing = false) {
  let n = 0;
  return episodeReports({
    urlTemplate: template,
    request: fake.request,
    newStream: () => "stream-" + ++n,
    isPlaying: () => playing,
  });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("an episode's report URL and a stream id that is a version-4 UUID", () => {
  assert.equal(reportUrl("/playback/episodes/0/report", 42), "/playback/episodes/42/report");
  const id = streamId(() => 0xab);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("at 2x, 30 minutes of wall time are reported as 0-3600 at rate 2", () => {
  const fake = fakeRequest(Array(200).fill({ status: 200, body: {} }));
  const reports = reporter(fake, "/playback/episodes/0/report", true);
  reports.start("7", 4000);
  for (let s = 0; s <= 1800; s++) {
    reports.track(s * 2, 1_000_000 + s * 1000, 2); // far from the 30-second tick
  }
  reports.stop();
  reports.send(true);
  const last = fake.sent[fake.sent.length - 1];
  assert.equal(last.url, "/playback/episodes/7/report");
  assert.equal(last.keepalive, true);
  // The last send goes out on pagehide and repeats what is still in flight:
  // the server keeps each (stream, seq) once, so count each once here too.
  const bySeq = new Map(fake.sent.map((s) => [s.payload.seq, s.payload.intervals]));
  const intervals = [...bySeq.values()].flat();
  const audio = intervals.reduce((sum, i) => sum + (i.end - i.start), 0);
  assert.equal(audio, 3600);
  assert.ok(intervals.every((i) => i.rate === 2));
});

test("reports are numbered within a stream; a lost one is sent again with its seq", async () => {
  const fake = fakeRequest(["offline", { status: 200 }, { status: 200 }]);
  const reports = reporter(fake);
  reports.start("7", 600);
  reports.track(0, 0, 1);
  reports.track(10, 10_000, 1);
  reports.stop();
  reports.send(false); // lost
  await tick();
  assert.equal(reports.waiting(), 1);
  reports.track(100, 20_000, 1);
  reports.track(110, 30_000, 1);
  reports.stop();
  reports.send(false); // the lost one again, and the next
  await tick();
  assert.equal(reports.waiting(), 0);
  const seqs = fake.sent.map((s) => [s.payload.stream, s.payload.seq]);
  assert.deepEqual(seqs, [
    ["stream-1", 1],
    ["stream-1", 1],
    ["stream-1", 2],
  ]);
  assert.deepEqual(fake.sent[0].payload, fake.sent[1].payload);
});

test("a refused report is not sent again, and a new episode starts a new stream", async () => {
  const fake = fakeRequest([{ status: 400, body: {} }, { status: 200 }]);
  const reports = reporter(fake);
  reports.start("7", 600);
  reports.track(0, 0, 1);
  reports.track(5, 5000, 1);
  reports.start("8", 600); // closes and sends episode 7's stretch
  await tick();
  assert.equal(reports.waiting(), 0);
  reports.track(0, 6000, 1);
  reports.track(4, 10_000, 1);
  reports.stop();
  reports.send(false);
  assert.equal(fake.sent[1].url, "/playback/episodes/8/report");
  assert.deepEqual([fake.sent[1].payload.stream, fake.sent[1].payload.seq], ["stream-2", 1]);
});

test("nobody signed in: nothing is sent", () => {
  const fake = fakeRequest([]);
  const reports = reporter(fake, null);
  reports.start("7", 600);
  reports.track(0, 0, 1);
  reports.track(50, 50_000, 1);
  reports.stop();
  reports.send(true);
  assert.equal(fake.sent.length, 0);
});

test("without a newStream of its own, each episode gets a random UUID", () => {
  const fake = fakeRequest([{ status: 200 }, { status: 200 }]);
  const reports = episodeReports({
    urlTemplate: "/playback/episodes/0/report",
    request: fake.request,
    isPlaying: () => false,
  });
  for (const id of ["1", "2"]) {
    reports.start(id, 600);
    reports.track(0, 0, 1);
    reports.track(3, 3000, 1);
  }
  reports.stop();
  reports.send(false);
  const streams = fake.sent.map((s) => s.payload.stream);
  assert.equal(new Set(streams).size, 2);
  streams.forEach((s) => assert.match(s, /^[0-9a-f-]{36}$/));
});
