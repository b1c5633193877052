/*
 * The book as its page describes it to the book player: #book-player with
 * data-* attributes, its parts as [data-part] rows (data-src, data-start,
 * data-duration: seconds on the book's timeline), its chapters as
 * [data-book-chapter] rows; and the words the player says about time.
 */

/** The index of the part that plays ``seconds`` of the timeline. */
export function partIndexAt(parts, seconds) {
  let index = 0;
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].start <= seconds + 0.001) {
      index = i;
    }
  }
  return index;
}

/** "2 h 5 min" in the page's words (``t``): whole minutes, at least one. */
export function durationWords(seconds, t) {
  let totalMinutes = Math.round(Math.max(0, seconds) / 60);
  if (seconds > 0 && totalMinutes === 0) {
    totalMinutes = 1;
  }
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  if (hours && minutes) {
    return t("hoursMinutes", { hours: hours, minutes: minutes });
  }
  if (hours) {
    return t("hours", { hours: hours });
  }
  return t("minutes", { minutes: minutes });
}

/** An ISO date as a long date in ``lang``, or "" for none. */
export function longDate(iso, lang) {
  const date = iso ? new Date(iso) : null;
  if (!date || isNaN(date.getTime())) {
    return "";
  }
  try {
    return new Intl.DateTimeFormat(lang || undefined, { dateStyle: "long" }).format(date);
  } catch (error) {
    return date.toDateString();
  }
}

export function describeBook(root, doc) {
  const parts = Array.prototype.map.call(root.querySelectorAll("[data-part]"), (row) => ({
    src: row.dataset.src,
    start: Number(row.dataset.start) || 0,
    duration: Number(row.dataset.duration) || 0,
  }));
  const chapters = Array.prototype.map
    .call(doc.querySelectorAll("[data-book-chapter]"), (row) => ({
      start: Number(row.dataset.start) || 0,
      title: row.dataset.title || "",
      row: row,
    }))
    .sort((a, b) => a.start - b.start);
  const last = parts[parts.length - 1];
  const byId = (id) => doc.getElementById(id);
  const action = (name) => root.querySelector('[data-book-action="' + name + '"]');
  return {
    audio: byId("book-audio"),
    full: root.dataset.mode === "full",
    signedIn: root.dataset.signedIn === "true",
    sampleSeconds: Number(root.dataset.sampleSeconds) || 0,
    parts: parts,
    chapters: chapters,
    total: last ? last.start + last.duration : 0,
    urls: {
      session: root.dataset.sessionUrl,
      report: root.dataset.reportUrl,
      progress: root.dataset.progressUrl,
      bookmarks: root.dataset.bookmarksUrl,
      bookmark: root.dataset.bookmarkUrl,
    },
    ui: {
      body: root.querySelector(".book-player__body"),
      toggle: action("toggle"),
      back: action("back"),
      forward: action("forward"),
      prev: action("prev-chapter"),
      next: action("next-chapter"),
      seek: byId("book-seek"),
      elapsed: byId("book-elapsed"),
      total: byId("book-total"),
      chapter: byId("book-chapter"),
      speed: byId("book-speed"),
      sleep: byId("book-sleep"),
      sleepLeft: byId("book-sleep-left"),
      allowance: byId("book-allowance-text"),
      message: byId("book-message"),
      alert: byId("book-alert"),
      bookmarkForm: byId("book-bookmark-form"),
      bookmarkNote: byId("book-bookmark-note"),
      bookmarks: byId("book-bookmarks"),
      bookmarksEmpty: byId("book-bookmarks-empty"),
    },
  };
}
