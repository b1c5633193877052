"""Settings as a fresh process computes them from an environment (no ONDAS_* leaks in)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

_PRINT = (
    "import json, sys; from ondas import settings as s;"
    " names = json.loads(sys.argv[1]); prefix = sys.argv[2];"
    " names = names + [k for k in dir(s) if prefix and k.startswith(prefix)];"
    " print(json.dumps({k: getattr(s, k, None) for k in names}))"
)


def settings_with(
    tmp_path: Path,
    *,
    names: Iterable[str] = (),
    prefix: str = "",
    **env: str,
) -> dict[str, object]:
    """The settings ``names`` (and all starting with ``prefix``) under ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONDAS_")}
    clean.update(ONDAS_DATA_DIR=str(tmp_path), ONDAS_SECRET_KEY="x", **env)
    done = subprocess.run(
        [sys.executable, "-c", _PRINT, json.dumps(list(names)), prefix],
        env=clean,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(done.stderr)
    found: dict[str, object] = json.loads(done.stdout)
    return found
