/*
 * The offline page (templates/ondas/offline.html): show the visitor's
 * language, the one the language cookie names (as the server reads it),
 * and make "Try again" reload the page that could not be reached.
 */
export function languageFrom(cookie, name, offered, fallback) {
  const pairs = String(cookie || "").split(";");
  for (const pair of pairs) {
    const [key, value] = pair.trim().split("=");
    if (key === name && offered.indexOf(value) >= 0) {
      return value;
    }
  }
  return fallback;
}

function show(doc) {
  const sections = Array.from(doc.querySelectorAll("[data-offline-language]"));
  const offered = sections.map((section) => section.dataset.offlineLanguage);
  const root = doc.documentElement;
  const chosen = languageFrom(doc.cookie, root.dataset.languageCookie, offered, root.lang);
  sections.forEach((section) => {
    const mine = section.dataset.offlineLanguage === chosen;
    section.hidden = !mine;
    if (mine) {
      root.lang = chosen;
      doc.title = section.dataset.title;
    }
  });
  doc.querySelectorAll('[data-action="retry"]').forEach((button) => {
    button.addEventListener("click", () => window.location.reload());
  });
}

if (typeof document !== "undefined") {
  show(document);
}
