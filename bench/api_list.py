"""A show's episode list through the JSON API against the same list as the show's HTML page.

    python bench/api_list.py [--episodes 1000] [--seconds 5] [--connections 50]
                             [--keep]

Issue 15's API bench: "API catalog list at 50 connections against the same
page rendered as HTML (≥ 1.5×)". A fresh SQLite data directory gets one show
made through the studio's own service with ``--episodes`` published free
episodes (the catalog's bulk path, as ``studio_pages.py`` writes them). Then
`ondas serve --workers 2` runs on that database and wrk measures, at
``--connections`` connections, one after the other, in the same process:

- ``/healthz``: the stack with no page, for the record;
- ``/shows/<slug>/``: the show page, its first page of episodes
  (``ONDAS_EPISODES_PER_PAGE``, 20) rendered as HTML for a visitor;
- ``/api/v1/shows/<slug>/episodes?limit=20``: the same episodes, in the same
  order, as the API's JSON for a visitor (no token).

Both must answer 200 with the same first and last episode titles before wrk
starts, and every answer during the run must be 2xx. The API's rate limit is
off for the run (``ONDAS_API_RATE_LIMIT=0``): wrk from one address would pass
it in a second. Printed: requests/s, p50 and p99 of each, the API's
requests/s against the page's, and PASS/FAIL against the target (≥ 1.5×).
The exit status is 0 on PASS.
"""

from __future__ import annotations

import argparse
import json
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
from page_runs import measure, page_env, setup_run  # noqa: E402

TARGET_RATIO = 1.5
PER_PAGE = 20  # settings.ONDAS_EPISODES_PER_PAGE's default

SETUP = """
import datetime as dt
import django
django.setup()
from django.core.management import call_command
from django.utils import timezone
call_command("migrate", verbosity=0)
from ondas.accounts.models import User
from ondas.accounts.services import user_create, user_set_role
from ondas.catalog.models import Episode
from ondas.studio.services.shows import ShowInput, show_create_in_studio
admin = User.objects.create_superuser("root@example.com", "bench-password-1")
creator = user_create(email="creator@example.com", password="bench-password-1")
creator = user_set_role(user=creator, role=User.Role.CREATOR, acting_user=admin)
show = show_create_in_studio(
    data=ShowInput(
        title="Programa de Prueba",
        author="Ana Pérez",
        language="es",
        description="<p>Charlas sobre servidores.</p>",
    ),
    acting_user=creator,
)
now = timezone.now()
Episode.objects.bulk_create(
    [
        Episode(
            show=show,
            guid=f"bench-{{n}}",
            title=f"Episodio {{n + 1}}",
            slug=f"episodio-{{n + 1}}",
            description="<p>Un episodio sobre colas, memoria y apagados.</p>",
            published_at=now - dt.timedelta(hours={episodes} - n),
            duration_seconds=1800,
            number=n + 1,
            status=Episode.Status.PUBLISHED,
        )
        for n in range({episodes})
    ],
    batch_size=500,
)
print("SLUG=" + show.slug)
"""


def _same_list(port: int, page: str, api: str) -> str | None:
    """Why the page and the API do not show the same episodes, or None."""
    status, _, body = _get(port, page)
    if status != 200:
        return f"{page} answered {status}"
    status, _, raw = _get(port, api)
    if status != 200:
        return f"{api} answered {status}"
    titles = [item["title"] for item in json.loads(raw)["items"]]
    if len(titles) != PER_PAGE:
        return f"{api} listed {len(titles)} episodes, not {PER_PAGE}"
    html = body.decode("utf-8")
    for title in (titles[0], titles[-1]):
        if f"{title}<" not in html:
            return f"{page} does not list {title!r}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ondas-bench-api-"))
    env = page_env(tmp) | {"ONDAS_API_RATE_LIMIT": "0"}
    printed = setup_run(SETUP.format(episodes=args.episodes), env, timeout=900)
    if printed is None:
        return 2
    slug = printed["SLUG"]
    print(
        f"1 show × {args.episodes} episodes, first {PER_PAGE}, "
        f"{args.connections} connections, {args.seconds} s each"
    )
    with ExitStack() as stack:
        port = _free_port()
        argv = [ONDAS, "serve", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--workers", "2"]
        stack.enter_context(_running(argv, env=env, port=port, log=tmp / "serve.out"))
        base = f"http://127.0.0.1:{port}"
        page = f"/shows/{slug}/"
        api = f"/api/v1/shows/{slug}/episodes?limit={PER_PAGE}"
        if (why := _same_list(port, page, api)) is not None:
            print(why, file=sys.stderr)
            return 2
        s, c = args.seconds, args.connections
        results = {}
        for name, path in (("/healthz", "/healthz"), ("HTML page", page), ("API", api)):
            rate, p50, p99, bad = measure(base + path, s, c)
            results[name] = rate
            print(
                f"  {name:10} {rate:7.0f} req/s  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms"
                f"{f'  {bad} non-2xx' if bad else ''}"
            )
            if bad:
                print(f"{name}: {bad} answers were not 2xx", file=sys.stderr)
                return 2
    ratio = results["API"] / results["HTML page"]
    ok = ratio >= TARGET_RATIO
    print(
        f"  API / HTML page: {ratio:.2f}× requests/s"
        f"  {'PASS' if ok else 'FAIL'} (≥ {TARGET_RATIO}×)"
    )
    if args.keep:
        print(f"kept {tmp}")
    else:
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
