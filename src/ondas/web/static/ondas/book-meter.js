/*
 * What the book player reports it played: stretches of the timeline heard
 * continuously at one rate, [start, end, rate]. A seek, a pause or a change
 * of speed closes the open stretch; a part boundary does not. Pure: the
 * player gives it positions and clock readings (tests/js/).
 */

import { round3 } from "./player-core.js";

// Playback counts as continuous when the position moved by no more than the
// wall-clock time times the rate, plus this slack.
export const CONTINUITY_SLACK_SECONDS = 1.5;
// Shorter stretches are noise (a seek that landed), not listening.
export const SHORTEST_STRETCH_SECONDS = 0.05;

/**
 * A meter of a timeline of ``total`` seconds whose first ``sampleSeconds``
 * are free. ``track`` returns the real seconds heard past the sample since
 * the previous reading (0 when the reading opened a new stretch).
 */
export function meter(total, sampleSeconds) {
  let open = null; // {start, end, rate, wall}
  const played = []; // closed stretches not yet taken for a report

  function close() {
    if (open && open.end - open.start >= SHORTEST_STRETCH_SECONDS) {
      played.push({
        start: round3(open.start),
        end: round3(Math.min(open.end, total)),
        rate: open.rate,
      });
    }
    open = null;
  }

  return {
    track(at, wallMs, rate) {
      const continuous =
        open &&
        open.rate === rate &&
        at >= open.end - SHORTEST_STRETCH_SECONDS &&
        at - open.end <= ((wallMs - open.wall) / 1000) * rate + CONTINUITY_SLACK_SECONDS;
      if (!continuous) {
        close();
        open = { start: at, end: at, rate: rate, wall: wallMs };
        return 0;
      }
      const paid = at > sampleSeconds ? (at - Math.max(open.end, sampleSeconds)) / rate : 0;
      open.end = Math.max(open.end, at);
      open.wall = wallMs;
      return paid;
    },
    close: close,
    /** Close the open stretch here; with ``goOn`` the next reading continues it. */
    cut(goOn) {
      if (!open) {
        return;
      }
      const carry = { start: open.end, end: open.end, rate: open.rate, wall: open.wall };
      close();
      if (goOn) {
        open = carry;
      }
    },
    /** Up to ``most`` closed stretches, oldest first, removed from the meter. */
    take(most) {
      return played.splice(0, most);
    },
    pending() {
      return played.length;
    },
  };
}
