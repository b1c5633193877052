/*
 * What the episode player (player.js) and the book player (book-player.js)
 * share: the rules of a timeline (clamping, chapters, speeds, finished), the
 * text, stored settings, and the wiring of the controls, keys and the Media
 * Session (lock screen, headphones, media keys). An ES module, no build step.
 *
 * Nothing here touches the page when it is imported: functions that work on
 * elements receive them, so the pure rules run under `node --test`
 * (tests/js/).
 */

export const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3];
export const BACK_SECONDS = 15;
export const FORWARD_SECONDS = 30;
// "Previous chapter" within this many seconds of a chapter's start goes to
// the chapter before it, as on CD players; later, back to this one's start.
export const RESTART_GRACE_SECONDS = 3;
// A saved position this close to the end counts as finished.
export const FINISHED_MARGIN_SECONDS = 10;
// A seek lands at least this far before the end. Half a second keeps it
// inside the audio even when a stated duration is rounded up, so the
// browser does not end the file the moment the listener lets go.
export const SEEK_END_MARGIN_SECONDS = 0.5;
// A seek to 720 may land on 719.98: a chapter starts this much early.
export const CHAPTER_TOLERANCE_SECONDS = 0.25;
// The <audio> element is moved to a pending start only if it is further
// away than this (the media fragment usually got it there already).
export const SEEK_SLACK_SECONDS = 0.3;
export const KEY_SPEED = "ondas.speed"; // one speed for both players

// Time and text ---------------------------------------------------------------

/** "m:ss" below an hour, "h:mm:ss" from one; negative and junk read as 0. */
export function clock(seconds) {
  const total = Math.max(0, Math.floor(Number(seconds) || 0));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, "0");
  if (hours) {
    return hours + ":" + String(minutes).padStart(2, "0") + ":" + ss;
  }
  return minutes + ":" + ss;
}

/** A t(name, values) over the page's strings; %(key)s and %(key)d are filled. */
export function translator(strings) {
  return function t(name, values) {
    const text = (strings && strings[name]) || name;
    return text.replace(/%\((\w+)\)[sd]/g, (match, key) =>
      values && key in values ? String(values[key]) : match
    );
  };
}

/** The JSON of the element with this id (strings a template put there), or {}. */
export function readStrings(doc, id) {
  const node = doc.getElementById(id);
  try {
    return node ? JSON.parse(node.textContent) : {};
  } catch (error) {
    return {};
  }
}

export function round3(value) {
  return Math.round(value * 1000) / 1000;
}

// Timeline rules ---------------------------------------------------------------

/** Where a seek to ``seconds`` lands on a timeline of ``end`` seconds (0: unknown). */
export function clampSeek(seconds, end) {
  const value = Math.max(0, Number(seconds) || 0);
  return end > 0 ? Math.min(value, Math.max(0, end - SEEK_END_MARGIN_SECONDS)) : value;
}

/** A speed the players offer, or 1 for anything else. */
export function speedFrom(value) {
  const chosen = Number(value);
  return SPEEDS.indexOf(chosen) < 0 ? 1 : chosen;
}

/** True when ``at`` is so close to the end that the item counts as heard. */
export function isFinished(at, end) {
  return end > 0 && at > end - FINISHED_MARGIN_SECONDS;
}

/** The index of the chapter playing at ``seconds`` (sorted by start), or -1. */
export function chapterAt(chapters, seconds) {
  let index = -1;
  for (let i = 0; i < chapters.length; i++) {
    if (chapters[i].start <= seconds + CHAPTER_TOLERANCE_SECONDS) {
      index = i;
    } else {
      break;
    }
  }
  return index;
}

/** Where "previous chapter" goes from ``at``. */
export function previousChapterStart(chapters, at) {
  const index = chapterAt(chapters, at);
  if (index < 0) {
    return 0;
  }
  if (index > 0 && at - chapters[index].start < RESTART_GRACE_SECONDS) {
    return chapters[index - 1].start;
  }
  return chapters[index].start;
}

/** Where "next chapter" goes from ``at``, or null when there is none before ``end``. */
export function nextChapterStart(chapters, at, end) {
  const next = chapters[chapterAt(chapters, at) + 1];
  if (!next || (end > 0 && next.start >= end)) {
    return null;
  }
  return next.start;
}

