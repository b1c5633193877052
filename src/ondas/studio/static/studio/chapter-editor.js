// The chapter editor, made quicker with JavaScript: add, remove and move rows
// on the page instead of a round trip (the buttons are form submissions that
// work without it), and the "Now" buttons, which set a row's start to where
// the editor's audio player is.
//
// Markup: templates/studio/episodes/form.html ([data-chapter-editor]).
"use strict";

(function () {
  const editor = document.querySelector("[data-chapter-editor]");
  if (!editor) {
    return;
  }
  const table = editor.querySelector("table");
  const audio = document.getElementById("studio-audio");

  // Seconds as the editor writes them: m:ss, or h:mm:ss from one hour on.
  function clock(seconds) {
    const total = Math.max(0, Math.floor(seconds));
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const secs = String(total % 60).padStart(2, "0");
    if (hours) {
      return hours + ":" + String(minutes).padStart(2, "0") + ":" + secs;
    }
    return minutes + ":" + secs;
  }

  function rows() {
    return Array.from(table.querySelectorAll("[data-chapter-row]"));
  }

  // Keep each button's row number right, for a submission after a change.
  function renumber() {
    rows().forEach(function (row, index) {
      row.querySelectorAll("[data-chapter-op]").forEach(function (button) {
        button.value = button.dataset.chapterOp + ":" + index;
      });
    });
  }

  function blankRow() {
    const row = rows()[0].cloneNode(true);
    row.classList.remove("chapter-editor__row--invalid");
    row.querySelectorAll("input").forEach(function (input) {
      input.value = "";
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    });
    row.querySelectorAll("[data-chapter-errors]").forEach(function (list) {
      list.closest("tr").remove();
    });
    return row;
  }

  function showNow(row) {
    row.querySelectorAll("[data-chapter-now]").forEach(function (button) {
      button.hidden = !audio;
    });
  }

  editor.addEventListener("click", function (event) {
    const now = event.target.closest("[data-chapter-now]");
    if (now && audio) {
      now.closest("[data-chapter-row]").querySelector("[name=chapter_start]").value =
        clock(audio.currentTime);
      return;
    }
    const button = event.target.closest("[data-chapter-op]");
    if (!button) {
      return;
    }
    event.preventDefault();
    const op = button.dataset.chapterOp;
    const row = button.closest("[data-chapter-row]");
    if (op === "add") {
      const added = blankRow();
      table.appendChild(added);
      showNow(added);
      added.querySelector("[name=chapter_start]").focus();
    } else if (op === "remove") {
      if (rows().length > 1) {
        row.remove();
      } else {
        table.replaceChild(blankRow(), row);
      }
    } else if (op === "up" && row.previousElementSibling.matches("[data-chapter-row]")) {
      table.insertBefore(row, row.previousElementSibling);
      button.focus();
    } else if (op === "down" && row.nextElementSibling) {
      table.insertBefore(row.nextElementSibling, row);
      button.focus();
    }
    renumber();
  });

  rows().forEach(showNow);
})();
