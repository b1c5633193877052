"""Ingest of a delivery log: lines/s against a bare ``json.loads`` loop.

    python bench/analytics_ingest.py [--lines 1000000] [--episodes 200]
                                     [--listeners 100000] [--keep]

Writes a log of ``--lines`` JSON lines as nginx's ``ondas_audio`` format
writes them (``deploy/nginx/ondas.conf``): over two days, ``--listeners``
listeners (IPv4 and IPv6 addresses, a dozen podcast apps) fetching
``--episodes`` episodes in 1 MiB ranges, with ``bytes=0-1`` probes, HEADs, bot
agents and a few malformed lines mixed in. Then, in a fresh SQLite data
directory (migrated here), it times

- the parse floor: ``json.loads`` of every line of the file, read as the
  ingest reads it;
- ``ondas.analytics.ingest.log_ingest`` of the same file, windows, roll-ups
  and cursor included;

and prints both rates and their ratio (issue 14's target: at least 0.3).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.3
MIB = 1 << 20
AGENTS = [
    "AppleCoreMedia/1.0.0.20E247 (iPhone; U; CPU OS 16_4 like Mac OS X; en_us)",
    "Podcasts/1.1.0 CFNetwork/1410 Darwin/22.6.0",
    "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)",
    "AntennaPod/3.4.0",
    "PocketCasts/1.0 (Pocket Casts; +https://pocketcasts.com/)",
    "Spotify/8.8.0 Android/33",
    "Castro 2023.5",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120",
    "Podcast Addict/v5 - Dalvik/2.1.0 (Linux; U; Android 13)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.5.0",
    "atc/1.0 watchOS/10.0",
]
SIZE = 40 * MIB
DURATION = 2_400.0


def _address(rng: random.Random, n: int) -> str:
    if n % 3 == 0:
        return f"2001:db8:{n >> 16:x}:{n & 0xFFFF:x}:{rng.getrandbits(16):x}::1"
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def write_log(path: Path, *, lines: int, episodes: int, listeners: int) -> None:
    rng = random.Random(14)
    start = datetime(2026, 11, 3, tzinfo=UTC)
    span = 2 * 86_400
    times = sorted(rng.random() * span for _ in range(lines))
    with path.open("w") as out:
        for i, offset in enumerate(times):
            if i % 10_007 == 0:
                out.write('{"time": "not a time"}\n')
                continue
            who = rng.randrange(listeners)
            episode = 1 + (who * 7 + rng.randrange(3)) % episodes
            kind = rng.random()
            method, status, sent = "GET", 206, MIB
            first = rng.randrange(20) * MIB
            range_header = f"bytes={first}-{first + MIB - 1}"
            if kind < 0.05:
                range_header, sent = "bytes=0-1", 2
            elif kind < 0.08:
                method, status, range_header, sent = "HEAD", 200, "", 0
            elif kind < 0.15:
                range_header, status, sent = "", 200, SIZE
            record = {
                "time": (start + timedelta(seconds=offset)).isoformat(
                    timespec="seconds"
                ),
                "addr": _address(rng, who),
                "method": method,
                "path": f"/audio/{episode}.mp3",
                "status": status,
                "range": range_header,
                "bytes": sent,
                "ua": AGENTS[who % len(AGENTS)],
                "audio": "",
                "listener": "",
            }
            out.write(json.dumps(record, separators=(",", ":")) + "\n")


def parse_floor(path: Path) -> float:
    started = time.perf_counter()
    with path.open("rb") as stream:
        for raw in stream:
            try:
                json.loads(raw)
            except ValueError:
                pass
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--listeners", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the directory")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ondas-ingest-bench-"))
    try:
        os.environ["ONDAS_DATA_DIR"] = str(work / "data")
        os.environ.setdefault("ONDAS_SECRET_KEY", "bench-not-secret")
        os.environ["DJANGO_SETTINGS_MODULE"] = "ondas.settings"
        sys.path.insert(0, str(ROOT / "src"))
        import django

        django.setup()

        from django.core.management import call_command

        from ondas.analytics.ingest import log_ingest
        from ondas.analytics.models import DailyShowDownloads
        from ondas.catalog.models import AudioFile
        from ondas.catalog.services import episode_create, show_create

        call_command("migrate", verbosity=0)
        show = show_create(title="Banco", author="Ana", language="es")
        for n in range(args.episodes):
            audio = AudioFile.objects.create(
                file=f"audio/bench-{n}.mp3",
                size=SIZE,
                mime_type="audio/mpeg",
                duration_seconds=DURATION,
            )
            episode_create(
                show=show,
                guid=f"e{n}",
                title=f"E{n}",
                published_at=datetime(2026, 1, 1, tzinfo=UTC),
                audio=audio,
            )
        log = work / "ondas.audio.json"
        made = time.perf_counter()
        write_log(
            log, lines=args.lines, episodes=args.episodes, listeners=args.listeners
        )
        print(
            f"log: {args.lines:,} lines, {log.stat().st_size / MIB:.0f} MiB "
            f"(written in {time.perf_counter() - made:.1f} s)"
        )
        floor = parse_floor(log)
        started = time.perf_counter()
        with log.open("rb") as stream:
            report = log_ingest(stream=stream, name=str(log))
        took = time.perf_counter() - started
        downloads = sum(row.downloads for row in DailyShowDownloads.objects.all())
        print(f"json.loads floor: {args.lines / floor:,.0f} lines/s ({floor:.1f} s)")
        print(
            f"ondas analytics ingest: {report.lines / took:,.0f} lines/s "
            f"({took:.1f} s; {report.downloads:,} downloads, "
            f"{report.malformed} malformed, roll-up {downloads:,})"
        )
        ratio = (report.lines / took) / (args.lines / floor)
        verdict = "PASS" if ratio >= TARGET else "FAIL"
        print(f"ratio ingest / json.loads: {ratio:.3f} (target >= {TARGET}: {verdict})")
        return 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
