/*
 * What the episode player (player.js) tells Ondas it played: the same
 * stretches the book player reports, [start, end, rate] from book-meter.js,
 * sent to the episode's report URL as {stream, seq, intervals}. A stream is
 * a random id made when an episode starts in the bar; its reports are
 * numbered 1, 2, 3... so the server keeps a report sent twice once. A report
 * the network lost is sent again; any HTTP answer ends it (a 400 kept
 * nothing and would keep nothing the next time either). Pure: the player
 * gives it positions and clock readings, fetch and ids (tests/js/).
 */

import { meter } from "./book-meter.js";

export const STRETCHES_PER_REPORT = 200;
export const REPORT_EVERY_MS = 30_000;
const EPISODE_PLACEHOLDER = "/0/";

/** The report URL of episode ``id`` from the page's URL for episode 0. */
export function reportUrl(template, id) {
  return template.replace(EPISODE_PLACEHOLDER, "/" + encodeURIComponent(String(id)) + "/");
}

/** A random stream id (a UUID, version 4) from ``random`` bytes 0-255. */
export function streamId(randomByte) {
  const bytes = [];
  for (let i = 0; i < 16; i++) {
    bytes.push(randomByte() & 255);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join(
    "-"
  );
}

/** A stream id from the browser's random numbers. */
function randomStream() {
  return streamId(() => globalThis.crypto.getRandomValues(new Uint8Array(1))[0]);
}

/**
 * ``options``: urlTemplate (null: nobody signed in, nothing is sent),
 * request (book-api.js's requester), isPlaying(), and newStream() (by
 * default a random UUID).
 */
export function episodeReports(options) {
  const newStream = options.newStream || randomStream;
  let item = null; // {id, url, stream, seq, meter}
  let outbox = []; // {url, payload, sending}
  let lastSent = 0;

  function deliver(entry, final) {
    if (entry.sending && !final) {
      return;
    }
    entry.sending = true;
    options.request("POST", entry.url, entry.payload, final).then(
      () => {
        outbox = outbox.filter((other) => other !== entry);
      },
      () => {
        entry.sending = false; // the network failed: sent again next time
      }
    );
  }

  function send(final) {
    if (!options.urlTemplate) {
      return;
    }
    if (item) {
      item.meter.cut(options.isPlaying());
      while (item.meter.pending()) {
        item.seq += 1;
        outbox.push({
          url: item.url,
          payload: {
            stream: item.stream,
            seq: item.seq,
            intervals: item.meter.take(STRETCHES_PER_REPORT),
          },
          sending: false,
        });
      }
    }
    outbox.forEach((entry) => deliver(entry, final));
  }

  return {
    /** The bar now holds episode ``id`` of ``duration`` seconds (0: unknown). */
    start(id, duration) {
      if (item && item.id === id) {
        return;
      }
      if (item) {
        item.meter.close();
        send(false);
      }
      const total = duration > 0 ? duration : Infinity;
      item = {
        id: id,
        url: options.urlTemplate ? reportUrl(options.urlTemplate, id) : "",
        stream: newStream(),
        seq: 0,
        // No part of an episode is metered: the whole of it is "sample".
        meter: meter(total, total),
      };
    },
    /** A reading of the playing position; reports go out every 30 seconds. */
    track(at, wallMs, rate) {
      if (!item) {
        return;
      }
      item.meter.track(at, wallMs, rate);
      if (wallMs - lastSent >= REPORT_EVERY_MS) {
        lastSent = wallMs;
        send(false);
      }
    },
    /** Paused, sought or ended: the stretch so far is closed. */
    stop() {
      if (item) {
        item.meter.close();
      }
    },
    send: send,
    waiting() {
      return outbox.length;
    },
  };
}
