/*
 * Where the listener is in a book, kept on the server: PUT with played_at,
 * so the newest listening wins on any browser, and read back to resume. It
 * is read before it is first written, so a fresh page never overwrites a
 * position another browser saved.
 */

import { round3 } from "./player-core.js";

const SOON_MS = 800;
const MOVED_SECONDS = 0.5;

/** ``options``: enabled, url, request, device(), position(). */
export function progress(options) {
  let lastSaved = null;
  let timer = null;
  let known = !options.enabled;

  function save(final) {
    if (!options.enabled || !known) {
      return;
    }
    const at = round3(options.position());
    if (!final && lastSaved !== null && Math.abs(at - lastSaved) < MOVED_SECONDS) {
      return;
    }
    lastSaved = at;
    options
      .request(
        "PUT",
        options.url,
        { position_seconds: at, played_at: new Date().toISOString(), device: options.device() },
        final
      )
      .catch(() => {
        lastSaved = null; // try again next time
      });
  }

  return {
    save: save,
    /** Save shortly (after a seek: the next seek may follow at once). */
    soon() {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => save(false), SOON_MS);
    },
    /** True when the position moved since it was last saved. */
    moved() {
      return lastSaved === null || Math.abs(options.position() - lastSaved) >= MOVED_SECONDS;
    },
    /** The saved position (seconds) or null; saving is allowed from then on. */
    resume() {
      if (!options.enabled) {
        return Promise.resolve(null);
      }
      return options
        .request("GET", options.url)
        .then((result) => {
          const body = result.body;
          if (result.status === 200 && body && typeof body.position_seconds === "number") {
            lastSaved = body.position_seconds;
            return body.position_seconds;
          }
          return null;
        })
        .catch(() => null)
        .then((seconds) => {
          known = true;
          return seconds;
        });
    },
  };
}
