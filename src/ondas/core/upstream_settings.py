"""The settings of `ondas deploy nginx` for several nodes (``ondas.settings``
imports them): the `ondas serve` addresses nginx balances over, and how it
judges a node that fails.

Read only by the renderer (``ops.deploy``), which checks them and refuses a
bad one with a clear message; with one node the two limits do not apply (see
the rendered ``upstream ondas_app`` block).
"""

from __future__ import annotations

from ondas.core.env import env_int, env_list, env_str

# The `ondas serve` nodes, host:port, comma-separated, e.g.
# ONDAS_UPSTREAMS=10.0.0.11:8000,10.0.0.12:8000 (`--upstream`, repeated, wins;
# neither given: ONDAS_HOST:ONDAS_PORT, where `ondas serve` listens here).
ONDAS_UPSTREAMS = env_list("ONDAS_UPSTREAMS", [])
# With several nodes: the failed attempts within ONDAS_UPSTREAM_FAIL_TIMEOUT
# that take a node out of the rotation for that long (nginx's time syntax:
# 2s, 500ms, 1m). 0 never takes one out.
ONDAS_UPSTREAM_MAX_FAILS = env_int("ONDAS_UPSTREAM_MAX_FAILS", 1)
ONDAS_UPSTREAM_FAIL_TIMEOUT = env_str("ONDAS_UPSTREAM_FAIL_TIMEOUT", "2s").strip()

__all__ = [
    "ONDAS_UPSTREAMS",
    "ONDAS_UPSTREAM_MAX_FAILS",
    "ONDAS_UPSTREAM_FAIL_TIMEOUT",
]
