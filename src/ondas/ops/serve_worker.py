"""The gthread worker of `ondas serve`.

Gunicorn's ``ThreadWorker`` with four changes:

- a connection goes to a thread only once its request head has arrived
  (``ondas.ops.serve_head``): the poller reads heads, new and kept-alive
  alike, with a deadline for each, and caps connections per client address;
- its signal handlers are in place before it can receive a signal (the
  arbiter forks it with them blocked, ``ondas.ops.serve_signals``);
- once it stops accepting it closes its listening sockets, after taking what
  the kernel had queued: when every process has closed them, a client that
  reconnects is refused (and tries elsewhere) instead of being accepted by the
  kernel and reset at the end of the graceful wait;
- its wake-up pipe is closed only after its threads (see ``run``).
"""

from __future__ import annotations

import errno
import selectors
import time
from collections import Counter, deque
from functools import partial
from typing import Any

from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, ThreadWorker

from ondas.ops.serve_head import (
    TOO_MANY_CONNECTIONS,
    ClientConn,
    HeadLimits,
    HeadState,
    client_key,
    exempt_networks,
    head_state,
    is_exempt,
    max_head_size,
    refuse,
)
from ondas.ops.serve_signals import unblock_worker_signals

# Out of descriptors or memory: accepting stops this long, instead of the
# poller spinning on a listener it cannot take connections from.
ACCEPT_PAUSE = 0.1
_RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_RETRY_ERRORS = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.ECONNABORTED})
# Connections taken from the kernel's queue when a worker stops accepting.
BACKLOG_TAKE_MAX = 1024


