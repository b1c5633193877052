/*
 * How the episode player (player.js) keeps listening across pages.
 *
 * The site has no persistent shell: each page is a full page load, and the
 * player starts again on the next one. What carries over:
 *
 * - in localStorage, the last episode (its titles, chapters, page address)
 *   and its position, so the bar comes back paused where it was left;
 * - in sessionStorage (this tab only), a handoff note written when the page
 *   goes away while playing: the episode's id and the second it was at. The
 *   next page of the same tab takes it (once, within HANDOFF_MAX_AGE_MS) and
 *   plays on from that second. Nothing else ever starts by itself: a new
 *   tab, a visit the next day or a page after a pause waits for a press.
 *
 * The paywall: an exclusive episode's audio address is never stored. It
 * comes from a page that shows the episode to this person (the server put it
 * there because they may play it), or from the API's answer for the episode
 * (``audio_url`` unless ``locked``), asked with this person's session. Signed
 * out, or on a plan that ended, the API says locked and the episode is
 * forgotten.
 */
import { round3 } from "./player-core.js";

export const KEY_LAST = "ondas.last";
export const KEY_HANDOFF = "ondas.handoff";
export const HANDOFF_MAX_AGE_MS = 30000;
// What an older player used instead of the note: shared by every tab and
// never expiring, so a visit days later started by itself. Dropped.
const KEY_PLAYING_OLD = "ondas.playing";

/** The copy of ``episode`` that may be stored: no audio address if exclusive. */
export function keepable(episode) {
  const copy = Object.assign({}, episode);
  if (copy.exclusive) {
    copy.src = "";
  }
  return copy;
}

/** True for an episode as ``keepable`` stores it (older forms are not trusted). */
export function isKept(value) {
  if (!value || !value.id || !Array.isArray(value.chapters) || typeof value.exclusive !== "boolean") {
    return false;
  }
  return value.exclusive ? !value.src && Boolean(value.api) : Boolean(value.src);
}

/** The note a page leaves for the next when it goes away while playing. */
export function handoffNote(episodeId, at, now) {
  return { id: String(episodeId), t: round3(Math.max(0, Number(at) || 0)), at: now };
}

/** Leave the note for the next page: ``playingId`` null (paused) leaves none. */
export function leave(stored, playingId, at, now) {
  if (playingId === null || playingId === undefined) {
    stored.forget(KEY_HANDOFF);
  } else {
    stored.write(KEY_HANDOFF, handoffNote(playingId, at, now));
  }
}

/** Take the note ``stored`` keeps (it is used once), if it is fresh and sane. */
export function takeHandoff(stored, now) {
  const note = stored.read(KEY_HANDOFF);
  stored.forget(KEY_HANDOFF);
  if (!note || !note.id || typeof note.t !== "number" || !(note.t >= 0)) {
    return null;
  }
  const age = now - Number(note.at);
  return age >= 0 && age <= HANDOFF_MAX_AGE_MS ? note : null;
}

/**
 * What the API's answer about ``kept`` means: {episode} to play (with the
 * address the answer gives), {forget: true} when this person may not play it
 * or it is gone, {} when nothing can be said (offline, a server error).
 */
export function confirmed(kept, status, body) {
  if (status === 404 || status === 410) {
    return { forget: true };
  }
  if (status !== 200 || !body || typeof body !== "object") {
    return {};
  }
  if (body.locked !== false || typeof body.audio_url !== "string" || !body.audio_url) {
    return { forget: true };
  }
  if (String(body.id) !== String(kept.id)) {
    return {};
  }
  return { episode: Object.assign({}, kept, { src: body.audio_url }) };
}

/** Ask the API whether this person may play ``kept`` now (see ``confirmed``). */
export function confirm(fetchFn, kept) {
  return fetchFn(kept.api, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) =>
      response
        .json()
        .catch(() => null)
        .then((body) => confirmed(kept, response.status, body))
    )
    .catch(() => ({}));
}

/**
 * The episode to bring back into the bar on this page, and where: a Promise
 * of {episode, resumeAt} (resumeAt null: paused at its saved position; a
 * number: play on from there, the previous page of this tab was playing it)
 * or of null. ``options``: stored (localStorage) and tab (sessionStorage)
 * as player-core's store, now, elementOf(id) (the page's element for the
 * episode, or null), fromElement, fetchFn.
 */
export function restore(options) {
  const note = takeHandoff(options.tab, options.now);
  const stored = options.stored;
  stored.forget(KEY_PLAYING_OLD);
  const last = stored.read(KEY_LAST);
  if (!isKept(last)) {
    stored.forget(KEY_LAST); // junk, or an older form that may hold an exclusive address
    return Promise.resolve(null);
  }
  const here = options.elementOf(last.id);
  if (here && here.hasAttribute("data-locked")) {
    // The listener's access ended (a cancelled plan ran out): do not bring
    // back an episode that would only answer 403.
    stored.forget(KEY_LAST);
    return Promise.resolve(null);
  }
  // The page's fresh copy first; an exclusive episode not on this page asks
  // the API whether this person may still play it.
  let ready;
  if (here && here.dataset.audioSrc) {
    ready = Promise.resolve({ episode: options.fromElement(here) });
  } else if (last.src) {
    ready = Promise.resolve({ episode: last });
  } else {
    ready = confirm(options.fetchFn, last);
  }
  return ready.then((answer) => {
    if (answer.forget) {
      stored.forget(KEY_LAST);
    }
    if (!answer.episode) {
      return null;
    }
    const goOn = note !== null && note.id === String(answer.episode.id);
    return { episode: answer.episode, resumeAt: goOn ? note.t : null };
  });
}
