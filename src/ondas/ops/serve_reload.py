"""SIGHUP for `ondas serve`: check that the new code loads, then re-execute in place.

The check runs in a child process that the arbiter polls from its main loop
(``CodeCheck.poll``) instead of waiting for it: it takes about 1 s idle and
a few seconds under load, and a SIGTERM meanwhile must start the drain at once.

The verdict is read from the child's output, not from its exit status:
Gunicorn's arbiter reaps every child it sees exit (``waitpid(-1)``), the
check included, so the status may never reach us. A check passes only when
the child printed ``PASSED`` as the last thing it did.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ondas.ops.serve_signals import (
    ARBITER_SIGNALS,
    LISTEN_FDS_START,
    PENDING_ENV,
    RETIRING_ENV,
    encode,
)

PASSED = "ondas-code-check-passed"
# At a lower priority: on a loaded box the check must not take the CPU from
# the workers serving, nor from the arbiter handling a SIGTERM meanwhile. Not
# much lower: at nice 10 a box whose two cores both serve gave the check about
# 5 % of a core, and its 1 s of imports took 18-28 s (a CI run); nice 5 gives it
# about three times that share, and serving still comes first.
CHECK_NICENESS = 5
CODE_CHECK = (
    f"import os; os.nice({CHECK_NICENESS}); "
    "import django; django.setup(); "
    "from django.urls import get_resolver; import ondas.wsgi; "
    "get_resolver().url_patterns; "
    f"print({PASSED!r}, flush=True)"
)
CHECK_TIMEOUT = 120.0
BOOT_FILE = str(Path(__file__).with_name("serve_boot.py"))


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    detail: str


class CodeCheck:
    """The code on disk, loaded by a child process; ``poll()`` says how it went."""

    def __init__(self, *, cwd: str) -> None:
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in _end
        self._started = time.monotonic()
        self._out = b""
        self._proc = subprocess.Popen(  # noqa: S603 - our interpreter, fixed code
            [sys.executable, "-c", CODE_CHECK],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            cwd=cwd,
        )
        assert self._proc.stdout is not None
        os.set_blocking(self._proc.stdout.fileno(), False)

    @property
    def pid(self) -> int:
        return self._proc.pid

    def poll(self) -> CheckResult | None:
        """Return the verdict once the child is done, None while it runs."""
        stdout = self._proc.stdout
        assert stdout is not None
        while True:
            try:
                chunk = os.read(stdout.fileno(), 65536)
            except BlockingIOError:
                if time.monotonic() - self._started > CHECK_TIMEOUT:
                    self.kill()
                    return CheckResult(False, f"no verdict in {CHECK_TIMEOUT:.0f} s")
                return None
            if not chunk:
                break
            self._out += chunk
        passed = self._out.strip().endswith(PASSED.encode())
        detail = self._end()
        return CheckResult(passed, detail)

    def kill(self) -> None:
        """Stop the check (the server is stopping); its verdict is not wanted."""
        with contextlib.suppress(ProcessLookupError):
            self._proc.kill()
        self._end()

    def _end(self) -> str:
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        # Reaped here if it is gone already, else by the arbiter's
        # waitpid(-1) loop when its SIGCHLD comes: never waited for.
        with contextlib.suppress(OSError):
            self._proc.poll()
        self._errors.seek(0)
        detail = self._errors.read()[-2000:].decode(errors="replace")
        self._errors.close()
        return detail


def reexec_in_place(
    *,
    start_ctx: dict[Any, Any],
    listeners: Sequence[Any],
    arbiter_pid: int,
    retiring: Sequence[int],
    pending: Sequence[int],
) -> None:
    """Replace this process's image with the code on disk; never returns.

    The listening sockets go over as ``LISTEN_FDS`` (numbered from 3), the
    old workers as ``RETIRING_ENV``, the signals queued and not yet handled as
    ``PENDING_ENV``. The caller has blocked the arbiter's signals: what comes
    from now on stays pending in the kernel until the new image unblocks it.
    """
    environ = os.environ.copy()
    environ[RETIRING_ENV] = ",".join(str(pid) for pid in retiring)
    environ[PENDING_ENV] = encode(pending)
    environ["LISTEN_PID"] = str(arbiter_pid)
    environ["LISTEN_FDS"] = str(len(listeners))
    # Whatever used descriptors 3… here is about to be closed by exec() anyway.
    moved = [os.dup(listener.fileno()) for listener in listeners]
    for number, fd in enumerate(moved, start=LISTEN_FDS_START):
        os.dup2(fd, number, inheritable=True)
    os.chdir(start_ctx["cwd"])
    # Gunicorn's start line is [python, script, args…]; the boot catches the
    # signals from the first milliseconds on, then runs the same command.
    argv = [start_ctx[0], "-S", BOOT_FILE, *start_ctx["args"][1:]]
    try:
        os.execve(start_ctx[0], argv, environ)  # noqa: S606
    except OSError:
        # Descriptors 3… may now be the listeners' copies: there is no clean
        # way back. Gunicorn's main loop stops the server.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, ARBITER_SIGNALS)
        raise
