/*
 * Ondas book player: a book's parts played as ONE timeline. Vanilla
 * JavaScript, no build step.
 *
 * The page describes the book (#book-player with data-* attributes, its parts
 * as [data-part] rows with data-src/start/duration, the chapters as
 * [data-book-chapter] rows). Positions on the timeline are seconds from the
 * start of the book; a part plays the stretch [start, start + duration).
 *
 * In "full" mode (a listener with audiobook hours left) the player also
 *  - opens a listening session when playback starts (one stream per account),
 *  - reports the stretches it played, [start, end, rate], every 20 s and on
 *    pause or when the page goes away, numbered by an increasing seq; the
 *    server decides what that costs and answers with the time left,
 *  - keeps the position on the server (PUT with played_at, so the newest
 *    listening wins) and resumes from it on any browser,
 *  - keeps bookmarks with notes.
 * In "sample" mode it plays the free sample and tells the server nothing.
 */
(function () {
  "use strict";

  var root = document.getElementById("book-player");
  if (!root) {
    return;
  }

  var KEY_SPEED = "ondas.speed"; // shared with the episode player
  var KEY_DEVICE = "ondas.device";
  var SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3];
  var BACK_SECONDS = 15;
  var FORWARD_SECONDS = 30;
  var REPORT_EVERY_MS = 20000;
  var RESTART_GRACE_SECONDS = 3;
  // A saved position this close to the end counts as finished.
  var FINISHED_MARGIN_SECONDS = 10;
  // Playback counts as continuous when the position moved by no more than
  // the wall-clock time times the rate, plus this slack.
  var CONTINUITY_SLACK_SECONDS = 1.5;

  // Text ---------------------------------------------------------------------

  var strings = (function () {
    var node = document.getElementById("book-player-strings");
    try {
      return node ? JSON.parse(node.textContent) : {};
    } catch (error) {
      return {};
    }
  })();

  function t(name, values) {
    var text = strings[name] || name;
    return text.replace(/%\((\w+)\)[sd]/g, function (match, key) {
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

  function durationWords(seconds) {
    var totalMinutes = Math.round(Math.max(0, seconds) / 60);
    if (seconds > 0 && totalMinutes === 0) {
      totalMinutes = 1;
    }
    var hours = Math.floor(totalMinutes / 60);
    var minutes = totalMinutes % 60;
    if (hours && minutes) {
      return t("hoursMinutes", { hours: hours, minutes: minutes });
    }
    if (hours) {
      return t("hours", { hours: hours });
    }
    return t("minutes", { minutes: minutes });
  }

  function longDate(iso) {
    if (!iso) {
      return "";
    }
    var date = new Date(iso);
    if (isNaN(date.getTime())) {
      return "";
    }
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
        dateStyle: "long",
      }).format(date);
    } catch (error) {
      return date.toDateString();
    }
  }

  function round3(value) {
    return Math.round(value * 1000) / 1000;
  }

  // Storage and requests -----------------------------------------------------

  function readStored(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (error) {
      return null;
    }
  }

  function writeStored(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch (error) {
      /* storage unavailable: the player works, it just forgets */
    }
  }

  function deviceId() {
    var id = readStored(KEY_DEVICE);
    if (!id) {
      id = "web-" + Math.random().toString(36).slice(2, 12);
      writeStored(KEY_DEVICE, id);
    }
    return id;
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    var field = root.querySelector('input[name="csrfmiddlewaretoken"]');
    return field ? field.value : "";
  }

  /* Send JSON; resolve with {status, body} for any HTTP answer (body may be
   * null), reject only when the network failed. */
  function request(method, url, payload, keepalive) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      keepalive: Boolean(keepalive),
    };
    if (method !== "GET") {
      options.headers["X-CSRFToken"] = csrfToken();
    }
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return window.fetch(url, options).then(function (response) {
      if (response.status === 204) {
        return { status: 204, body: null };
      }
      return response.json().then(
        function (body) {
          return { status: response.status, body: body };
        },
        function () {
          return { status: response.status, body: null };
        }
      );
    });
  }

  // The book in the page -----------------------------------------------------

  var audio = document.getElementById("book-audio");
  var mode = root.dataset.mode === "full" ? "full" : "sample";
  var full = mode === "full";
  var signedIn = root.dataset.signedIn === "true";
  var sampleSeconds = Number(root.dataset.sampleSeconds) || 0;
  var parts = Array.prototype.map.call(root.querySelectorAll("[data-part]"), function (row) {
    return {
      src: row.dataset.src,
      start: Number(row.dataset.start) || 0,
      duration: Number(row.dataset.duration) || 0,
    };
  });
  var chapters = Array.prototype.map
    .call(document.querySelectorAll("[data-book-chapter]"), function (row) {
      return { start: Number(row.dataset.start) || 0, title: row.dataset.title || "", row: row };
    })
    .sort(function (a, b) {
      return a.start - b.start;
    });
  var total = (function () {
    var last = parts[parts.length - 1];
    return last ? last.start + last.duration : 0;
  })();
  var urls = {
    session: root.dataset.sessionUrl,
    report: root.dataset.reportUrl,
    progress: root.dataset.progressUrl,
    bookmarks: root.dataset.bookmarksUrl,
    bookmark: root.dataset.bookmarkUrl,
  };

  var ui = {
    body: root.querySelector(".book-player__body"),
    toggle: root.querySelector('[data-book-action="toggle"]'),
    back: root.querySelector('[data-book-action="back"]'),
    forward: root.querySelector('[data-book-action="forward"]'),
    prev: root.querySelector('[data-book-action="prev-chapter"]'),
    next: root.querySelector('[data-book-action="next-chapter"]'),
    seek: document.getElementById("book-seek"),
    elapsed: document.getElementById("book-elapsed"),
    total: document.getElementById("book-total"),
    chapter: document.getElementById("book-chapter"),
    speed: document.getElementById("book-speed"),
    sleep: document.getElementById("book-sleep"),
    sleepLeft: document.getElementById("book-sleep-left"),
    allowance: document.getElementById("book-allowance-text"),
    message: document.getElementById("book-message"),
    alert: document.getElementById("book-alert"),
    bookmarkForm: document.getElementById("book-bookmark-form"),
    bookmarkNote: document.getElementById("book-bookmark-note"),
    bookmarks: document.getElementById("book-bookmarks"),
    bookmarksEmpty: document.getElementById("book-bookmarks-empty"),
  };

  if (!parts.length || !ui.body || !audio) {
    return; // no sample and no parts: nothing to play
  }

  // State --------------------------------------------------------------------

  var partIndex = -1; // the part whose audio is in the <audio> element
  var pendingOffset = null; // where to seek in that part once it can
  var cursor = 0; // the timeline position while no part is loaded
  var speed = 1;
  var dragging = false;
  var chapterIndex = -2;
  var locked = false; // the allowance ran out: nothing more plays here
  var resumeKnown = !(full && signedIn); // progress is read before it is written

  // Timeline ---------------------------------------------------------------

  function partAt(seconds) {
    var index = 0;
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].start <= seconds + 0.001) {
        index = i;
      }
    }
    return index;
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

  function clamp(seconds) {
    return Math.min(Math.max(0, seconds), Math.max(0, total - 0.25));
  }

  function isPlaying() {
    return partIndex >= 0 && !audio.paused && !audio.ended;
  }

  function load(index, offset) {
    partIndex = index;
    pendingOffset = offset;
    // The media fragment lets the browser fetch from the right place at
    // once; loadedmetadata checks that it took.
    audio.src = parts[index].src + (offset > 0.5 ? "#t=" + offset.toFixed(2) : "");
    audio.defaultPlaybackRate = speed;
    audio.playbackRate = speed;
    root.dataset.part = String(index + 1);
  }

  function startAudio() {
    var attempt = audio.play();
    if (attempt && attempt.catch) {
      attempt.catch(function (error) {
        if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) {
          renderPlaying(); // autoplay refused or interrupted: press play
          return;
        }
        showAlert(t("loadError"));
      });
    }
  }

  function play() {
    if (locked) {
      return;
    }
    hideAlert();
    if (full) {
      sessionEnsure();
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
    var target = clamp(seconds);
    meterBreak();
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
    if (sleepChapterEnd !== null) {
      sleepChapterEnd = chapterEnd(target); // the chapter landed in, now
    }
    renderTime();
    renderPlaying();
    progressSoon();
  }

  function skip(delta) {
    seekTo(position() + delta);
  }

  function chapterAt(seconds) {
    var index = -1;
    for (var i = 0; i < chapters.length; i++) {
      if (chapters[i].start <= seconds + 0.25) {
        index = i;
      } else {
        break;
      }
    }
    return index;
  }

  function previousChapter() {
    var at = position();
    var index = chapterAt(at);
    if (index < 0) {
      seekTo(0);
    } else if (index > 0 && at - chapters[index].start < RESTART_GRACE_SECONDS) {
      seekTo(chapters[index - 1].start);
    } else {
      seekTo(chapters[index].start);
    }
  }

  function nextChapter() {
    var next = chapters[chapterAt(position()) + 1];
    if (next && next.start < total) {
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
    if (ui.speed) {
      ui.speed.value = String(chosen);
    }
  }

  // Rendering ----------------------------------------------------------------

  function renderTime() {
    var at = dragging ? Number(ui.seek.value) : position();
    ui.seek.max = String(Math.floor(total));
    if (!dragging) {
      ui.seek.value = String(Math.floor(at));
    }
    ui.elapsed.textContent = clock(at);
    ui.total.textContent = clock(total);
    ui.seek.setAttribute("aria-valuetext", t("positionOf", { elapsed: clock(at), total: clock(total) }));
    renderChapter(at);
  }

  function renderChapter(at) {
    var index = chapterAt(at);
    ui.prev.disabled = chapters.length === 0;
    ui.next.disabled = !chapters[index + 1] || chapters[index + 1].start >= total;
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
    ui.chapter.textContent = chapters[index] ? chapters[index].title : "—";
  }

  function renderPlaying() {
    var playing = isPlaying();
    root.dataset.state = playing ? "playing" : "paused";
    var label = t("play");
    if (playing) {
      label = t("pause");
    } else if (position() >= 1) {
      label = t("resumeAt", { time: clock(position()) });
    }
    ui.toggle.setAttribute("aria-label", label);
    ui.toggle.disabled = locked;
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

  // Metering -----------------------------------------------------------------
  // Stretches of the timeline heard continuously at one rate. A seek, a pause
  // or a change of speed closes the open stretch; a part boundary does not.

  var open = null; // {start, end, rate, wall}
  var played = []; // closed stretches not yet put in a report
  var outbox = []; // reports not yet answered: {seq, intervals, sending}
  var session = null; // {token, seq}
  var sessionOpening = null;
  var spentSinceAnswer = 0; // real seconds heard past the sample since the last answer
  var leftSeconds = Number(root.dataset.leftSeconds) || 0;
  var renewsAt = root.dataset.renewsAt || "";
  var lastUrgentReport = 0;

  function meterTrack() {
    if (!full || !isPlaying() || pendingOffset !== null || audio.seeking) {
      return;
    }
    var at = position();
    var now = performance.now();
    var rate = audio.playbackRate;
    if (open && open.rate === rate && at >= open.end - 0.05 &&
        at - open.end <= ((now - open.wall) / 1000) * rate + CONTINUITY_SLACK_SECONDS) {
      if (at > sampleSeconds) {
        spentSinceAnswer += (at - Math.max(open.end, sampleSeconds)) / rate;
      }
      open.end = Math.max(open.end, at);
      open.wall = now;
    } else {
      meterBreak();
      open = { start: at, end: at, rate: rate, wall: now };
    }
    // About to run out: ask the server now rather than at the next tick.
    if (spentSinceAnswer >= leftSeconds && now - lastUrgentReport > 2000) {
      lastUrgentReport = now;
      reportSend(false);
    }
  }

  function meterBreak() {
    if (open && open.end - open.start >= 0.05) {
      played.push({ start: round3(open.start), end: round3(Math.min(open.end, total)), rate: open.rate });
    }
    open = null;
  }

  function sessionEnsure() {
    if (session || sessionOpening || !urls.session) {
      return;
    }
    sessionOpening = request("POST", urls.session, { device: deviceId() })
      .then(function (result) {
        if (result.status === 201 && result.body && result.body.token) {
          session = { token: result.body.token, seq: 0 };
          outbox = []; // reports of an earlier session no longer count
          allowanceShow(result.body.left_seconds, result.body.renews_at);
        } else {
          refused(result);
        }
      })
      .catch(function () {
        showAlert(t("requestFailed"));
      })
      .then(function () {
        sessionOpening = null;
      });
  }

  function reportSend(final) {
    if (!full) {
      return;
    }
    if (open) {
      // Cut the open stretch here and carry on from the same place.
      var carry = { start: open.end, end: open.end, rate: open.rate, wall: open.wall };
      meterBreak();
      if (isPlaying()) {
        open = carry;
      }
    }
    if (!session) {
      return; // kept until the session is open
    }
    if (played.length) {
      session.seq += 1;
      outbox.push({ seq: session.seq, intervals: played.splice(0, 200), sending: false });
    }
    var token = session.token;
    outbox.forEach(function (item) {
      if (item.sending && !final) {
        return;
      }
      item.sending = true;
      var url = urls.report.replace("00000000-0000-0000-0000-000000000000", token);
      request("POST", url, { seq: item.seq, intervals: item.intervals }, final)
        .then(function (result) {
          outbox = outbox.filter(function (other) {
            return other !== item;
          });
          if (result.status === 200 && result.body) {
            spentSinceAnswer = 0;
            allowanceShow(result.body.left_seconds, result.body.renews_at);
            if (result.body.exhausted) {
              exhausted();
            }
          } else if (result.status !== 400) {
            refused(result);
          }
          // 400: the server found the report impossible and charged
          // nothing; it is dropped rather than sent again.
        })
        .catch(function () {
          item.sending = false; // the network failed: sent again next time
        });
    });
  }

  function refused(result) {
    var body = result.body || {};
    if (result.status === 409) {
      session = null; // another device took over; play opens a new session
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

  function allowanceShow(left, renews) {
    if (typeof left === "number" && isFinite(left)) {
      leftSeconds = left;
      if (ui.allowance) {
        ui.allowance.textContent = t("left", { left: durationWords(left) });
      }
    }
    if (renews) {
      renewsAt = renews;
    }
  }

  function exhausted() {
    locked = true;
    pause();
    meterBreak();
    var date = longDate(renewsAt);
    showAlert(date ? t("exhausted", { date: date }) : t("exhaustedNoDate"));
    root.dataset.exhausted = "true";
    renderPlaying();
  }

  // Progress -----------------------------------------------------------------

  var lastSaved = null;
  var saveTimer = null;

  function progressSave(final) {
    if (!full || !signedIn || !resumeKnown || !urls.progress) {
      return;
    }
    var at = round3(position());
    if (!final && lastSaved !== null && Math.abs(at - lastSaved) < 0.5) {
      return;
    }
    lastSaved = at;
    request(
      "PUT",
      urls.progress,
      { position_seconds: at, played_at: new Date().toISOString(), device: deviceId() },
      final
    ).catch(function () {
      lastSaved = null; // try again next time
    });
  }

  function progressSoon() {
    window.clearTimeout(saveTimer);
    saveTimer = window.setTimeout(function () {
      progressSave(false);
    }, 800);
  }

  function progressResume() {
    if (!full || !signedIn || !urls.progress) {
      return Promise.resolve(null);
    }
    return request("GET", urls.progress)
      .then(function (result) {
        var body = result.body;
        if (result.status === 200 && body && typeof body.position_seconds === "number") {
          return body.position_seconds;
        }
        return null;
      })
      .catch(function () {
        return null;
      })
      .then(function (seconds) {
        resumeKnown = true;
        return seconds;
      });
  }

  // Bookmarks ----------------------------------------------------------------

  function bookmarkRender(bookmarks) {
    ui.bookmarks.textContent = "";
    bookmarks.forEach(function (bookmark) {
      var item = document.createElement("li");
      item.className = "bookmark";
      item.dataset.bookmarkId = String(bookmark.id);
      var time = clock(bookmark.position_seconds);

      var jump = document.createElement("button");
      jump.type = "button";
      jump.className = "bookmark__jump";
      jump.textContent = time;
      jump.setAttribute("aria-label", t("bookmarkJump", { time: time }));
      jump.addEventListener("click", function () {
        seekTo(bookmark.position_seconds);
      });

      var note = document.createElement("span");
      note.className = "bookmark__note";
      note.textContent = bookmark.note;

      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "bookmark__delete";
      remove.textContent = t("bookmarkDelete");
      remove.setAttribute("aria-label", t("bookmarkDeleteLabel", { time: time }));
      remove.addEventListener("click", function () {
        bookmarkDelete(bookmark.id, item);
      });

      item.appendChild(jump);
      item.appendChild(note);
      item.appendChild(remove);
      ui.bookmarks.appendChild(item);
    });
    ui.bookmarksEmpty.hidden = bookmarks.length > 0;
  }

  var bookmarkCache = [];

  function bookmarksLoad() {
    if (!ui.bookmarks || !urls.bookmarks) {
      return;
    }
    request("GET", urls.bookmarks)
      .then(function (result) {
        if (result.status === 200 && result.body && Array.isArray(result.body.bookmarks)) {
          bookmarkCache = result.body.bookmarks;
          bookmarkRender(bookmarkCache);
        }
      })
      .catch(function () {
        /* the list stays empty; adding still works */
      });
  }

  function bookmarkAdd() {
    var at = round3(position());
    request("POST", urls.bookmarks, { position_seconds: at, note: ui.bookmarkNote.value })
      .then(function (result) {
        if (result.status === 201 && result.body) {
          bookmarkCache = bookmarkCache.concat([result.body]).sort(function (a, b) {
            return a.position_seconds - b.position_seconds || a.id - b.id;
          });
          bookmarkRender(bookmarkCache);
          ui.bookmarkNote.value = "";
          say(t("bookmarkAdded", { time: clock(at) }));
        } else {
          refused(result);
        }
      })
      .catch(function () {
        showAlert(t("requestFailed"));
      });
  }

  function bookmarkDelete(id, item) {
    request("DELETE", urls.bookmark.replace(/\/0$/, "/" + id))
      .then(function (result) {
        if (result.status === 204) {
          bookmarkCache = bookmarkCache.filter(function (bookmark) {
            return bookmark.id !== id;
          });
          var next = item.nextElementSibling || item.previousElementSibling;
          bookmarkRender(bookmarkCache);
          say(t("bookmarkDeleted"));
          var focus = next && ui.bookmarks.querySelector(
            '[data-bookmark-id="' + next.dataset.bookmarkId + '"] .bookmark__jump'
          );
          (focus || ui.bookmarkNote).focus();
        } else {
          refused(result);
        }
      })
      .catch(function () {
        showAlert(t("requestFailed"));
      });
  }

  // Sleep timer --------------------------------------------------------------

  var sleepAt = null; // wall-clock ms when playback stops
  var sleepChapterEnd = null; // timeline seconds where playback stops
  var sleepTicker = null;

  function sleepClear() {
    sleepAt = null;
    sleepChapterEnd = null;
    window.clearInterval(sleepTicker);
    sleepTicker = null;
    ui.sleepLeft.textContent = "";
  }

  function chapterEnd(at) {
    var next = chapters[chapterAt(at) + 1];
    return next ? Math.min(next.start, total) : total;
  }

  function sleepSet(value) {
    sleepClear();
    if (value === "chapter") {
      sleepChapterEnd = chapterEnd(position());
      ui.sleepLeft.textContent = t("sleepChapter");
    } else if (Number(value) > 0) {
      sleepAt = Date.now() + Number(value) * 60000;
      sleepTick();
      sleepTicker = window.setInterval(sleepTick, 1000);
    }
  }

  function sleepTick() {
    if (sleepAt === null) {
      return;
    }
    var left = (sleepAt - Date.now()) / 1000;
    if (left <= 0) {
      sleepDone();
      return;
    }
    ui.sleepLeft.textContent = t("sleepIn", { time: clock(left) });
  }

  function sleepDone() {
    pause();
    sleepClear();
    ui.sleep.value = "";
    say(t("sleepDone"));
  }

  // Events from the <audio> element ----------------------------------------

  audio.addEventListener("loadedmetadata", function () {
    if (pendingOffset !== null) {
      var target = Math.min(pendingOffset, Math.max(0, (audio.duration || Infinity) - 0.25));
      pendingOffset = null;
      if (Math.abs(audio.currentTime - target) > 0.3) {
        audio.currentTime = target;
      }
    }
    audio.playbackRate = speed;
    renderTime();
  });
  audio.addEventListener("timeupdate", function () {
    renderTime();
    meterTrack();
    if (sleepChapterEnd !== null && isPlaying() && position() >= sleepChapterEnd - 0.2) {
      sleepDone();
    }
  });
  audio.addEventListener("seeking", meterBreak);
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
  audio.addEventListener("ratechange", meterBreak);
  audio.addEventListener("pause", function () {
    if (audio.ended && partIndex < parts.length - 1) {
      return; // a part ended: the next starts at once, this is no pause
    }
    meterBreak();
    renderPlaying();
    reportSend(false);
    progressSave(false);
  });
  audio.addEventListener("ended", function () {
    if (partIndex < parts.length - 1) {
      load(partIndex + 1, 0);
      startAudio();
      return;
    }
    meterBreak();
    reportSend(false);
    progressSave(true);
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
    writeStored(KEY_SPEED, String(speed));
  });
  ui.sleep.addEventListener("change", function () {
    sleepSet(ui.sleep.value);
  });
  ui.seek.addEventListener("input", function () {
    dragging = true;
    renderTime();
  });
  ui.seek.addEventListener("change", function () {
    dragging = false;
    seekTo(Number(ui.seek.value));
  });
  if (ui.bookmarkForm) {
    ui.bookmarkForm.addEventListener("submit", function (event) {
      event.preventDefault();
      bookmarkAdd();
    });
  }

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

  function inFormControl(element) {
    return Boolean(
      element && element.closest && element.closest("input, select, textarea, [contenteditable]")
    );
  }

  // Capture phase: these keys drive the book on its page, before any other
  // player on the page sees them.
  window.addEventListener(
    "keydown",
    function (event) {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) {
        return;
      }
      var target = event.target;
      if (inFormControl(target)) {
        return;
      }
      if (event.key === " " || event.key === "Spacebar") {
        if (target && target.closest && target.closest("button, summary, a")) {
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
    },
    true
  );

  window.setInterval(function () {
    if (isPlaying()) {
      reportSend(false);
      progressSave(false);
    }
  }, REPORT_EVERY_MS);

  window.addEventListener("pagehide", function () {
    meterBreak();
    reportSend(true);
    if (isPlaying() || lastSaved === null || Math.abs(position() - lastSaved) >= 0.5) {
      progressSave(true);
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      reportSend(false);
      progressSave(false);
    }
  });

  // Start --------------------------------------------------------------------

  function start() {
    ui.body.hidden = false;
    setSpeed(readStored(KEY_SPEED) || 1);
    renderTime();
    renderPlaying();
    bookmarksLoad();
    var startAt = root.dataset.startAt;
    progressResume().then(function (saved) {
      if (startAt !== undefined && startAt !== "") {
        seekTo(Number(startAt) || 0);
        play(); // from a chapter link: the browser may ask for a press first
      } else if (saved !== null && saved > 0 && saved < total - FINISHED_MARGIN_SECONDS) {
        cursor = clamp(saved);
        lastSaved = saved;
        renderTime();
        renderPlaying();
      }
      root.dataset.ready = "true";
    });
  }

  start();
})();
