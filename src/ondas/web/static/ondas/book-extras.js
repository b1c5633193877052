/*
 * The book player's bookmarks (with notes, kept on the server) and its sleep
 * timer (after N minutes, or at the end of the chapter).
 */

import { clock, round3 } from "./player-core.js";

/**
 * ``player``: ui, urls {bookmarks, bookmark}, request, t, position(),
 * seekTo(), say(), refused(result), failed().
 */
export function bookmarks(player) {
  const ui = player.ui;
  const t = player.t;
  let kept = [];

  function render() {
    ui.bookmarks.textContent = "";
    kept.forEach((bookmark) => {
      const item = document.createElement("li");
      item.className = "bookmark";
      item.dataset.bookmarkId = String(bookmark.id);
      const time = clock(bookmark.position_seconds);

      const jump = document.createElement("button");
      jump.type = "button";
      jump.className = "bookmark__jump";
      jump.textContent = time;
      jump.setAttribute("aria-label", t("bookmarkJump", { time: time }));
      jump.addEventListener("click", () => player.seekTo(bookmark.position_seconds));

      const note = document.createElement("span");
      note.className = "bookmark__note";
      note.textContent = bookmark.note;

      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "bookmark__delete";
      remove.textContent = t("bookmarkDelete");
      remove.setAttribute("aria-label", t("bookmarkDeleteLabel", { time: time }));
      remove.addEventListener("click", () => drop(bookmark.id, item));

      item.appendChild(jump);
      item.appendChild(note);
      item.appendChild(remove);
      ui.bookmarks.appendChild(item);
    });
    ui.bookmarksEmpty.hidden = kept.length > 0;
  }

  function load() {
    if (!ui.bookmarks || !player.urls.bookmarks) {
      return;
    }
    player
      .request("GET", player.urls.bookmarks)
      .then((result) => {
        if (result.status === 200 && result.body && Array.isArray(result.body.bookmarks)) {
          kept = result.body.bookmarks;
          render();
        }
      })
      .catch(() => {
        /* the list stays empty; adding still works */
      });
  }

  function add() {
    const at = round3(player.position());
    player
      .request("POST", player.urls.bookmarks, { position_seconds: at, note: ui.bookmarkNote.value })
      .then((result) => {
        if (result.status === 201 && result.body) {
          kept = kept
            .concat([result.body])
            .sort((a, b) => a.position_seconds - b.position_seconds || a.id - b.id);
          render();
          ui.bookmarkNote.value = "";
          player.say(t("bookmarkAdded", { time: clock(at) }));
        } else {
          player.refused(result);
        }
      })
      .catch(() => player.failed());
  }

  function drop(id, item) {
    player
      .request("DELETE", player.urls.bookmark.replace(/\/0$/, "/" + id))
      .then((result) => {
        if (result.status !== 204) {
          player.refused(result);
          return;
        }
        kept = kept.filter((bookmark) => bookmark.id !== id);
        const next = item.nextElementSibling || item.previousElementSibling;
        render();
        player.say(t("bookmarkDeleted"));
        const focus =
          next &&
          ui.bookmarks.querySelector(
            '[data-bookmark-id="' + next.dataset.bookmarkId + '"] .bookmark__jump'
          );
        (focus || ui.bookmarkNote).focus();
      })
      .catch(() => player.failed());
  }

  if (ui.bookmarkForm) {
    ui.bookmarkForm.addEventListener("submit", (event) => {
      event.preventDefault();
      add();
    });
  }
  return { load: load };
}

/** ``player``: ui, t, position(), pause(), say(), chapterEnd(at). */
export function sleepTimer(player) {
  const ui = player.ui;
  const t = player.t;
  let at = null; // wall-clock ms when playback stops
  let chapterEnd = null; // timeline seconds where playback stops
  let ticker = null;

  function clear() {
    at = null;
    chapterEnd = null;
    window.clearInterval(ticker);
    ticker = null;
    ui.sleepLeft.textContent = "";
  }

  function done() {
    player.pause();
    clear();
    ui.sleep.value = "";
    player.say(t("sleepDone"));
  }

  function tick() {
    if (at === null) {
      return;
    }
    const left = (at - Date.now()) / 1000;
    if (left <= 0) {
      done();
      return;
    }
    ui.sleepLeft.textContent = t("sleepIn", { time: clock(left) });
  }

  function set(value) {
    clear();
    if (value === "chapter") {
      chapterEnd = player.chapterEnd(player.position());
      ui.sleepLeft.textContent = t("sleepChapter");
    } else if (Number(value) > 0) {
      at = Date.now() + Number(value) * 60000;
      tick();
      ticker = window.setInterval(tick, 1000);
    }
  }

  ui.sleep.addEventListener("change", () => set(ui.sleep.value));
  return {
    /** A seek moves "end of chapter" to the chapter landed in. */
    seeked(target) {
      if (chapterEnd !== null) {
        chapterEnd = player.chapterEnd(target);
      }
    },
    /** Called as the audio plays: stop at the chapter's end. */
    played(position) {
      if (chapterEnd !== null && position >= chapterEnd - 0.2) {
        done();
      }
    },
  };
}
