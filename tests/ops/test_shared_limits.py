"""Two separate `ondas` processes on one database count the same limits, as two
nodes behind nginx would: the API's request limit (one upsert per request)
and the sign-in failures; with the default settings, nothing else running."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.servers import ONDAS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
API_LIMIT = 12
SETUP = """
from ondas.accounts.models import User
User.objects.create_user(email="ana@example.com",
                         password="a long pass phrase for tests")
"""
# Both processes start together and each asks the API ten times.
API = """
import json
from django.test import Client
codes = [Client().get("/api/v1/shows").status_code for _ in range(10)]
print("CODES=" + json.dumps(codes))
"""
SIGN_IN = """
import json
from django.test import Client
from django.urls import reverse
browser = Client(REMOTE_ADDR="{address}")
codes = [
    browser.post(reverse("accounts:sign-in"),
                 {{"email": "ana@example.com", "password": "guess"}}).status_code
    for _ in range(3)
]
print("CODES=" + json.dumps(codes))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONDAS_")}
    env.pop("DATABASE_URL", None)
    env |= {
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]),
        "ONDAS_DATA_DIR": str(tmp_path / "data"),
        "ONDAS_SECRET_KEY": "shared-limits-test-not-secret",
        "ONDAS_LOG_LEVEL": "WARNING",
        "ONDAS_ALLOWED_HOSTS": "testserver",
        "ONDAS_API_RATE_LIMIT": str(API_LIMIT),
        # One window for the whole test, however slow the machine.
        "ONDAS_API_RATE_WINDOW": str(10**8),
        "ONDAS_SIGNIN_MAX_FAILURES_PER_EMAIL": "5",
    }
    return env


def _shell(env: dict[str, str], code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [ONDAS, "manage", "shell", "-c", code],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _codes(proc: subprocess.Popen[str]) -> list[int]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    codes: list[int] = json.loads(out.split("CODES=")[1])
    return codes


def test_two_processes_on_one_database_share_the_api_and_sign_in_limits(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path)
    migrated = subprocess.run(
        [ONDAS, "manage", "migrate", "--noinput", "-v", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert _codes(_shell(env, SETUP + "\nprint('CODES=[]')")) == []

    first, second = _shell(env, API), _shell(env, API)
    answers = _codes(first) + _codes(second)
    # At the same time, in two processes: exactly the limit got through.
    assert answers.count(200) == API_LIMIT
    assert answers.count(429) == 20 - API_LIMIT

    one = _codes(_shell(env, SIGN_IN.format(address="198.51.100.1")))
    two = _codes(_shell(env, SIGN_IN.format(address="198.51.100.2")))
    assert one == [400, 400, 400]
    assert two == [400, 400, 429]
