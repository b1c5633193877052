"""Search under `ondas serve`: the results page and the header box's JSON.

    python bench/search.py [--shows 100] [--episodes 300] [--seconds 5]
                           [--connections 10] [--semantic] [--keep]

A fresh SQLite data directory gets ``--shows`` shows of ``--episodes``
episodes each, written through the catalog's import path
(``episodes_create_many``), every episode with two chapters and its
description drawn from a vocabulary of a few hundred words; one episode in
fifty gets an uploaded WebVTT transcript of twenty cues. The index follows
the writes as it does on a real site (``search.signals``, once per show's
transaction). Then `ondas serve --workers 2` runs on that database and wrk
measures, at ``--connections`` connections, one after the other:

- ``/healthz``: the baseline of the same run;
- ``/search/?q=…``: the results page;
- ``/search/suggest/?q=…``: the JSON of the header box;

each search page first at one connection (what a request costs alone),
then at ``--connections``; each search request taking one query at random from a fixed list (common
words, rare ones, prefixes, two-word queries, accents left off). Every query
must answer 200 with at least one hit before wrk starts (the header box
suggests titles only: ``NO_TITLE`` must find nothing there), and every answer
during the run must be 2xx. Printed: the documents indexed, requests/s, p50
and p99 of each, the searches' p50 against ``/healthz``'s, and PASS/FAIL
against issue 15's targets: p50 < 20 ms and p99 < 100 ms at 10 connections.
The exit status is 0 when both pass.

``--semantic`` (needs the ``semantic`` extra) writes the vectors too while
setting up, then runs the results page twice on the same database, each
with its own server: full text alone (``ONDAS_SEARCH_SEMANTIC=0``) and
blended with meaning (``=1``), and prints both, with the vectors stored.
Without it the run is full text alone, as before the extra.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audio_ranges import (  # noqa: E402 - the harness this builds on
    ONDAS,
    WRK,
    _free_port,
    _parse_wrk,
    _running,
)
from big_show import _get, _ms  # noqa: E402
from page_runs import page_env, setup_run  # noqa: E402

TARGET_P50_MS = 20.0
TARGET_P99_MS = 100.0

QUERIES = [
    "memoria",
    "kernel",
    "latencia",
    "planificador",
    "nucleo",
    "redes",
    "base de datos",
    "conc",
    "sistemas distribuidos",
    "replicacion",
    "cache",
    "disco",
    "zanahoria",
    "Episodio 17",
    "Programa 3",
    "transmision",
]
# Queries no title matches ("de" is in none, the carrot only in a cue): the
# header box, which suggests titles only, must find nothing for them.
NO_TITLE = {"base de datos", "zanahoria"}

SETUP = """
import datetime as dt
import random
import django
django.setup()
from django.core.management import call_command
from django.db import transaction
call_command("migrate", verbosity=0)
from ondas.catalog.chapters import ChapterInput
from ondas.catalog.models import Episode
from ondas.catalog.services import show_create
from ondas.catalog.services.imported import EpisodeInput, episodes_create_many
from ondas.catalog.services.transcripts import episode_transcript_upload
from ondas.search.models import SearchDocument
WORDS = (
    "memoria kernel latencia planificador núcleo redes base datos concurrencia "
    "sistemas distribuidos replicación caché disco servidor cliente protocolo "
    "transmisión paquete cola bloqueo hilo proceso archivo índice consulta "
    "transacción registro página fallo copia escritura lectura red enrutador "
    "cortafuegos certificado cifrado clave firma rendimiento carga balanceo "
    "contenedor orquestación despliegue versión rama fusión prueba error"
).split()
WORDS += [f"palabra{{n}}" for n in range(300)]
rng = random.Random(15)
past = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

def text(n):
    return " ".join(rng.choice(WORDS) for _ in range(n))

cues = "WEBVTT\\n\\n" + "".join(
    f"00:{{m:02d}}:00.000 --> 00:{{m:02d}}:05.000\\n{{text(8)}}\\n\\n" for m in range(20)
)
cues += "00:21:00.000 --> 00:21:05.000\\nUna zanahoria en el servidor.\\n"
for s in range({shows}):
    with transaction.atomic():
        show = show_create(
            title=f"Programa {{s + 1}}",
            author=f"Autora {{s + 1}}",
            language="es",
            description=f"<p>{{text(30)}}</p>",
        )
        episodes = episodes_create_many(
            show=show,
            inputs=[
                EpisodeInput(
                    guid=f"g-{{s}}-{{n}}",
                    title=f"Episodio {{n + 1}}: {{text(4)}}",
                    slug=f"episodio-{{n + 1}}",
                    description=f"<p>{{text(60)}}</p>",
                    published_at=past + dt.timedelta(hours=n),
                    duration_seconds=1800,
                    chapters=[
                        ChapterInput(start_seconds=0, title=text(3)),
                        ChapterInput(start_seconds=600, title=text(3)),
                    ],
                )
                for n in range({episodes})
            ],
        )
        for episode in episodes[::50]:
            episode_transcript_upload(
                episode=episode, name="t.vtt", data=cues.encode()
            )
