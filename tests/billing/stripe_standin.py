"""A STAND-IN for Stripe's HTTP API, on 127.0.0.1, for tests only.

This machine has no network, so the Stripe adapter's outgoing calls are
pointed (``ONDAS_STRIPE_API_BASE``) at this small server. It answers only the
calls Ondas makes — Checkout Session, billing-portal session, subscription
update and cancel — with the fields Ondas reads, and records every request so
tests can check what was sent. It is not Stripe.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class StripeStandIn(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: StripeStandIn

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode()) if length else {}
        self.server.requests.append((method, self.path, form))
        path = self.path.split("?")[0]
        if path == "/v1/checkout/sessions":
            body = {
                "id": "cs_test_1",
                "object": "checkout.session",
                "url": "https://checkout.stripe.test/c/cs_test_1",
            }
        elif path == "/v1/billing_portal/sessions":
            body = {
                "id": "bps_1",
                "object": "billing_portal.session",
                "url": "https://billing.stripe.test/p/bps_1",
            }
        elif path.startswith("/v1/subscriptions/"):
            ref = path.rsplit("/", 1)[-1]
            status = "canceled" if method == "DELETE" else "active"
            body = {
                "id": ref,
                "object": "subscription",
                "status": status,
                "cancel_at_period_end": form.get("cancel_at_period_end") == ["true"],
            }
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

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
