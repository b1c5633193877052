// Copy buttons of the account page's private feeds. A file, not an inline
// script, so the page keeps working under a strict Content-Security-Policy.
// Without JavaScript the buttons stay hidden; the address can be selected.
"use strict";

(function () {
  async function copy(text, input) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (error) {
      // No clipboard API (plain http, older browsers): copy the selection.
      input.focus();
      input.select();
      return document.execCommand("copy");
    }
  }

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    const input = document.getElementById(button.dataset.copyTarget);
    const status = document.getElementById(button.dataset.copyStatus);
    if (!input) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", async function () {
      const copied = await copy(input.value, input);
      if (status) {
        status.textContent = copied ? button.dataset.copiedText : "";
      }
      if (copied) {
        button.dataset.copied = "true";
      }
    });
  });
})();
