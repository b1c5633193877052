// The studio's audio upload widget: a file input that sends the file through
// tus (tus-js-client, vendored beside this file) in 5 MB chunks, with progress,
// pause and resume (also after a reload: tus-js-client remembers the upload),
// cancel, and the server's own message when the file is refused.
//
// Markup: templates/studio/uploads/_widget.html (include it in a form). On
// success the hidden input gets the stored audio's id and the widget fires
// "ondas:upload-done" with the upload's JSON (audio facts and ID3 chapters,
// for the chapter editor to prefill). A file, not an inline script, so pages
// keep working under a strict Content-Security-Policy.
"use strict";

(function () {
  const CHUNK_SIZE = 5 * 1024 * 1024;
  const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000];

  function cookie(name) {
    const match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function formatBytes(bytes) {
    const units = ["B", "kB", "MB", "GB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
      value /= 1000;
      unit += 1;
    }
    return value.toFixed(unit ? 1 : 0) + " " + units[unit];
  }

  // The message the server gave ({code, message, data}), or the widget's own.
  function serverMessage(error, fallback) {
    const response = error && error.originalResponse;
    if (!response) {
      return fallback;
    }
    try {
      const body = JSON.parse(response.getBody());
      if (body && body.message) {
        return body.message;
      }
    } catch (parseError) {
      // Not JSON (a proxy's page): say what the widget knows.
    }
    return fallback;
  }

  function setup(root) {
    const input = root.querySelector("[data-upload-file]");
    const bar = root.querySelector("[data-upload-progress]");
    const status = root.querySelector("[data-upload-status]");
    const pause = root.querySelector("[data-upload-pause]");
    const resume = root.querySelector("[data-upload-resume]");
    const cancel = root.querySelector("[data-upload-cancel]");
    const field = root.querySelector("[data-upload-audio-id]");
    const labels = root.dataset;
    let upload = null;

    function show(text, state) {
      status.textContent = text;
      root.dataset.uploadState = state;
      const running = state === "uploading";
      pause.hidden = !running;
      resume.hidden = state !== "paused" && state !== "failed";
      cancel.hidden = !(running || state === "paused" || state === "failed");
    }

    function done(url) {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.json();
        })
        .then(function (detail) {
          if (field && detail.audio) {
            field.value = detail.audio.id;
          }
          show(labels.labelDone, "done");
          root.dispatchEvent(new CustomEvent("ondas:upload-done", { detail: detail, bubbles: true }));
        })
        .catch(function () {
          show(labels.labelFailed, "failed");
        });
    }

    function start(file) {
      if (field) {
        field.value = "";
      }
      bar.value = 0;
      bar.max = file.size || 1;
      upload = new window.tus.Upload(file, {
        endpoint: root.dataset.endpoint,
        chunkSize: CHUNK_SIZE,
        retryDelays: RETRY_DELAYS,
        removeFingerprintOnSuccess: true,
        metadata: { filename: file.name, filetype: file.type },
        headers: { "X-CSRFToken": cookie(root.dataset.csrfCookie || "csrftoken") },
        onProgress: function (sent, total) {
          bar.value = sent;
          show(
            labels.labelProgress
              .replace("{sent}", formatBytes(sent))
              .replace("{total}", formatBytes(total)),
            "uploading",
          );
        },
        onError: function (error) {
          show(serverMessage(error, labels.labelFailed), "failed");
        },
        onSuccess: function () {
          done(upload.url);
        },
      });
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) {
          upload.resumeFromPreviousUpload(previous[0]);
        }
        show(labels.labelStarting, "uploading");
        upload.start();
      });
    }

    input.addEventListener("change", function () {
      if (upload) {
        upload.abort();
      }
      if (input.files.length) {
        start(input.files[0]);
      }
    });
    pause.addEventListener("click", function () {
      upload.abort();
      show(labels.labelPaused, "paused");
    });
    resume.addEventListener("click", function () {
      show(labels.labelStarting, "uploading");
      upload.start();
    });
    cancel.addEventListener("click", function () {
      // true: also ask the server to delete what it received (termination).
      upload.abort(true).finally(function () {
        upload = null;
        input.value = "";
        bar.value = 0;
        show(labels.labelCancelled, "cancelled");
      });
    });
    root.hidden = false;
    show("", "idle");
  }

  if (!window.tus || !window.tus.isSupported) {
    return; // the <noscript>/fallback text of the template stays
  }
  document.querySelectorAll("[data-upload-widget]").forEach(setup);
})();
