/*
 * How the book player talks to Ondas: JSON over fetch with the CSRF token,
 * and the device name a listening session is opened for.
 */

const KEY_DEVICE = "ondas.device";

/** The CSRF token from its cookie, or from the form field in ``root``. */
export function csrfToken(doc, root) {
  const match = doc.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) {
    return decodeURIComponent(match[1]);
  }
  const field = root.querySelector('input[name="csrfmiddlewaretoken"]');
  return field ? field.value : "";
}

/** This browser's device id, made once and kept as text in ``stored``. */
export function deviceId(stored) {
  let id = stored.text(KEY_DEVICE);
  if (!id) {
    id = "web-" + Math.random().toString(36).slice(2, 12);
    stored.keepText(KEY_DEVICE, id);
  }
  return id;
}

/**
 * A request(method, url, payload, keepalive) that sends JSON and resolves
 * with {status, body} for any HTTP answer (body may be null); it rejects only
 * when the network failed.
 */
export function requester(fetch, token) {
  return function request(method, url, payload, keepalive) {
    const options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      keepalive: Boolean(keepalive),
    };
    if (method !== "GET") {
      options.headers["X-CSRFToken"] = token();
    }
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(url, options).then((response) => {
      if (response.status === 204) {
        return { status: 204, body: null };
      }
      return response.json().then(
        (body) => ({ status: response.status, body: body }),
        () => ({ status: response.status, body: null })
      );
    });
  };
}
