// Results as you type in the header's search box. The form works without
// this: it is a plain GET to /search/. Here, after a short pause in typing,
// the best few hits come from the form's data-suggest-url and show as links
// under the box. Their titles and context arrive as escaped HTML with the
// matched words in <mark> (search.text.highlight on the server).

const PAUSE_MS = 180;
const MIN_CHARS = 2;

function setUp(form) {
  const input = form.querySelector("input[name=q]");
  const list = form.querySelector(".site-search__suggestions");
  const url = form.dataset.suggestUrl;
  if (!input || !list || !url) return;
  let timer = 0;
  let latest = 0;

  const hide = () => {
    list.hidden = true;
    list.replaceChildren();
  };

  const show = (results) => {
    list.replaceChildren();
    for (const hit of results) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = hit.url;
      link.className = "site-search__suggestion";
      const title = document.createElement("span");
      title.className = "site-search__suggestion-title";
      title.innerHTML = hit.title; // escaped by the server, <mark> only
      link.append(title);
      if (hit.context) {
        const context = document.createElement("span");
        context.className = "site-search__suggestion-context";
        context.innerHTML = hit.context;
        link.append(context);
      }
      item.append(link);
      list.append(item);
    }
    list.hidden = results.length === 0;
  };

  const ask = async () => {
    const query = input.value.trim();
    if (query.length < MIN_CHARS) {
      hide();
      return;
    }
    const asked = ++latest;
    try {
      const response = await fetch(`${url}?q=${encodeURIComponent(query)}`, {
        headers: { Accept: "application/json" },
      });
      if (!response.ok || asked !== latest) return;
      const data = await response.json();
      if (asked === latest) show(data.results);
    } catch {
      // Offline or the server is busy: the form still submits.
    }
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, PAUSE_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hide();
  });
  form.addEventListener("focusout", (event) => {
    if (!form.contains(event.relatedTarget)) hide();
  });
}

for (const form of document.querySelectorAll("form.site-search[data-suggest-url]")) {
  setUp(form);
}