/** An audio URL that asks the browser to fetch from ``seconds`` at once. */
export function withStart(src, seconds) {
  return seconds > 0.5 ? src + "#t=" + seconds.toFixed(2) : src;
}

/** True when an element at ``current`` must still be moved to ``target``. */
export function needsSeek(current, target) {
  return Math.abs(current - target) > SEEK_SLACK_SECONDS;
}

// Keys ------------------------------------------------------------------------

export function inFormControl(element) {
  return Boolean(
    element &&
      element.closest &&
      element.closest("input, select, textarea, [contenteditable]:not([contenteditable='false'])")
  );
}

/**
 * What a key press asks of a player: "toggle", "back", "forward" or null.
 * Keys typed into a form, with a modifier, or already handled ask nothing;
 * space on a button or summary is theirs.
 */
export function keyAction(event) {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) {
    return null;
  }
  const target = event.target;
  if (inFormControl(target)) {
    return null;
  }
  if (event.key === " " || event.key === "Spacebar") {
    if (target && target.closest && target.closest("button, summary")) {
      return null;
    }
    return event.repeat ? "none" : "toggle";
  }
  if (event.key === "ArrowLeft") {
    return "back";
  }
  if (event.key === "ArrowRight") {
    return "forward";
  }
  return null;
}

/** Call ``player``'s toggle or skip for the keys of ``keyAction``. */
export function listenKeys(target, player, options) {
  target.addEventListener(
    "keydown",
    (event) => {
      if (player.active && !player.active()) {
        return;
      }
      const action = keyAction(event);
      if (action === null) {
        return;
      }
      event.preventDefault();
      if (action === "toggle") {
        player.toggle();
      } else if (action === "back") {
        player.skip(-BACK_SECONDS);
      } else if (action === "forward") {
        player.skip(FORWARD_SECONDS);
      }
    },
    Boolean(options && options.capture)
  );
}

// Stored settings ----------------------------------------------------------------

/** JSON in a Storage that may be missing or full: the player works, it forgets. */
export function store(getStorage) {
  function storage() {
    try {
      return getStorage();
    } catch (error) {
      return null;
    }
  }
  return {
    /** The text kept under ``key``, or null. */
    text(key) {
      try {
        return storage().getItem(key);
      } catch (error) {
        return null;
      }
    },
    keepText(key, value) {
      try {
        storage().setItem(key, value);
      } catch (error) {
        /* storage unavailable */
      }
    },
    read(key) {
      try {
        const raw = storage().getItem(key);
        return raw ? JSON.parse(raw) : null;
      } catch (error) {
        return null; // private mode, or a value we did not write
      }
    },
    write(key, value) {
      try {
        storage().setItem(key, JSON.stringify(value));
      } catch (error) {
        /* storage unavailable */
      }
    },
    forget(key) {
      try {
        storage().removeItem(key);
      } catch (error) {
        /* storage unavailable */
      }
    },
  };
}

// The <audio> element and the controls -----------------------------------------------

export function applySpeed(audio, speed) {
  audio.defaultPlaybackRate = speed;
  audio.playbackRate = speed;
}

/**
 * Start ``audio``. An autoplay refusal (no gesture yet) or a newer call that
 * interrupted this one calls ``waiting`` (the player stays ready for a
 * press); any other failure calls ``failed``.
 */
export function playAudio(audio, waiting, failed) {
  const attempt = audio.play();
  if (attempt && attempt.catch) {
    attempt.catch((error) => {
      if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) {
        waiting();
      } else {
        failed();
      }
    });
  }
}

/** The seek bar and the two clocks at ``at`` of ``end``. */
export function renderSeek(ui, at, end, dragging, t) {
  ui.seek.max = String(Math.max(0, Math.floor(end)));
  if (!dragging) {
    ui.seek.value = String(Math.floor(at));
  }
  ui.elapsed.textContent = clock(at);
  ui.total.textContent = clock(end);
  ui.seek.setAttribute("aria-valuetext", t("positionOf", { elapsed: clock(at), total: clock(end) }));
}

/**
 * Wire the buttons, the speed menu and the seek bar to ``player``. Returns a
 * function that says whether the listener is dragging the seek bar.
 */
