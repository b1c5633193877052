"""The month close: 10,000 subscribers and 200 shows, against 30 s.

    python bench/payouts_close.py [--subscribers 10000] [--shows 200]
                                  [--streams 25] [--keep]

In a fresh SQLite data directory (migrated here): ``--shows`` shows of three
episodes and two audiobooks; ``--subscribers`` people on one monthly plan,
each charged once in November 2026 (one in 50 partly refunded, one in 10
starting after a 7-day trial, one in 20 cancelled mid-month), and about
``--streams`` listening days each in November (plays of episodes of a dozen
shows, some books, some listening under 60 s). The rows are written in bulk
as billing and the listening roll-up would leave them.

Times ``payout_period_close`` of November (computation, statements, payables
and audit in one transaction) and prints it with its ratio to the 30 s
target (issue 14), beside the bare read of the month's ``ListeningDay`` rows
through ``listening_for_period`` (the floor the close cannot go under).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 30.0
NOV = datetime(2026, 11, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def populate(*, subscribers: int, shows: int, streams: int) -> None:
    from ondas.accounts.models import User
    from ondas.analytics.models import ListeningDay
    from ondas.billing.models import LedgerEntry, Subscription
    from ondas.billing.services import plan_create
    from ondas.catalog.models import AudioFile, Episode, Show

    rng = random.Random(14)
    plan = plan_create(
        slug="premium",
        name="Premium",
        price_minor=9900,
        currency="MXN",
        audiobook_hours=20,
        includes_exclusive=True,
    )
    Show.objects.bulk_create(
        Show(title=f"Show {n}", slug=f"show-{n}", author="Ana", language="es")
        for n in range(shows)
    )
    show_ids = list(Show.objects.values_list("pk", flat=True))
    audio = AudioFile.objects.create(
        file="audio/bench.mp3", size=1, mime_type="audio/mpeg", duration_seconds=3600
    )
    Episode.objects.bulk_create(
        Episode(
            show_id=show_id,
            guid=f"{show_id}-{n}",
            title=f"E{n}",
            slug=f"e-{n}",
            published_at=NOV - 40 * DAY,
            audio=audio,
        )
        for show_id in show_ids
        for n in range(3)
    )
    episodes: dict[int, list[int]] = {}
    for pk, show_id in Episode.objects.values_list("pk", "show_id"):
        episodes.setdefault(show_id, []).append(pk)
    User.objects.bulk_create(
        User(username=f"s{n}@example.com", email=f"s{n}@example.com")
        for n in range(subscribers)
    )
    users = list(User.objects.order_by("pk").values_list("pk", flat=True))
    subs: list[Subscription] = []
    starts: dict[int, datetime] = {}
    for n, user in enumerate(users):
        start = NOV + (7 * DAY if n % 10 == 0 else rng.randrange(5) * DAY)
        starts[user] = start
        subs.append(
            Subscription(
                user_id=user,
                plan=plan,
                status="expired" if n % 20 == 1 else "active",
                current_period_start=start,
                current_period_end=start + 30 * DAY,
                ended_at=start + 12 * DAY if n % 20 == 1 else None,
                provider="offline",
            )
        )
    Subscription.objects.bulk_create(subs, batch_size=2000)
    sub_of = dict(Subscription.objects.values_list("user_id", "pk"))
    LedgerEntry.objects.bulk_create(
        (
            LedgerEntry(
                kind="charge",
                amount_minor=9900,
                currency="MXN",
                idempotency_key=f"charge:sub{sub_of[user]}",
                user_id=user,
                subscription_id=sub_of[user],
                period_start=starts[user],
                period_end=starts[user] + 30 * DAY,
                provider="offline",
                description="Premium",
                created_at=starts[user],
            )
            for user in users
        ),
        batch_size=2000,
    )
    charges = dict(
        LedgerEntry.objects.filter(kind="charge").values_list("user_id", "pk")
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            kind="refund",
            amount_minor=4950,
            currency="MXN",
            idempotency_key=f"refund:bench-{user}",
            user_id=user,
            subscription_id=sub_of[user],
            refund_of_id=charges[user],
            provider="offline",
            description="Premium",
            created_at=starts[user] + 2 * DAY,
        )
        for n, user in enumerate(users)
        if n % 50 == 7
    )
    books = [
        AudioFile.objects.create(
            file=f"audio/book-{n}.mp3", size=1, mime_type="audio/mpeg"
        )
        for n in range(2)
    ]
    from ondas.catalog.models import Audiobook

    book_ids = [
        Audiobook.objects.create(
            title=f"Libro {n}",
            slug=f"libro-{n}",
            authors="Ana",
            language="es",
            published_at=NOV - 40 * DAY,
        ).pk
        for n, _audio in enumerate(books)
    ]
    rows: list[ListeningDay] = []
    written = 0
    for user in users:
        favourites = rng.sample(show_ids, 12)
        seen: set[tuple[int, int, date]] = set()
        for _ in range(streams):
            day = date(2026, 11, rng.randrange(1, 31))
            seconds = rng.choice([30.0, 300.0, 900.0, 1800.0, 3600.0])
            if rng.random() < 0.05:
                key = (1, rng.choice(book_ids), day)
            else:
                key = (0, rng.choice(episodes[rng.choice(favourites)]), day)
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                ListeningDay(
                    user_id=user,
                    episode_id=key[1] if key[0] == 0 else None,
                    audiobook_id=key[1] if key[0] == 1 else None,
                    day=day,
                    audio_seconds=seconds,
                    wall_seconds=seconds,
                    played=seconds > 60,
                )
            )
        if len(rows) >= 20_000:
            ListeningDay.objects.bulk_create(rows, batch_size=5000)
            written += len(rows)
            rows = []
    ListeningDay.objects.bulk_create(rows, batch_size=5000)
    written += len(rows)
    print(
        f"data: {subscribers:,} subscribers, {shows} shows, {written:,} listening days"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--shows", type=int, default=200)
    parser.add_argument("--streams", type=int, default=25)
    parser.add_argument("--keep", action="store_true", help="keep the directory")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ondas-payouts-bench-"))
    try:
        os.environ["ONDAS_DATA_DIR"] = str(work / "data")
        os.environ.setdefault("ONDAS_SECRET_KEY", "bench-not-secret")
        os.environ["DJANGO_SETTINGS_MODULE"] = "ondas.settings"
        sys.path.insert(0, str(ROOT / "src"))
        import django

        django.setup()

        from django.core.management import call_command

        from ondas.analytics.payouts.services import payout_period_close
        from ondas.analytics.selectors import listening_for_period
        from ondas.billing.models import PayableEntry

        call_command("migrate", verbosity=0)
        made = time.perf_counter()
        populate(subscribers=args.subscribers, shows=args.shows, streams=args.streams)
        print(f"(made in {time.perf_counter() - made:.1f} s)")

        started = time.perf_counter()
        count = sum(
            1 for _row in listening_for_period(start=NOV.date(), end=date(2026, 12, 1))
        )
        floor = time.perf_counter() - started
        print(f"read floor: {count:,} listening days in {floor:.2f} s")

        started = time.perf_counter()
        period = payout_period_close(month=NOV.date(), now=NOV + 31 * DAY)
        took = time.perf_counter() - started
        pool = period.pool["MXN"]
        statements = period.statements.count()
        paid = sum(p.amount_minor for p in PayableEntry.objects.all())
        print(
            f"close: {took:.2f} s; {statements} statements, distributed "
            f"{pool['distributed']:,} of a share of {pool['share']:,} "
            f"(payables sum {paid:,})"
        )
        verdict = "PASS" if took < TARGET_SECONDS else "FAIL"
        print(
            f"ratio close / target: {took / TARGET_SECONDS:.3f} "
            f"(target < {TARGET_SECONDS:.0f} s: {verdict}); "
            f"close / read floor: {took / floor:.1f}"
        )
        started = time.perf_counter()
        payout_period_close(month=NOV.date(), now=NOV + 32 * DAY)
        print(f"closing again: {time.perf_counter() - started:.3f} s (no change)")
        return 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