class OndasThreadWorker(ThreadWorker):  # type: ignore[misc]
    """Gunicorn's gthread worker: heads read by the poller, listeners closed early."""

    sockets: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limits = getattr(self.app, "head_limits", None)
        self.head_limits = limits if isinstance(limits, HeadLimits) else HeadLimits()
        # (deadline, connection) in deadline order; an entry whose connection
        # no longer waits with that deadline is skipped when it comes up.
        self._heads: deque[tuple[float, ClientConn]] = deque()
        self._per_client: Counter[str] = Counter()
        self._stop_deadline: float | None = None
        self._accept_paused_until = 0.0
        self._max_head = max_head_size(self.cfg)
        self._exempt = exempt_networks(self.cfg)
        # TLS and HTTP/2 prior knowledge read the socket before the parser
        # does: there, Gunicorn's own path (a thread per first byte) stays.
        self._await_heads = not self.cfg.is_ssl and self.cfg.http2_cleartext not in (
            "prior-knowledge",
            "both",
        )

    def init_signals(self) -> None:
        super().init_signals()
        unblock_worker_signals()

    def run(self) -> None:
        """Run Gunicorn's loop, closing the wake-up pipe only after the threads.

        A thread that finishes a request writes a ``\\0`` to the worker's
        wake-up pipe. At shutdown Gunicorn 27 closes that pipe while threads
        may still be serving; a thread that opens a file meanwhile (SQLite
        opens the database on every request) can be handed the pipe's old
        descriptor number, and the next ``\\0`` lands at offset 0 of that
        file. A SIGTERM under load zeroed the first 16 bytes of the SQLite
        database this way ("file is not a database"). Waiting for the threads
        first closes the window; the arbiter still kills a worker that
        outlives ``graceful_timeout``.
        """
        close_pipe = self.method_queue.close

        def close_pipe_after_threads() -> None:
            self.tpool.shutdown(wait=True)
            close_pipe()

        self.method_queue.close = close_pipe_after_threads
        super().run()

    def notify(self) -> None:
        super().notify()
        # The main loop calls this at least once a second, busy or idle.
        from ondas.ops import metrics

        metrics.process_sample()

    # Accepting ----------------------------------------------------------

    def set_accept_enabled(self, enabled: bool) -> None:
        if enabled and time.monotonic() < self._accept_paused_until:
            enabled = False
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive and self.sockets:
            self._stop_listening()

    def accept(self, listener: Any) -> None:
        self._accept_one(listener)

    def _accept_one(self, listener: Any) -> bool:
        """Take one connection from ``listener``; False when there was none."""
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno in _RETRY_ERRORS:
                return False
            if exc.errno in _RESOURCE_ERRORS:
                self.log.warning("Cannot accept connections for now: %s", exc)
                self._accept_paused_until = time.monotonic() + ACCEPT_PAUSE
                super().set_accept_enabled(False)
                return False
            raise
        key = client_key(client_addr)
        on_close = None
        if key is not None and not is_exempt(key, self._exempt):
            if self._per_client[key] >= self.head_limits.per_client:
                self._refuse(client_sock, key)
                return True
            self._per_client[key] += 1
            on_close = partial(self._forget_client, key)
        self.nr_conns += 1
        conn = ClientConn(
            self.cfg,
            client_sock,
            client_addr,
            listener.getsockname(),
            on_close=on_close,
        )
        self.enqueue_req(conn)
        return True

    def _refuse(self, client_sock: Any, key: str) -> None:
        self.log.debug("Connection from %s over its cap, refused", key)
        refuse(client_sock, TOO_MANY_CONNECTIONS)

    def _forget_client(self, key: str) -> None:
        self._per_client[key] -= 1
        if self._per_client[key] <= 0:
            del self._per_client[key]

    def _stop_listening(self) -> None:
        """Take what the kernel queued, then close the listeners, right away.

        The connections taken are served (with ``Connection: close``); kept
        -alive connections and heads still arriving get the same short
        linger as Gunicorn gives kept-alive connections.
        """
        self._stop_deadline = time.monotonic() + STOP_KEEPALIVE_LINGER
        capped: deque[tuple[float, ClientConn]] = deque()
        for deadline, conn in self._heads:
            if conn.waiting and conn.deadline == deadline:
                conn.deadline = min(deadline, self._stop_deadline)
                capped.append((conn.deadline, conn))
        self._heads = capped
        for listener in self.sockets:
            listener.setblocking(False)
            for _ in range(BACKLOG_TAKE_MAX):
                try:
                    if not self._accept_one(listener):
                        break
                except OSError:
                    break
        for listener in self.sockets:
            listener.close()
        self.sockets = []

    # Waiting for heads ----------------------------------------------------

    def enqueue_req(self, conn: Any) -> None:
        """Give ``conn`` to a thread if its head is there, else wait for it."""
        if not self._await_heads or not isinstance(conn, ClientConn):
            super().enqueue_req(conn)
            return
        # A kept-alive connection: what the parser read past the last request.
        conn.take_read_ahead()
        if head_state(conn.head, max_size=self._max_head) is HeadState.INCOMPLETE:
            self._await_head(conn)
        else:
            self._hand_to_thread(conn)

    def _await_head(self, conn: ClientConn) -> None:
        if not conn.waiting:
            # The deadline runs from the accept, or from the first byte of
            # the next request on a kept-alive connection.
            deadline = time.monotonic() + self.head_limits.timeout
            if self._stop_deadline is not None:
                deadline = min(deadline, self._stop_deadline)
            conn.waiting, conn.deadline = True, deadline
            self._heads.append((deadline, conn))
        conn.sock.setblocking(False)
        self.poller.register(
            conn.sock, selectors.EVENT_READ, partial(self._on_head_readable, conn)
        )

    def _on_head_readable(self, conn: ClientConn, _sock: Any) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client left before finishing its head
            self._drop_waiting(conn)
            return
        conn.head += data
        if head_state(conn.head, max_size=self._max_head) is not HeadState.INCOMPLETE:
            self.poller.unregister(conn.sock)
            self._hand_to_thread(conn)

    def _hand_to_thread(self, conn: ClientConn) -> None:
        conn.waiting = False
        conn.data_ready = True  # Gunicorn's handle() must not wait for data
        if conn.initialized:
            conn.hand_over_head()
        super().enqueue_req(conn)

    def _drop_waiting(self, conn: ClientConn) -> None:
        conn.waiting = False
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Close connections whose head is late, with Gunicorn's pending ones."""
        super().murder_pending()
        now = time.monotonic()
        while self._heads and self._heads[0][0] <= now:
            deadline, conn = self._heads.popleft()
            if conn.waiting and conn.deadline == deadline:
                self._drop_waiting(conn)