export function wireControls(ui, player) {
  let dragging = false;
  ui.toggle.addEventListener("click", player.toggle);
  ui.back.addEventListener("click", () => player.skip(-BACK_SECONDS));
  ui.forward.addEventListener("click", () => player.skip(FORWARD_SECONDS));
  ui.prev.addEventListener("click", player.previousChapter);
  ui.next.addEventListener("click", player.nextChapter);
  ui.speed.addEventListener("change", () => player.chooseSpeed(ui.speed.value));
  ui.seek.addEventListener("input", () => {
    dragging = true;
    player.renderTime();
  });
  ui.seek.addEventListener("change", () => {
    dragging = false;
    player.seekTo(Number(ui.seek.value));
  });
  return () => dragging;
}

// Media Session (lock screen, headphones, OS media keys) ------------------------------

export function mediaSessionOf(nav) {
  return nav && "mediaSession" in nav ? nav.mediaSession : null;
}

export function setMediaHandlers(session, player) {
  if (!session) {
    return;
  }
  const handlers = {
    play: () => player.play(),
    pause: () => player.pause(),
    stop: () => player.pause(),
    seekbackward: (details) => player.skip(-((details && details.seekOffset) || BACK_SECONDS)),
    seekforward: (details) => player.skip((details && details.seekOffset) || FORWARD_SECONDS),
    seekto: (details) => {
      if (details && typeof details.seekTime === "number") {
        player.seekTo(details.seekTime);
      }
    },
    previoustrack: () => player.previousChapter(),
    nexttrack: () => player.nextChapter(),
  };
  Object.keys(handlers).forEach((action) => {
    try {
      session.setActionHandler(action, handlers[action]);
    } catch (error) {
      /* this browser does not know the action */
    }
  });
}

/**
 * What the lock screen shows for ``item`` ({title, artist, album, artwork,
 * chapter, chapters}): the item's title, the show or author as the artist,
 * and the chapter playing as the album while there is one (title and artist
 * stay put as chapters change). ``chapterInfo`` lists the chapters for the
 * browsers that show them.
 */
export function mediaMetadataInit(item, baseURI) {
  const artwork = item.artwork ? [{ src: new URL(item.artwork, baseURI).href }] : [];
  return {
    title: item.title,
    artist: item.artist,
    album: item.chapter || item.album,
    artwork: artwork,
    chapterInfo: (item.chapters || []).map((chapter) => ({
      title: chapter.title,
      startTime: chapter.start,
      artwork: artwork,
    })),
  };
}

/** Title, artist and artwork for the lock screen (``MediaMetadata`` is the page's). */
export function setMediaMetadata(session, MediaMetadata, baseURI, item) {
  if (!session || typeof MediaMetadata !== "function") {
    return;
  }
  session.metadata = new MediaMetadata(mediaMetadataInit(item, baseURI));
}

/**
 * The lock screen for one player: ``show(item)`` when the item changes,
 * ``chapter(title)`` as the position crosses chapters (the metadata is made
 * again only when the title differs), ``position`` and ``playing`` as the
 * audio moves.
 */
export function mediaSession(nav, MediaMetadata, baseURI) {
  const session = mediaSessionOf(nav);
  let item = null;
  return {
    session: session,
    handle(player) {
      setMediaHandlers(session, player);
    },
    show(next) {
      item = Object.assign({}, next, { chapter: next.chapter || "" });
      setMediaMetadata(session, MediaMetadata, baseURI, item);
    },
    chapter(title) {
      if (!item || item.chapter === (title || "")) {
        return;
      }
      item.chapter = title || "";
      setMediaMetadata(session, MediaMetadata, baseURI, item);
    },
    position(end, rate, at) {
      setPositionState(session, end, rate, at);
    },
    playing(flag) {
      setPlaybackState(session, flag);
    },
  };
}

export function setPositionState(session, end, rate, at) {
  if (!session || !session.setPositionState || !end) {
    return;
  }
  try {
    session.setPositionState({
      duration: end,
      playbackRate: rate || 1,
      position: Math.min(Math.max(0, at), end),
    });
  } catch (error) {
    /* an inconsistent state during loading: the next update fixes it */
  }
}

export function setPlaybackState(session, playing) {
  if (session) {
    session.playbackState = playing ? "playing" : "paused";
  }
}
