/*
 * Ondas web player: one <audio> element in a sticky bar at the bottom of
 * every page. Vanilla JavaScript, no build step.
 *
 * Episodes describe themselves in the page (an element with data-episode,
 * data-audio-src, data-title… and its .chapter rows with data-start and
 * data-title), so the player needs no API. What the listener did is kept in
 * localStorage: the chosen speed, the last episode, and the position in each
 * episode (saved every few seconds, on pause and when the page goes away).
 * A page left while playing hands over to the next one in the same tab,
 * which plays on from the same second (player-handoff.js: how, and why an
 * exclusive episode's audio address is never stored).
 * For a signed-in listener it also reports what was played
 * (episode-reports.js), for the show's listening numbers.
 */
import * as core from "./player-core.js";
import { episodeElements, episodeFromElement, revealScripted } from "./episodes.js";
import * as handoff from "./player-handoff.js";
import { csrfToken, requester } from "./book-api.js";
import { episodeReports } from "./episode-reports.js";

(function () {
  var KEY_LAST = handoff.KEY_LAST;
  var KEY_POSITION = "ondas.position.";
  var SAVE_EVERY_MS = 5000;
  var stored = core.store(function () {
    return window.localStorage;
  });
  var readJSON = stored.read;
  var writeJSON = stored.write;
  var forget = stored.forget;
  var tab = core.store(function () {
    return window.sessionStorage;
  });

  function savedPosition(episodeId) {
    var saved = readJSON(KEY_POSITION + episodeId);
    if (!saved || typeof saved.t !== "number" || !(saved.t > 0)) {
      return 0;
    }
    return saved.d && core.isFinished(saved.t, saved.d) ? 0 : saved.t;
  }

  // Text -------------------------------------------------------------------

  var t = core.translator(core.readStrings(document, "ondas-player-strings"));
  var media = core.mediaSession(navigator, window.MediaMetadata, document.baseURI);

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

  // Only a signed-in listener's page names where reports go (base.html).
  var reportMeta = document.querySelector('meta[name="ondas-episode-report"]');
  var listening = episodeReports({
    urlTemplate: reportMeta ? reportMeta.content : null,
    request: requester(window.fetch.bind(window), function () {
      return csrfToken(document, root);
    }),
    isPlaying: function () {
      return isPlaying();
    },
  });

  var current = null; // the episode in the bar
  var loadedId = null; // the episode whose audio is in the <audio> element
  var pendingStart = null; // where to start once the audio's metadata is known
  var chapterIndex = -2;
  var lastSaved = 0;
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
    return core.chapterAt(current ? current.chapters : [], seconds);
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
    media.show({
      title: current.title,
      artist: current.show,
      album: current.show,
      artwork: current.artwork,
      chapters: current.chapters,
    });
    renderTime();
    renderPlaying();
  }

  function renderTime() {
    if (!current) {
      return;
    }
    var at = dragging() ? Number(ui.seek.value) : position();
    core.renderSeek(ui, at, duration(), dragging(), t);
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
    media.chapter(chapter ? chapter.title : "");
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

  function isPlaying() {
    return Boolean(current) && loadedId === current.id && !audio.paused;
  }

  function renderPlaying() {
    var playing = isPlaying();
    root.dataset.state = playing ? "playing" : "paused";
    ui.toggle.setAttribute("aria-label", playing ? t("pause") : t("play"));
    document.querySelectorAll("[data-episode]").forEach(function (el) {
      var button = el.querySelector('[data-action="play-episode"]');
      if (!button) {
        return;
      }
      var label = button.querySelector("[data-play-label]");
      var mine = Boolean(current) && el.dataset.episodeId === current.id;
      var thisPlays = mine && playing;
      button.classList.toggle("is-playing", thisPlays);
      if (thisPlays) {
        label.textContent = t("pause");
        return;
      }
      var resumeAt = mine ? position() : savedPosition(el.dataset.episodeId);
      label.textContent = resumeAt >= 1 ? t("resumeAt", { time: core.clock(resumeAt) }) : t("play");
    });
    media.playing(playing);
  }

  function showError(message) {
    ui.error.textContent = message;
    ui.error.hidden = false;
  }

  function setPositionState() {
    if (current && loadedId === current.id) {
      media.position(duration(), audio.playbackRate, audio.currentTime);
    }
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
    writeJSON(KEY_LAST, handoff.keepable(episode));
    renderEpisode();
  }

  function ensureSource() {
    if (loadedId === current.id) {
      return;
    }
    loadedId = current.id;
    listening.start(current.id, current.duration);
    // The media fragment makes the browser fetch from the right place at once;
    // loadedmetadata checks it took and seeks otherwise.
    audio.src = core.withStart(current.src, pendingStart || 0);
    core.applySpeed(audio, speed);
  }

  function play() {
    if (!current) {
      return;
    }
    ensureSource();
    ui.error.hidden = true;
    core.playAudio(audio, renderPlaying, function () {
      showError(t("loadError"));
    });
  }

  function pause() {
    audio.pause();
  }

  function toggle() {
    if (!current) {
      return;
    }
    if (isPlaying()) {
      pause();
    } else {
      play();
    }
  }

  function seekTo(seconds) {
    if (!current) {
      return;
    }
    var target = core.clampSeek(seconds, duration());
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
    if (current && current.chapters.length) {
      seekTo(core.previousChapterStart(current.chapters, position()));
    }
  }

  function nextChapter() {
    var next = current ? core.nextChapterStart(current.chapters, position(), 0) : null;
    if (next !== null) {
      seekTo(next);
    }
  }

  function setSpeed(value) {
    speed = core.speedFrom(value);
    core.applySpeed(audio, speed);
    ui.speed.value = String(speed);
    setPositionState();
  }

  var player = {
    active: function () {
      return Boolean(current);
    },
    play: play,
    pause: pause,
    toggle: toggle,
    skip: skip,
    seekTo: seekTo,
    previousChapter: previousChapter,
    nextChapter: nextChapter,
    renderTime: renderTime,
    chooseSpeed: function (value) {
      setSpeed(value);
      writeJSON(core.KEY_SPEED, speed);
    },
  };
  var dragging = core.wireControls(ui, player);

  // Events from the <audio> element ----------------------------------------

  ui.art.addEventListener("error", function () {
    ui.art.hidden = true; // artwork missing: the titles are enough
  });

  audio.addEventListener("loadedmetadata", function () {
    if (pendingStart !== null) {
      var target = core.clampSeek(pendingStart, duration());
      pendingStart = null;
      if (core.needsSeek(audio.currentTime, target)) {
        audio.currentTime = target;
      }
    }
    audio.playbackRate = speed;
    renderTime();
    setPositionState();
  });
  audio.addEventListener("timeupdate", function () {
    if (isPlaying()) {
      listening.track(audio.currentTime, Date.now(), audio.playbackRate);
    }
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
  audio.addEventListener("seeking", listening.stop);
  audio.addEventListener("pause", function () {
    listening.stop();
    listening.send(false);
    renderPlaying();
    setPositionState();
    savePosition(true);
  });
  audio.addEventListener("ratechange", setPositionState);
  audio.addEventListener("ended", function () {
    listening.stop();
    listening.send(false);
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

  core.listenKeys(document, player);

  window.addEventListener("pagehide", function () {
    listening.send(true);
    savePosition(true);
    // The next page of this tab plays on only if this one was playing.
    handoff.leave(tab, isPlaying() ? current.id : null, audio.currentTime, Date.now());
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      listening.send(false);
      savePosition(true);
    }
  });

  // Start --------------------------------------------------------------------

  function start() {
    revealScripted(document);
    var savedSpeed = readJSON(core.KEY_SPEED);
    setSpeed(savedSpeed === null ? 1 : savedSpeed);
    media.handle(player);

    // An episode page opened at ?t=SECONDS starts there; otherwise the bar
    // comes back with the last episode, paused where the listener left it.
    var linked = document.querySelector("[data-episode][data-audio-src][data-start-at]");
    if (linked) {
      select(episodeFromElement(linked), Number(linked.dataset.startAt) || 0);
      play();
      return;
    }
    var found = handoff.restore({ stored: stored, tab: tab, now: Date.now(), fetchFn: window.fetch.bind(window),
      elementOf: function (id) { return episodeElements(id)[0] || null; }, fromElement: episodeFromElement }); // prettier-ignore
    found.then(function (last) {
      // ``current`` set: the listener chose something while the API answered.
      if (last && !current) {
        select(last.episode, last.resumeAt === null ? undefined : last.resumeAt);
        if (last.resumeAt !== null) {
          play(); // the browser may refuse without a gesture: then it waits paused
        }
      }
      renderPlaying();
    });
  }

  start();
})();
