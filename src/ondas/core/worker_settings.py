"""The settings of `ondas worker` on several nodes (``ondas.settings`` imports
them): which periodic jobs stay off, this node's name, and the lease after
which a silent worker's task is taken as abandoned."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from ondas.core.env import env_int, env_list, env_str

# Periodic jobs (ops.jobs) that no worker queues, by name, e.g.
# ONDAS_JOBS_OFF=feeds-refresh,billing-run; `ondas jobs` lists them.
ONDAS_JOBS_OFF = env_list("ONDAS_JOBS_OFF", [])
# This node's name for per-node jobs and `ondas jobs` (default: the host name).
ONDAS_NODE_NAME = env_str("ONDAS_NODE_NAME", "")
# A running task whose worker has not beaten for this long is taken as
# abandoned (its worker was killed or its node lost) and queued again if it
# may run twice (ops.lease); each worker beats every quarter of it.
ONDAS_WORKER_LEASE_SECONDS = env_int("ONDAS_WORKER_LEASE_SECONDS", 60)
if ONDAS_WORKER_LEASE_SECONDS < 2:
    raise ImproperlyConfigured("ONDAS_WORKER_LEASE_SECONDS must be 2 or more")
# How often each worker looks at the schedule and for abandoned tasks.
ONDAS_JOBS_TICK_SECONDS = env_int("ONDAS_JOBS_TICK_SECONDS", 10)
# Tasks of your own (dotted paths) that may run again after a worker died,
# beside Ondas's own (ops.lease.RETRY_SAFE).
ONDAS_TASKS_RETRY_SAFE = env_list("ONDAS_TASKS_RETRY_SAFE", [])

__all__ = [
    "ONDAS_JOBS_OFF",
    "ONDAS_NODE_NAME",
    "ONDAS_WORKER_LEASE_SECONDS",
    "ONDAS_JOBS_TICK_SECONDS",
    "ONDAS_TASKS_RETRY_SAFE",
]
