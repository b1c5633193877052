/*
 * The book player's listening session and its reports. Playback opens one
 * session (one stream per account); the stretches the meter closed go to the
 * server every so often, numbered by an increasing seq, and the server
 * answers with the time left. A report the network lost is sent again; one
 * the server found impossible (400) is dropped, it charged nothing.
 */

const SESSION_PLACEHOLDER = "00000000-0000-0000-0000-000000000000";
const STRETCHES_PER_REPORT = 200;
const URGENT_EVERY_MS = 2000;

/**
 * ``options``: urls {session, report}, request (book-api.js), device (a
 * function), meter (book-meter.js), leftSeconds and renewsAt as the page
 * says, isPlaying(), and what to do on an answer: answered(left, renews),
 * exhausted(), refused(result), failed().
 */
export function reports(options) {
  let outbox = []; // reports not yet answered: {seq, intervals, sending}
  let session = null; // {token, seq}
  let opening = null;
  let spentSinceAnswer = 0; // real seconds heard past the sample since the last answer
  let leftSeconds = Number(options.leftSeconds) || 0;
  let renewsAt = options.renewsAt || "";
  let lastUrgent = 0;

  function answered(left, renews) {
    if (typeof left === "number" && isFinite(left)) {
      leftSeconds = left;
    }
    if (renews) {
      renewsAt = renews;
    }
    options.answered(left, renews);
  }

  function ensureSession() {
    if (session || opening || !options.urls.session) {
      return;
    }
    opening = options
      .request("POST", options.urls.session, { device: options.device() })
      .then((result) => {
        if (result.status === 201 && result.body && result.body.token) {
          session = { token: result.body.token, seq: 0 };
          outbox = []; // reports of an earlier session no longer count
          answered(result.body.left_seconds, result.body.renews_at);
        } else {
          options.refused(result);
        }
      })
      .catch(() => options.failed())
      .then(() => {
        opening = null;
      });
  }

  function deliver(item, final) {
    if (item.sending && !final) {
      return;
    }
    item.sending = true;
    const url = options.urls.report.replace(SESSION_PLACEHOLDER, session.token);
    options
      .request("POST", url, { seq: item.seq, intervals: item.intervals }, final)
      .then((result) => {
        outbox = outbox.filter((other) => other !== item);
        if (result.status === 200 && result.body) {
          spentSinceAnswer = 0;
          answered(result.body.left_seconds, result.body.renews_at);
          if (result.body.exhausted) {
            options.exhausted();
          }
        } else if (result.status !== 400) {
          options.refused(result);
        }
      })
      .catch(() => {
        item.sending = false; // the network failed: sent again next time
      });
  }

  function send(final) {
    // Cut the open stretch here and carry on from the same place.
    options.meter.cut(options.isPlaying());
    if (!session) {
      return; // kept until the session is open
    }
    if (options.meter.pending()) {
      session.seq += 1;
      outbox.push({
        seq: session.seq,
        intervals: options.meter.take(STRETCHES_PER_REPORT),
        sending: false,
      });
    }
    outbox.forEach((item) => deliver(item, final));
  }

  return {
    ensureSession: ensureSession,
    send: send,
    /** Count ``paid`` seconds heard; about to run out, ask the server now. */
    heard(paid, wallMs) {
      spentSinceAnswer += paid;
      if (spentSinceAnswer >= leftSeconds && wallMs - lastUrgent > URGENT_EVERY_MS) {
        lastUrgent = wallMs;
        send(false);
      }
    },
    /** Another device took over: the next play opens a new session. */
    forgetSession() {
      session = null;
    },
    renewsAt() {
      return renewsAt;
    },
  };
}