from ondas.search.models import SearchVector
print("DOCUMENTS=%d" % SearchDocument.objects.count())
print("VECTORS=%d" % SearchVector.objects.count())
"""

WRK_LUA = """
local queries = {queries}
math.randomseed(15)
request = function()
  return wrk.format("GET", "{path}" .. queries[math.random(#queries)])
end
"""


def _measure(
    url: str, seconds: int, connections: int, script: Path | None = None
) -> tuple[float, float, float, int]:
    """Requests/s, p50 and p99 in ms, and answers that were not 2xx/3xx."""
    argv = [WRK, f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s"]
    argv += ["--latency", "--timeout", "10s"]
    if script is not None:
        argv += ["-s", str(script)]
    done = subprocess.run(
        [*argv, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    result = _parse_wrk(done.stdout)
    return (
        result.requests_per_second,
        _ms(result.latency_p50),
        _ms(result.latency_p99),
        result.non_2xx,
    )


def _check(port: int, path: str) -> str | None:
    """Why ``path`` is not a good answer with hits, or None."""
    for query in QUERIES:
        status, _, body = _get(port, path + quote(query))
        if status != 200:
            return f"{path}{query} answered {status}"
        if path.startswith("/search/suggest/"):
            found = bool(json.loads(body).get("results"))
            if found != (query not in NO_TITLE):
                return f"{path}{query} found {'something' if found else 'nothing'}"
        elif b"<mark>" not in body:
            return f"{path}{query} found nothing"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shows", type=int, default=100)
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--semantic", action="store_true", help="also blended with meaning"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ondas-bench-search-"))
    env = page_env(tmp) | {"ONDAS_SEARCH_SEMANTIC": "1" if args.semantic else "0"}
    began = time.monotonic()
    code = SETUP.format(shows=args.shows, episodes=args.episodes)
    printed = setup_run(code, env, timeout=3600)
    if printed is None:
        return 2
    documents = int(printed["DOCUMENTS"])
    print(
        f"{args.shows} shows × {args.episodes} episodes: {documents} documents,"
        f" {printed['VECTORS']} vectors (setup {time.monotonic() - began:.0f} s),"
        f" {args.connections} connections"
    )
    lua = "{" + ", ".join(json.dumps(quote(q)) for q in QUERIES) + "}"
    modes = {"full text": "0", "with meaning": "1"} if args.semantic else {"": "0"}
    failed = False
    for mode, flag in modes.items():
        if mode:
            print(f"{mode} (ONDAS_SEARCH_SEMANTIC={flag}):")
        pages = {"results page": "/search/?q=", "suggest JSON": "/search/suggest/?q="}
        if args.semantic:
            pages.pop("suggest JSON")  # titles only: meaning changes nothing there
        mode_env = env | {"ONDAS_SEARCH_SEMANTIC": flag}
        status = _run_server(mode_env, tmp, args, pages, lua)
        if status == 2:
            return 2
        failed |= status != 0
    if args.keep:
        print(f"kept {tmp}")
    else:
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
    return 1 if failed else 0


def _run_server(
    env: dict[str, str],
    tmp: Path,
    args: argparse.Namespace,
    pages: dict[str, str],
    lua: str,
) -> int:
    """Serve the database with ``env`` and measure ``pages``: 0 when each
    passes, 1 when one fails, 2 when one cannot be measured."""
    failed = False
    with ExitStack() as stack:
        port = _free_port()
        argv = [ONDAS, "serve", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--workers", "2"]
        log = tmp / f"serve-{env['ONDAS_SEARCH_SEMANTIC']}.out"
        stack.enter_context(_running(argv, env=env, port=port, log=log))
        base = f"http://127.0.0.1:{port}"
        for name, path in pages.items():
            problem = _check(port, path)
            if problem:
                print(f"{name}: {problem}", file=sys.stderr)
                return 2
        s, c = args.seconds, args.connections
        health, health_p50, health_p99, _ = _measure(base + "/healthz", s, c)
        print(
            f"  /healthz      {health:7.0f} req/s  p50 {health_p50:6.2f} ms"
            f"  p99 {health_p99:6.2f} ms"
        )
        for n, (name, path) in enumerate(pages.items()):
            script = tmp / f"search-{n}.lua"
            script.write_text(WRK_LUA.format(queries=lua, path=path))
            # One connection: what one request costs with nothing queued.
            _, alone, _, _ = _measure(base + "/", s, 1, script)
            print(f"  {name:13} alone (1 connection): p50 {alone:6.2f} ms")
            rate, p50, p99, bad = _measure(base + "/", s, c, script)
            ok = p50 < TARGET_P50_MS and p99 < TARGET_P99_MS and not bad
            failed |= not ok
            print(
                f"  {name:13} {rate:7.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
                f"  = {p50 / health_p50:.1f}× /healthz p50"
                f"  {'PASS' if ok else 'FAIL'} (p50 < {TARGET_P50_MS:.0f} ms,"
                f" p99 < {TARGET_P99_MS:.0f} ms){f', {bad} non-2xx' if bad else ''}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
