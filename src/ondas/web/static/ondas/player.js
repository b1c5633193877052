/*
 * Ondas web player: one <audio> element in a sticky bar at the bottom of
 * every page. Vanilla JavaScript, no build step.
 *
 * Episodes describe themselves in the page (an element with data-episode,
 * data-audio-src, data-title… and its .chapter rows with data-start and
 * data-title), so the player needs no API. What the listener did is kept in
 * localStorage: the chosen speed, the last episode, and the position in each
 * episode (saved every few seconds, on pause and when the page goes away).
 */
(function () {
  "use strict";

  var KEY_SPEED = "ondas.speed";
  var KEY_LAST = "ondas.last";
  var KEY_POSITION = "ondas.position.";
  var KEY_PLAYING = "ondas.playing";
  var SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3];
  var BACK_SECONDS = 15;
  var FORWARD_SECONDS = 30;
  var SAVE_EVERY_MS = 5000;
  // "Previous chapter" within this many seconds of a chapter's start goes to
  // the chapter before it, as on CD players; later, back to this one's start.
  var RESTART_GRACE_SECONDS = 3;
  // A saved position this close to the end counts as finished.
  var FINISHED_MARGIN_SECONDS = 10;

  // Storage ----------------------------------------------------------------

  function readJSON(key) {
    try {
      var raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : null;
    } catch (error) {
      return null; // private mode, quota, or a value we did not write
    }
  }

  function writeJSON(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (error) {
      /* storage unavailable: the player still works, it just forgets */
    }
  }

  function forget(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (error) {
      /* see writeJSON */
    }
  }

  function savedPosition(episodeId) {
    var saved = readJSON(KEY_POSITION + episodeId);
    if (!saved || typeof saved.t !== "number" || !(saved.t > 0)) {
      return 0;
    }
    if (saved.d && saved.t > saved.d - FINISHED_MARGIN_SECONDS) {
      return 0;
    }
    return saved.t;
  }

  // Text -------------------------------------------------------------------

  function loadStrings() {
    var node = document.getElementById("ondas-player-strings");
    try {
      return node ? JSON.parse(node.textContent) : {};
    } catch (error) {
      return {};
    }
  }

  var strings = loadStrings();

  function t(name, values) {
    var text = strings[name] || name;
    return text.replace(/%\((\w+)\)s/g, function (match, key) {
      return values && key in values ? String(values[key]) : match;
    });
  }

  function clock(seconds) {
    var total = Math.max(0, Math.floor(seconds || 0));
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var secs = total % 60;
    var ss = (secs < 10 ? "0" : "") + secs;
    if (hours) {
      return hours + ":" + (minutes < 10 ? "0" : "") + minutes + ":" + ss;
    }
    return minutes + ":" + ss;
  }

  // Episodes in the page ---------------------------------------------------

  function episodeFromElement(element) {
    var chapters = Array.prototype.map.call(
      element.querySelectorAll(".chapter[data-start]"),
      function (row) {
        return { start: Number(row.dataset.start) || 0, title: row.dataset.title || "" };
      }
    );
    chapters.sort(function (a, b) {
      return a.start - b.start;
    });
    return {
      id: element.dataset.episodeId,
      src: element.dataset.audioSrc,
      title: element.dataset.title || "",
      show: element.dataset.showTitle || "",
      url: element.dataset.url || "",
      artwork: element.dataset.artwork || "",
      duration: Number(element.dataset.duration) || 0,
      chapters: chapters,
    };
  }

  function isEpisode(value) {
    return Boolean(value && value.id && value.src && Array.isArray(value.chapters));
  }

  function episodeElements(episodeId) {
    return document.querySelectorAll(
      '[data-episode][data-episode-id="' + String(episodeId).replace(/"/g, "") + '"]'
    );
  }

  // The player -------------------------------------------------------------

  var root = document.getElementById("player");
  if (!root) {
    return;
  }
  var audio = root.querySelector("audio");
  var ui = {
    toggle: root.querySelector('[data-action="toggle"]'),
    back: root.querySelector('[data-action="back"]'),
    forward: root.querySelector('[data-action="forward"]'),
    prev: root.querySelector('[data-action="prev-chapter"]'),
    next: root.querySelector('[data-action="next-chapter"]'),
    seek: document.getElementById("player-seek"),
    elapsed: document.getElementById("player-elapsed"),
    total: document.getElementById("player-total"),
    speed: document.getElementById("player-speed"),
    title: document.getElementById("player-title"),
    show: document.getElementById("player-show"),
    art: document.getElementById("player-art"),
    chapterRow: document.getElementById("player-chapter-row"),
    chapter: document.getElementById("player-chapter"),
    error: document.getElementById("player-error"),
  };

  var current = null; // the episode in the bar
  var loadedId = null; // the episode whose audio is in the <audio> element
  var pendingStart = null; // where to start once the audio's metadata is known
  var chapterIndex = -2;
  var lastSaved = 0;
  var dragging = false;
  var speed = 1;

  function duration() {
    if (loadedId === current.id && isFinite(audio.duration) && audio.duration > 0) {
      return audio.duration;
    }
    return current.duration;
  }

  function position() {
    if (pendingStart !== null || loadedId !== current.id) {
      return pendingStart || 0;
    }
    return audio.currentTime;
  }

  function clamp(seconds) {
    var end = duration();
    var value = Math.max(0, seconds);
    return end ? Math.min(value, Math.max(0, end - 0.5)) : value;
  }

  function savePosition(force) {
    if (!current || pendingStart !== null || loadedId !== current.id) {
      return;
    }
    var now = Date.now();
    if (!force && now - lastSaved < SAVE_EVERY_MS) {
      return;
    }
    lastSaved = now;
    writeJSON(KEY_POSITION + current.id, {
      t: Math.floor(audio.currentTime),
      d: Math.floor(duration()),
      at: now,
    });
  }

  function chapterAt(seconds) {
    var index = -1;
    var chapters = current ? current.chapters : [];
    for (var i = 0; i < chapters.length; i++) {
      // A small tolerance: a seek to 720 may land on 719.98.
      if (chapters[i].start <= seconds + 0.25) {
        index = i;
      } else {
        break;
      }
    }
    return index;
  }

  // Rendering --------------------------------------------------------------

  function renderEpisode() {
    root.hidden = false;
    ui.title.textContent = current.title;
    ui.title.href = current.url || "#";
    ui.show.textContent = current.show;
    if (current.artwork) {
      ui.art.src = current.artwork;
      ui.art.hidden = false;
    } else {
      ui.art.removeAttribute("src");
      ui.art.hidden = true;
    }
    ui.error.hidden = true;
    chapterIndex = -2;
    document.querySelectorAll("[data-episode].is-current").forEach(function (el) {
      el.classList.remove("is-current");
    });
    episodeElements(current.id).forEach(function (el) {
      el.classList.add("is-current");
    });
    setMediaMetadata();
    renderTime();
    renderPlaying();
  }

  function renderTime() {
    if (!current) {
      return;
    }
    var end = duration();
    var at = dragging ? Number(ui.seek.value) : position();
    ui.seek.max = String(Math.max(0, Math.floor(end)));
    if (!dragging) {
      ui.seek.value = String(Math.floor(at));
    }
    ui.elapsed.textContent = clock(at);
    ui.total.textContent = clock(end);
    ui.seek.setAttribute(
      "aria-valuetext",
      t("positionOf", { elapsed: clock(at), total: clock(end) })
    );
    renderChapter(at);
  }

  function renderChapter(at) {
    var index = chapterAt(at);
    var chapters = current.chapters;
    ui.prev.disabled = chapters.length === 0;
    ui.next.disabled = index + 1 >= chapters.length;
    if (index === chapterIndex) {
      return;
    }
    chapterIndex = index;
    var chapter = chapters[index];
    ui.chapter.textContent = chapter ? chapter.title : "";
    ui.chapterRow.hidden = !chapter;
    document.querySelectorAll(".chapter.is-current").forEach(function (row) {
      row.classList.remove("is-current");
      row.removeAttribute("aria-current");
    });
    if (chapter) {
      episodeElements(current.id).forEach(function (el) {
        var row = el.querySelector('.chapter[data-start="' + chapter.start + '"]');
        if (row) {
          row.classList.add("is-current");
          row.setAttribute("aria-current", "true");
        }
      });
    }
  }

  function renderPlaying() {
    var playing = Boolean(current) && loadedId === current.id && !audio.paused;
    root.dataset.state = playing ? "playing" : "paused";
    ui.toggle.setAttribute("aria-label", playing ? t("pause") : t("play"));
    document.querySelectorAll("[data-episode]").forEach(function (el) {
      var button = el.querySelector('[data-action="play-episode"]');
      if (!button) {
        return;
      }
      var label = button.querySelector("[data-play-label]");
      var mine = Boolean(current) && el.dataset.episodeId === current.id;
      var isPlaying = mine && playing;
      button.classList.toggle("is-playing", isPlaying);
      if (isPlaying) {
        label.textContent = t("pause");
        return;
      }
      var resumeAt = mine ? position() : savedPosition(el.dataset.episodeId);
      label.textContent = resumeAt >= 1 ? t("resumeAt", { time: clock(resumeAt) }) : t("play");
    });
    if ("mediaSession" in navigator) {
      navigator.mediaSession.playbackState = playing ? "playing" : "paused";
    }
  }

  function showError(message) {
    ui.error.textContent = message;
    ui.error.hidden = false;
  }

  // Media Session (lock screen, headphones, OS media keys) ------------------

  function setMediaMetadata() {
    if (!("mediaSession" in navigator) || typeof window.MediaMetadata !== "function") {
      return;
    }
    var artwork = current.artwork
      ? [{ src: new URL(current.artwork, document.baseURI).href }]
      : [];
    navigator.mediaSession.metadata = new window.MediaMetadata({
      title: current.title,
      artist: current.show,
      album: current.show,
      artwork: artwork,
    });
  }

  function setPositionState() {
    if (!current || !("mediaSession" in navigator) || !navigator.mediaSession.setPositionState) {
      return;
    }
    var end = duration();
    if (!end || loadedId !== current.id) {
      return;
    }
    try {
      navigator.mediaSession.setPositionState({
        duration: end,
        playbackRate: audio.playbackRate || 1,
        position: Math.min(audio.currentTime, end),
      });
    } catch (error) {
      /* an inconsistent state during loading: the next update fixes it */
    }
  }

  function setMediaHandlers() {
    if (!("mediaSession" in navigator)) {
      return;
    }
    var handlers = {
      play: function () {
        play();
      },
      pause: function () {
        audio.pause();
      },
      stop: function () {
        audio.pause();
      },
      seekbackward: function (details) {
        skip(-((details && details.seekOffset) || BACK_SECONDS));
      },
      seekforward: function (details) {
        skip((details && details.seekOffset) || FORWARD_SECONDS);
      },
      seekto: function (details) {
        if (details && typeof details.seekTime === "number") {
          seekTo(details.seekTime);
        }
      },
      previoustrack: previousChapter,
      nexttrack: nextChapter,
    };
    Object.keys(handlers).forEach(function (action) {
      try {
        navigator.mediaSession.setActionHandler(action, handlers[action]);
      } catch (error) {
        /* this browser does not know the action */
      }
    });
  }

  // Actions ----------------------------------------------------------------

  function select(episode, startAt) {
    if (current && current.id === episode.id) {
      if (typeof startAt === "number") {
        seekTo(startAt);
      }
      return;
    }
    if (current) {
      savePosition(true);
      audio.pause();
    }
    current = episode;
    pendingStart = typeof startAt === "number" ? startAt : savedPosition(episode.id);
    writeJSON(KEY_LAST, episode);
    renderEpisode();
  }

  function ensureSource() {
    if (loadedId === current.id) {
      return;
    }
    loadedId = current.id;
    var start = pendingStart || 0;
    // The media fragment makes the browser fetch from the right place at once;
    // loadedmetadata checks it took and seeks otherwise.
    audio.src = current.src + (start > 0 ? "#t=" + Math.floor(start) : "");
    audio.defaultPlaybackRate = speed;
    audio.playbackRate = speed;
  }

  function play() {
    if (!current) {
      return;
    }
    ensureSource();
    ui.error.hidden = true;
    var attempt = audio.play();
    if (attempt && attempt.catch) {
      attempt.catch(function (error) {
        // Autoplay refused (no gesture yet) or a newer call interrupted this
        // one: the bar stays ready, the listener presses play.
        if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) {
          renderPlaying();
          return;
        }
        showError(t("loadError"));
      });
    }
  }

  function toggle() {
    if (!current) {
      return;
    }
    if (loadedId === current.id && !audio.paused) {
      audio.pause();
    } else {
      play();
    }
  }

  function seekTo(seconds) {
    if (!current) {
      return;
    }
    var target = clamp(seconds);
    if (loadedId !== current.id || pendingStart !== null) {
      pendingStart = target; // applied on loadedmetadata, or when play starts
      if (loadedId === current.id && audio.readyState >= 1) {
        audio.currentTime = target;
        pendingStart = null;
      }
    } else {
      audio.currentTime = target;
    }
    renderTime();
    renderPlaying();
    savePosition(true);
  }

  function skip(delta) {
    if (current) {
      seekTo(position() + delta);
    }
  }

  function previousChapter() {
    if (!current || current.chapters.length === 0) {
      return;
    }
    var at = position();
    var index = chapterAt(at);
    if (index < 0) {
      seekTo(0);
    } else if (index > 0 && at - current.chapters[index].start < RESTART_GRACE_SECONDS) {
      seekTo(current.chapters[index - 1].start);
    } else {
      seekTo(current.chapters[index].start);
    }
  }

  function nextChapter() {
    if (!current) {
      return;
    }
    var index = chapterAt(position());
    var next = current.chapters[index + 1];
    if (next) {
      seekTo(next.start);
    }
  }

  function setSpeed(value) {
    var chosen = Number(value);
    if (SPEEDS.indexOf(chosen) < 0) {
      chosen = 1;
    }
    speed = chosen;
    audio.defaultPlaybackRate = chosen;
    audio.playbackRate = chosen;
    ui.speed.value = String(chosen);
    setPositionState();
  }

  // Events from the <audio> element ----------------------------------------

  ui.art.addEventListener("error", function () {
    ui.art.hidden = true; // artwork missing: the titles are enough
  });

  audio.addEventListener("loadedmetadata", function () {
    if (pendingStart !== null) {
      var target = clamp(pendingStart);
      pendingStart = null;
      if (Math.abs(audio.currentTime - target) > 0.5) {
        audio.currentTime = target;
      }
    }
    audio.playbackRate = speed;
    renderTime();
    setPositionState();
  });
  audio.addEventListener("timeupdate", function () {
    renderTime();
    savePosition(false);
  });
  audio.addEventListener("durationchange", renderTime);
  audio.addEventListener("seeked", function () {
    renderTime();
    setPositionState();
    savePosition(true);
  });
  audio.addEventListener("play", renderPlaying);
  audio.addEventListener("playing", function () {
    renderPlaying();
    setPositionState();
  });
  audio.addEventListener("pause", function () {
    renderPlaying();
    savePosition(true);
  });
  audio.addEventListener("ratechange", setPositionState);
  audio.addEventListener("ended", function () {
    if (current) {
      forget(KEY_POSITION + current.id);
    }
    renderPlaying();
  });
  audio.addEventListener("error", function () {
    if (audio.getAttribute("src")) {
      showError(t("loadError"));
      renderPlaying();
    }
  });

  // Events from the page ---------------------------------------------------

  ui.toggle.addEventListener("click", toggle);
  ui.back.addEventListener("click", function () {
    skip(-BACK_SECONDS);
  });
  ui.forward.addEventListener("click", function () {
    skip(FORWARD_SECONDS);
  });
  ui.prev.addEventListener("click", previousChapter);
  ui.next.addEventListener("click", nextChapter);
  ui.speed.addEventListener("change", function () {
    setSpeed(ui.speed.value);
    writeJSON(KEY_SPEED, speed);
  });
  ui.seek.addEventListener("input", function () {
    dragging = true;
    renderTime();
  });
  ui.seek.addEventListener("change", function () {
    dragging = false;
    seekTo(Number(ui.seek.value));
  });

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0) {
      return;
    }
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    var button = target.closest('[data-action="play-episode"]');
    var link = button ? null : target.closest("a.chapter-link[data-start]");
    if (!button && !link) {
      return;
    }
    if (link && (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey)) {
      return; // opening the chapter in a new tab or window: let the browser do it
    }
    var element = (button || link).closest("[data-episode][data-audio-src]");
    if (!element) {
      return;
    }
    event.preventDefault();
    var episode = episodeFromElement(element);
    if (button) {
      if (current && current.id === episode.id) {
        toggle();
        return;
      }
      select(episode);
    } else {
      select(episode, Number(link.dataset.start) || 0);
    }
    play();
  });

  function inFormControl(element) {
    return Boolean(
      element &&
        element.closest &&
        element.closest("input, select, textarea, [contenteditable]:not([contenteditable='false'])")
    );
  }

  document.addEventListener("keydown", function (event) {
    if (!current || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var target = event.target;
    if (inFormControl(target)) {
      return;
    }
    if (event.key === " " || event.key === "Spacebar") {
      // A focused button or summary already answers to space.
      if (target && target.closest && target.closest("button, summary")) {
        return;
      }
      event.preventDefault();
      if (!event.repeat) {
        toggle();
      }
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      skip(-BACK_SECONDS);
    } else if (event.key === "ArrowRight") {
      event.preventDefault();
      skip(FORWARD_SECONDS);
    }
  });

  window.addEventListener("pagehide", function () {
    savePosition(true);
    // Carry on on the next page if it was playing when the listener left.
    writeJSON(KEY_PLAYING, Boolean(current) && loadedId === current.id && !audio.paused);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      savePosition(true);
    }
  });

  // Start --------------------------------------------------------------------

  function start() {
    document.querySelectorAll("[data-requires-js]").forEach(function (el) {
      el.hidden = false;
    });
    document.querySelectorAll("img[data-hide-if-broken]").forEach(function (img) {
      function hide() {
        img.hidden = true;
      }
      if (img.complete && img.naturalWidth === 0) {
        hide();
      } else {
        img.addEventListener("error", hide);
      }
    });

    var savedSpeed = readJSON(KEY_SPEED);
    setSpeed(savedSpeed === null ? 1 : savedSpeed);
    setMediaHandlers();

    // An episode page opened at ?t=SECONDS starts there; otherwise the bar
    // comes back with the last episode, paused where the listener left it.
    var linked = document.querySelector("[data-episode][data-audio-src][data-start-at]");
    if (linked) {
      select(episodeFromElement(linked), Number(linked.dataset.startAt) || 0);
      play();
      return;
    }
    var last = readJSON(KEY_LAST);
    var lastHere = isEpisode(last) ? episodeElements(last.id)[0] : null;
    if (lastHere && lastHere.hasAttribute("data-locked")) {
      // The listener's access ended (a cancelled plan ran out): do not bring
      // back an episode that would only answer 403.
      forget(KEY_LAST);
      last = null;
    }
    if (isEpisode(last)) {
      // Prefer the page's fresh copy of the episode when it is on this page.
      var here = lastHere;
      select(here && here.dataset.audioSrc ? episodeFromElement(here) : last);
      if (readJSON(KEY_PLAYING) === true) {
        play(); // the browser may refuse without a gesture: then it waits paused
      }
    }
    renderPlaying();
  }

  start();
})();
