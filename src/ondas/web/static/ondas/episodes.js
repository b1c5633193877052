/*
 * Episodes as the page describes them for the episode player (player.js): an
 * element with data-episode, data-episode-id, data-audio-src, data-title...
 * and its .chapter rows with data-start and data-title.
 */

export function episodeFromElement(element) {
  const chapters = Array.prototype.map.call(
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
    exclusive: element.hasAttribute("data-exclusive"),
    api: element.dataset.api || "",
    chapters: chapters,
  };
}

export function episodeElements(episodeId) {
  return document.querySelectorAll(
    '[data-episode][data-episode-id="' + String(episodeId).replace(/"/g, "") + '"]'
  );
}

/** Show what needs JavaScript, and hide artwork that failed to load. */
export function revealScripted(doc) {
  doc.querySelectorAll("[data-requires-js]").forEach((el) => {
    el.hidden = false;
  });
  doc.querySelectorAll("img[data-hide-if-broken]").forEach((img) => {
    const hide = () => {
      img.hidden = true;
    };
    if (img.complete && img.naturalWidth === 0) {
      hide();
    } else {
      img.addEventListener("error", hide);
    }
  });
}
