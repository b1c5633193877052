"""The studio of a busy creator under `ondas serve`: the dashboard and an episode list.

    python bench/studio_pages.py [--shows 5] [--episodes 1000] [--seconds 5]
                                 [--connections 10] [--keep]

A fresh SQLite data directory gets one creator who owns ``--shows`` shows made
through the studio's own service, each with ``--episodes`` episodes (published,
scheduled and drafts mixed; written with the catalog's bulk path, which bumps
the shows' content versions as every write does). The creator's session is
made the way a sign-in makes it and sent as a cookie. Then
`ondas serve --workers 2` runs on that database and wrk measures, at
``--connections`` connections, one after the other:

- ``/healthz``: the baseline of the same run (the stack with no page);
- ``/studio/``: the dashboard (every show with its counts);
- ``/studio/shows/<id>/episodes/``: the first page of one show's episodes.

Each page must answer 200 with the creator's content before wrk starts, and
every answer during the run must be 2xx. Printed: requests/s, p50 and p99 of
each, the pages' p50 against ``/healthz``'s p50, and PASS/FAIL against issue
13's targets: p50 < 30 ms and p99 < 100 ms at 10 connections. The exit status
is 0 when both pages pass.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audio_ranges import (  # noqa: E402 - the harness this builds on
    ONDAS,
    _free_port,
    _running,
)
from big_show import _get  # noqa: E402
from page_runs import measure_signed_in, page_env, setup_run  # noqa: E402

TARGET_P50_MS = 30.0
TARGET_P99_MS = 100.0

SETUP = """
import datetime as dt
import django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management import call_command
from django.utils import timezone
from importlib import import_module
call_command("migrate", verbosity=0)
from ondas.accounts.models import User
from ondas.accounts.services import user_create, user_set_role
from ondas.catalog.models import Episode
from ondas.studio.services.shows import ShowInput, show_create_in_studio
admin = User.objects.create_superuser("root@example.com", "bench-password-1")
creator = user_create(email="creator@example.com", password="bench-password-1")
creator = user_set_role(user=creator, role=User.Role.CREATOR, acting_user=admin)
now = timezone.now()
first = None
for s in range({shows}):
    show = show_create_in_studio(
        data=ShowInput(
            title=f"Programa {{s + 1}}",
            author="Ana Pérez",
            language="es",
            description="<p>Charlas.</p>",
        ),
        acting_user=creator,
    )
    first = first or show
    episodes = []
    for n in range({episodes}):
        if n % 10 == 0:
            status, when = Episode.Status.DRAFT, now
        elif n % 10 == 1:
            status, when = Episode.Status.PUBLISHED, now + dt.timedelta(days=n)
        else:
            status, when = Episode.Status.PUBLISHED, now - dt.timedelta(hours=n)
        episodes.append(
            Episode(
                show=show,
                guid=f"bench-{{show.pk}}-{{n}}",
                title=f"Episodio {{n + 1}}",
                slug=f"episodio-{{n + 1}}",
                description="<p>Un episodio.</p>",
                published_at=when,
                duration_seconds=1800,
                number=n + 1,
                status=status,
            )
        )
    Episode.objects.bulk_create(episodes, batch_size=500)
engine = import_module(settings.SESSION_ENGINE)
session = engine.SessionStore()
session[SESSION_KEY] = str(creator.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
session[HASH_SESSION_KEY] = creator.get_session_auth_hash()
session.create()
print("COOKIE=%s=%s" % (settings.SESSION_COOKIE_NAME, session.session_key))
print("SHOW=%d" % first.pk)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shows", type=int, default=5)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ondas-bench-studio-"))
    env = page_env(tmp)
    printed = setup_run(
        SETUP.format(shows=args.shows, episodes=args.episodes), env, timeout=900
    )
    if printed is None:
        return 2
    cookie = printed["COOKIE"]
    show_id = int(printed["SHOW"])
    print(
        f"{args.shows} shows × {args.episodes} episodes, {args.connections} connections"
    )
    failed = False
    with ExitStack() as stack:
        port = _free_port()
        argv = [ONDAS, "serve", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--workers", "2"]
        stack.enter_context(_running(argv, env=env, port=port, log=tmp / "serve.out"))
        base = f"http://127.0.0.1:{port}"
        pages = {
            "dashboard": "/studio/",
            "episode list": f"/studio/shows/{show_id}/episodes/",
        }
        for name, path in pages.items():
            status, _, body = _get(port, path, {"Cookie": cookie})
            if status != 200 or b"Programa 1" not in body:
                print(
                    f"{name}: {path} answered {status} without the show",
                    file=sys.stderr,
                )
                return 2
        s, c = args.seconds, args.connections
        health, health_p50, health_p99, _ = measure_signed_in(
            base + "/healthz", s, c, cookie
        )
        print(
            f"  /healthz      {health:7.0f} req/s  p50 {health_p50:6.2f} ms"
            f"  p99 {health_p99:6.2f} ms"
        )
        for name, path in pages.items():
            rate, p50, p99, bad = measure_signed_in(base + path, s, c, cookie)
            ok = p50 < TARGET_P50_MS and p99 < TARGET_P99_MS and not bad
            failed |= not ok
            print(
                f"  {name:13} {rate:7.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
                f"  = {p50 / health_p50:.1f}× /healthz p50"
                f"  {'PASS' if ok else 'FAIL'} (p50 < {TARGET_P50_MS:.0f} ms,"
                f" p99 < {TARGET_P99_MS:.0f} ms){f', {bad} non-2xx' if bad else ''}"
            )
    if args.keep:
        print(f"kept {tmp}")
    else:
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
