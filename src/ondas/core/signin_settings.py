"""How often a person may try a password or a device code (``ondas.settings``
imports these): counted in the database, so the limits hold across every
worker and node."""

from __future__ import annotations

from ondas.core.env import env_int

# Sign-in throttling, counted in the database so that it holds across every
# worker and node: after this many failures within the window, further tries
# for that email (or from that client address) are refused with HTTP 429
# without checking the password.
ONDAS_SIGNIN_MAX_FAILURES_PER_EMAIL = env_int("ONDAS_SIGNIN_MAX_FAILURES_PER_EMAIL", 5)
ONDAS_SIGNIN_MAX_FAILURES_PER_IP = env_int("ONDAS_SIGNIN_MAX_FAILURES_PER_IP", 20)
ONDAS_SIGNIN_FAILURE_WINDOW_SECONDS = env_int(
    "ONDAS_SIGNIN_FAILURE_WINDOW_SECONDS", 15 * 60
)
# Device sign-in (OAuth 2.0 device grant, /device/): how long a code lives,
# how often the app may poll, and how many wrong codes a person (or a client
# address) may type within the sign-in failure window before /device/ refuses.
ONDAS_DEVICE_CODE_LIFETIME_SECONDS = env_int("ONDAS_DEVICE_CODE_LIFETIME_SECONDS", 600)
ONDAS_DEVICE_POLL_INTERVAL_SECONDS = env_int("ONDAS_DEVICE_POLL_INTERVAL_SECONDS", 5)
ONDAS_DEVICE_CODE_MAX_FAILURES_PER_USER = env_int(
    "ONDAS_DEVICE_CODE_MAX_FAILURES_PER_USER", 5
)
ONDAS_DEVICE_CODE_MAX_FAILURES_PER_IP = env_int(
    "ONDAS_DEVICE_CODE_MAX_FAILURES_PER_IP", 20
)

__all__ = [
    "ONDAS_SIGNIN_MAX_FAILURES_PER_EMAIL",
    "ONDAS_SIGNIN_MAX_FAILURES_PER_IP",
    "ONDAS_SIGNIN_FAILURE_WINDOW_SECONDS",
    "ONDAS_DEVICE_CODE_LIFETIME_SECONDS",
    "ONDAS_DEVICE_POLL_INTERVAL_SECONDS",
    "ONDAS_DEVICE_CODE_MAX_FAILURES_PER_USER",
    "ONDAS_DEVICE_CODE_MAX_FAILURES_PER_IP",
]
