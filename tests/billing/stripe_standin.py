"""A STAND-IN for Stripe's HTTP API, on 127.0.0.1, for tests only.

This machine has no network, so the Stripe adapter's outgoing calls are
pointed (``ONDAS_STRIPE_API_BASE``) at this small server. It answers only the
calls Ondas makes — customer, setup-mode Checkout Session (created, then
read back with its card), subscription create, update and cancel,
billing-portal session — with the fields Ondas reads, and records every
request so tests can check what was sent. ``card_entered`` plays the person
typing a card into Checkout. It is not Stripe.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


class StripeStandIn(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.declined: set[str] = set()  # fingerprints whose charges fail
        self.by_key: dict[str, dict[str, Any]] = {}  # Idempotency-Key → answer
        self.now = int(time.time())

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def card_entered(
        self, session_id: str, *, fingerprint: str, last4: str = "4242"
    ) -> None:
        """The person types a card into Checkout ``session_id`` and finishes."""
        session = self.sessions[session_id]
        session["status"] = "complete"
        session["setup_intent"] = {
            "id": "seti_" + session_id,
            "object": "setup_intent",
            "payment_method": {
                "id": f"pm_{fingerprint}_{last4}",
                "object": "payment_method",
                "card": {"brand": "visa", "last4": last4, "fingerprint": fingerprint},
            },
        }

    def created(self, path: str) -> list[dict[str, list[str]]]:
        """The forms of the POSTs to ``path``, in order."""
        return [
            form for method, p, form in self.requests if (method, p) == ("POST", path)
        ]

    def _session_create(self, form: dict[str, list[str]]) -> dict[str, Any]:
        session_id = f"cs_test_{len(self.sessions) + 1}"
        self.sessions[session_id] = {
            "id": session_id,
            "object": "checkout.session",
            "mode": form["mode"][0],
            "status": "open",
            "customer": form.get("customer", [""])[0],
            "metadata": {
                "ondas_user": form.get("metadata[ondas_user]", [""])[0],
                "ondas_plan": form.get("metadata[ondas_plan]", [""])[0],
            },
            "setup_intent": "seti_" + session_id,
            "url": f"https://checkout.stripe.test/c/{session_id}",
        }
        return self.sessions[session_id]

    def _subscription_create(
        self, form: dict[str, list[str]], key: str
    ) -> tuple[int, dict[str, Any]]:
        if key in self.by_key:
            return 200, self.by_key[key]
        method = form["default_payment_method"][0]
        if any(method.startswith(f"pm_{fp}_") for fp in self.declined):
            return 402, {
                "error": {
                    "type": "card_error",
                    "code": "card_declined",
                    "message": "Your card was declined.",
                }
            }
        trial = int(form.get("trial_period_days", ["0"])[0])
        end = self.now + (trial * 86400 if trial else 30 * 86400)
        body = {
            "id": f"sub_{len(self.by_key) + 1}",
            "object": "subscription",
            "status": "trialing" if trial else "active",
            "customer": form["customer"][0],
            "cancel_at_period_end": False,
            "trial_end": end if trial else None,
            "metadata": {
                "ondas_user": form["metadata[ondas_user]"][0],
                "ondas_plan": form["metadata[ondas_plan]"][0],
            },
            "items": {
                "object": "list",
                "data": [{"current_period_start": self.now, "current_period_end": end}],
            },
        }
        self.by_key[key] = body
        return 200, body


class _Handler(BaseHTTPRequestHandler):
    server: StripeStandIn

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode()) if length else {}
        self.server.requests.append((method, self.path, form))
        path = self.path.split("?")[0]
        status, body = 200, self._body(method, path, form)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        if "error" in body:
            status = 402
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(
        self, method: str, path: str, form: dict[str, list[str]]
    ) -> dict[str, Any] | None:
        server = self.server
        if path == "/v1/customers":
            return {"id": f"cus_{len(server.requests)}", "object": "customer"}
        if path == "/v1/checkout/sessions":
            return server._session_create(form)
        if path.startswith("/v1/checkout/sessions/"):
            return server.sessions.get(path.rsplit("/", 1)[-1])
        if path == "/v1/billing_portal/sessions":
            return {
                "id": "bps_1",
                "object": "billing_portal.session",
                "url": "https://billing.stripe.test/p/bps_1",
            }
        if path == "/v1/subscriptions":
            key = self.headers.get("Idempotency-Key") or ""
            return server._subscription_create(form, key)[1]
        if path.startswith("/v1/subscriptions/"):
            ref = path.rsplit("/", 1)[-1]
            status = "canceled" if method == "DELETE" else "active"
            return {
                "id": ref,
                "object": "subscription",
                "status": status,
                "cancel_at_period_end": form.get("cancel_at_period_end") == ["true"],
            }
        return None

    def do_GET(self) -> None:  # noqa: N802
        self._answer("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._answer("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._answer("DELETE")


@contextmanager
def stripe_standin() -> Iterator[StripeStandIn]:
    server = StripeStandIn()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
