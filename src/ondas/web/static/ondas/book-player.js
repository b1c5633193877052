/*
 * Ondas book player: a book's parts played as ONE timeline (seconds from the
 * start of the book; a part plays [start, start + duration)). ES modules, no
 * build step: the rules shared with the episode player are in player-core.js,
 * the page's description of the book in book-page.js. In "full" mode (a
 * listener with audiobook hours left) it also opens a listening session and
 * reports what it played (book-meter.js, book-reports.js), keeps the position
 * on the server (book-progress.js) and bookmarks (book-extras.js). In
 * "sample" mode it plays the free sample and tells the server nothing.
 */
import { csrfToken, deviceId, requester } from "./book-api.js";
import { bookmarks, sleepTimer } from "./book-extras.js";
import { describeBook, durationWords, longDate, partIndexAt } from "./book-page.js";
import { meter } from "./book-meter.js";
import { progress } from "./book-progress.js";
import { reports } from "./book-reports.js";
import * as core from "./player-core.js";

(function () {
  var root = document.getElementById("book-player");
  if (!root) {
    return;
  }

  var REPORT_EVERY_MS = 20000;
  var stored = core.store(function () {
    return window.localStorage;
  });
  var t = core.translator(core.readStrings(document, "book-player-strings"));
  var request = requester(window.fetch.bind(window), function () {
    return csrfToken(document, root);
  });
  var media = core.mediaSession(navigator, window.MediaMetadata, document.baseURI);
  var device = deviceId.bind(null, stored);

  // The book in the page -----------------------------------------------------

  var book = describeBook(root, document);
  var audio = book.audio;
  var full = book.full;
  var parts = book.parts;
  var chapters = book.chapters;
  var total = book.total;
  var urls = book.urls;
  var ui = book.ui;

  if (!parts.length || !ui.body || !audio) {
    return; // no sample and no parts: nothing to play
  }

  var partIndex = -1; // the part whose audio is in the <audio> element
  var pendingOffset = null; // where to seek in that part once it can
  var cursor = 0; // the timeline position while no part is loaded
  var speed = 1;
  var chapterIndex = -2;
  var locked = false; // the allowance ran out: nothing more plays here

  // Timeline ---------------------------------------------------------------

  function partAt(seconds) {
    return partIndexAt(parts, seconds);
  }

  function position() {
    if (partIndex < 0) {
      return cursor;
    }
    var part = parts[partIndex];
    if (pendingOffset !== null) {
      return part.start + pendingOffset;
    }
    // A part's file may run a few milliseconds past its stated length.
    return part.start + Math.min(audio.currentTime, part.duration);
  }

  function isPlaying() {
    return partIndex >= 0 && !audio.paused && !audio.ended;
  }

  function load(index, offset) {
    partIndex = index;
    pendingOffset = offset;
    // The media fragment lets the browser fetch from the right place at
    // once; loadedmetadata checks that it took.
    audio.src = core.withStart(parts[index].src, offset);
    core.applySpeed(audio, speed);
    root.dataset.part = String(index + 1);
  }

  function startAudio() {
    core.playAudio(audio, renderPlaying, function () {
      showAlert(t("loadError"));
    });
  }

  function play() {
    if (locked) {
      return;
    }
    hideAlert();
    if (full) {
      reporter.ensureSession();
    }
    var at = position();
    if (at >= total - 0.5) {
      at = 0; // finished: start again
    }
    var index = partAt(at);
    if (index !== partIndex) {
      load(index, at - parts[index].start);
    }
    startAudio();
  }

  function pause() {
    if (partIndex >= 0) {
      audio.pause();
    }
  }

  function toggle() {
    if (isPlaying()) {
      pause();
    } else {
      play();
    }
  }

  function seekTo(seconds) {
    var target = core.clampSeek(seconds, total);
    stretches.close();
    var index = partAt(target);
    var offset = target - parts[index].start;
    if (partIndex < 0) {
      cursor = target; // nothing loaded yet: play() starts here
    } else if (index !== partIndex) {
      var resume = isPlaying();
      load(index, offset);
      if (resume) {
        startAudio();
      }
    } else if (pendingOffset !== null || audio.readyState < 1) {
      pendingOffset = offset;
    } else {
      audio.currentTime = offset;
    }
    sleep.seeked(target);
    renderTime();
    renderPlaying();
    saved.soon();
  }

  function skip(delta) {
    seekTo(position() + delta);
  }

  function chapterAt(seconds) {
    return core.chapterAt(chapters, seconds);
  }

  function chapterEnd(at) {
    var next = chapters[chapterAt(at) + 1];
    return next ? Math.min(next.start, total) : total;
  }

  function previousChapter() {
    seekTo(core.previousChapterStart(chapters, position()));
  }

  function nextChapter() {
    var next = core.nextChapterStart(chapters, position(), total);
    if (next !== null) {
      seekTo(next);
    }
  }

  function setSpeed(value) {
    speed = core.speedFrom(value);
    core.applySpeed(audio, speed);
    if (ui.speed) {
      ui.speed.value = String(speed);
    }
  }

  // Rendering ----------------------------------------------------------------

  function renderTime() {
    var at = dragging() ? Number(ui.seek.value) : position();
    core.renderSeek(ui, at, total, dragging(), t);
    renderChapter(at);
    if (partIndex >= 0) {
      media.position(total, audio.playbackRate, at);
    }
  }

  function renderChapter(at) {
    var index = chapterAt(at);
    ui.prev.disabled = chapters.length === 0;
    ui.next.disabled = core.nextChapterStart(chapters, at, total) === null;
    if (index === chapterIndex) {
      return;
    }
    chapterIndex = index;
    chapters.forEach(function (chapter, i) {
      chapter.row.classList.toggle("is-current", i === index);
      if (i === index) {
        chapter.row.setAttribute("aria-current", "true");
      } else {
        chapter.row.removeAttribute("aria-current");
      }
    });
    ui.chapter.textContent = chapters[index] ? chapters[index].title : "\u2014";
    media.chapter(chapters[index] ? chapters[index].title : "");
  }

  function renderPlaying() {
    var playing = isPlaying();
    root.dataset.state = playing ? "playing" : "paused";
    var label = t("play");
    if (playing) {
      label = t("pause");
    } else if (position() >= 1) {
      label = t("resumeAt", { time: core.clock(position()) });
    }
    ui.toggle.setAttribute("aria-label", label);
    ui.toggle.disabled = locked;
    media.playing(playing);
  }

  function say(text) {
    ui.message.textContent = text;
  }

  function showAlert(text) {
    ui.alert.textContent = text;
    ui.alert.hidden = false;
  }

  function hideAlert() {
    ui.alert.hidden = true;
    ui.alert.textContent = "";
  }

  function failed() {
    showAlert(t("requestFailed"));
  }

  // Metering and reports -------------------------------------------------------

  var stretches = meter(total, book.sampleSeconds);
  var reporter = reports({
    urls: urls,
    request: request,
    device: device,
    meter: stretches,
    leftSeconds: root.dataset.leftSeconds,
    renewsAt: root.dataset.renewsAt,
    isPlaying: isPlaying,
    answered: allowanceShow,
    exhausted: exhausted,
    refused: refused,
    failed: failed,
  });

  function meterTrack() {
    if (!full || !isPlaying() || pendingOffset !== null || audio.seeking) {
      return;
    }
    var now = performance.now();
    reporter.heard(stretches.track(position(), now, audio.playbackRate), now);
  }

  function reportSend(final) {
    if (full) {
      reporter.send(final);
    }
  }

  function refused(result) {
    var body = result.body || {};
    if (result.status === 409) {
      reporter.forgetSession(); // another device took over; play opens a new session
      pause();
      showAlert(body.message || t("requestFailed"));
    } else if (result.status === 403 && body.code === "audiobook_allowance_required") {
      exhausted();
    } else if (result.status === 401) {
      pause();
      showAlert(t("signInAgain"));
    } else {
      showAlert(body.message || t("requestFailed"));
    }
  }

  function allowanceShow(left) {
    if (typeof left === "number" && isFinite(left) && ui.allowance) {
      ui.allowance.textContent = t("left", { left: durationWords(left, t) });
    }
  }

  function exhausted() {
    locked = true;
    pause();
    stretches.close();
    var date = longDate(reporter.renewsAt(), document.documentElement.lang);
    showAlert(date ? t("exhausted", { date: date }) : t("exhaustedNoDate"));
    root.dataset.exhausted = "true";
    renderPlaying();
  }

  // Progress -----------------------------------------------------------------

  var saved = progress({
    enabled: Boolean(full && book.signedIn && urls.progress),
    url: urls.progress,
    request: request,
    device: device,
    position: position,
  });

  // Bookmarks and the sleep timer ---------------------------------------------

  var marks = bookmarks({
    ui: ui,
    urls: urls,
    request: request,
    t: t,
    position: position,
    seekTo: seekTo,
    say: say,
    refused: refused,
    failed: failed,
  });
  var sleep = sleepTimer({
    ui: ui,
    t: t,
    position: position,
    pause: pause,
    say: say,
    chapterEnd: chapterEnd,
  });

  // Events from the <audio> element ----------------------------------------

  audio.addEventListener("loadedmetadata", function () {
    if (pendingOffset !== null) {
      var target = core.clampSeek(pendingOffset, audio.duration || 0);
      pendingOffset = null;
      if (core.needsSeek(audio.currentTime, target)) {
        audio.currentTime = target;
      }
    }
    audio.playbackRate = speed;
    renderTime();
  });
  audio.addEventListener("timeupdate", function () {
    renderTime();
    meterTrack();
    if (isPlaying()) {
      sleep.played(position());
    }
  });
  audio.addEventListener("seeking", stretches.close);
  audio.addEventListener("play", function () {
    // One thing plays at a time: the episode player, if any, pauses.
    document.querySelectorAll("audio").forEach(function (other) {
      if (other !== audio && !other.paused) {
        other.pause();
      }
    });
    renderPlaying();
  });
  audio.addEventListener("playing", renderPlaying);
  audio.addEventListener("ratechange", stretches.close);
  audio.addEventListener("pause", function () {
    if (audio.ended && partIndex < parts.length - 1) {
      return; // a part ended: the next starts at once, this is no pause
    }
    stretches.close();
    renderPlaying();
    reportSend(false);
    saved.save(false);
  });
  audio.addEventListener("ended", function () {
    if (partIndex < parts.length - 1) {
      load(partIndex + 1, 0);
      startAudio();
      return;
    }
    stretches.close();
    reportSend(false);
    saved.save(true);
    renderPlaying();
    say(t("finished"));
  });
  audio.addEventListener("error", function () {
    if (audio.getAttribute("src")) {
      showAlert(t("loadError"));
      renderPlaying();
    }
  });
  // Another player on the page starting pauses this one.
  document.addEventListener(
    "play",
    function (event) {
      if (event.target !== audio && isPlaying()) {
        pause();
      }
    },
    true
  );

  // Events from the page -----------------------------------------------------

  var player = {
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
      stored.write(core.KEY_SPEED, speed);
    },
  };
  var dragging = core.wireControls(ui, player);

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0) {
      return;
    }
    var link = event.target instanceof Element ? event.target.closest("a[data-book-start]") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    seekTo(Number(link.dataset.bookStart) || 0);
    if (!isPlaying()) {
      play();
    }
  });

  // Capture phase: these keys drive the book on its page, before any other
  // player on the page sees them.
  core.listenKeys(window, player, { capture: true });
  window.setInterval(function () {
    if (isPlaying()) {
      reportSend(false);
      saved.save(false);
    }
  }, REPORT_EVERY_MS);

  window.addEventListener("pagehide", function () {
    stretches.close();
    reportSend(true);
    if (isPlaying() || saved.moved()) {
      saved.save(true);
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      reportSend(false);
      saved.save(false);
    }
  });

  // Start --------------------------------------------------------------------

  function start() {
    ui.body.hidden = false;
    setSpeed(stored.read(core.KEY_SPEED) || 1);
    media.handle(player);
    var title = root.dataset.title || document.title;
    media.show({ title: title, artist: root.dataset.author || "", album: title, artwork: root.dataset.artwork || "", chapters: chapters }); // prettier-ignore
    renderTime();
    renderPlaying();
    marks.load();
    var startAt = root.dataset.startAt;
    saved.resume().then(function (at) {
      if (startAt !== undefined && startAt !== "") {
        seekTo(Number(startAt) || 0);
        play(); // from a chapter link: the browser may ask for a press first
      } else if (at !== null && at > 0 && !core.isFinished(at, total)) {
        cursor = core.clampSeek(at, total);
        renderTime();
        renderPlaying();
      }
      root.dataset.ready = "true";
    });
  }

  start();
})();
