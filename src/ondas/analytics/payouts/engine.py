"""A month of payouts, computed from the ledger and the listening roll-ups.

Only reads: ``services.payout_period_close`` writes what this returns. The
rules, step by step (analytics/README.md says the same for operators):

1. The period is a calendar month in ``settings.TIME_ZONE``.
2. A subscriber's net payment is what the billing ledger recorded in the
   month: charges minus refunds written in it (a refund of an earlier month
   counts in the month it was written). Below zero counts as zero. The
   ledger keeps no provider fee, so the pool is before fees.
3. Their money for creators is ``floor(net × ONDAS_PAYOUT_CREATOR_SHARE)``
   minor units: the cap no payee can take more from.
4. What pays is a premium stream: a ``ListeningDay`` that is a play (more
   than 60 s of audio) of an episode (paying its show) or of an audiobook
   (paying the book), by that subscriber, on a day a charge of theirs paid
   for (free trials and days after a cancellation do not count unless
   ``ONDAS_PAYOUT_TRIAL_LISTENING_PAYS``). One per item, listener and day.
5. Share mode (default): the subscriber's money is split among the payees
   by audio milliseconds of those streams (speed-aware: 30 min at 2x is
   60 min). Rate mode (``ONDAS_PAYOUT_STREAM_RATE_MINOR`` set): each stream
   owes the rate, each audiobook hour ``ONDAS_PAYOUT_BOOK_HOUR_RATE_MINOR``;
   a subscriber whose owed sum passes the cap pays the cap, split in
   proportion to what was owed.
6. Rounding: per subscriber, largest remainder (``split.largest_remainder``),
   so each subscriber's parts sum exactly to what they give, and a payee's
   amount is the sum of its parts. Statements sum to the distributed amount
   to the minor unit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ondas.analytics.payouts.split import largest_remainder, share_of
from ondas.analytics.selectors import listening_for_period
from ondas.billing.selectors import paid_spans_for_period, payments_for_period
from ondas.catalog.models import Episode

# A payee: ("book", audiobook id) or ("show", show id).
Payee = tuple[str, int]
MS_PER_HOUR = 3_600_000


@dataclass
class PayeeLine:
    """One payee's earnings in one currency."""

    payee: Payee
    currency: str
    amount_minor: int = 0
    streams: int = 0
    audio_ms: int = 0
    subscribers: int = 0

    @property
    def key(self) -> str:
        return f"{self.payee[0]}:{self.payee[1]}"


@dataclass
class CurrencyPool:
    """The month's money in one currency, as the close reports it."""

    charges_minor: int = 0
    refunds_minor: int = 0
    # Σ of positive net payments, and the creators' share of it (the cap).
    net_minor: int = 0
    share_minor: int = 0
    # What went to payees: the share of subscribers who streamed something
    # (all of it in share mode; in rate mode, what the streams owed, capped).
    distributed_minor: int = 0
    fee_known: bool = False

    def as_json(self) -> dict[str, int | bool]:
        return {
            "charges": self.charges_minor,
            "refunds": self.refunds_minor,
            "net": self.net_minor,
            "share": self.share_minor,
            "distributed": self.distributed_minor,
            "fee_known": self.fee_known,
        }


@dataclass
class PayoutComputation:
    month: date
    pools: dict[str, CurrencyPool]
    lines: list[PayeeLine]
    # Per (subscriber, currency): what each payee got from them. Kept in
    # memory for checks; never stored (statements hold counts, not people).
    contributions: dict[tuple[int, str], dict[Payee, int]] = field(repr=False)
    # Per (subscriber, currency): their cap (floor of net × share).
    caps: dict[tuple[int, str], int] = field(repr=False)


@dataclass(frozen=True)
class PayoutRules:
    share: Fraction
    trial_pays: bool
    stream_rate_minor: int | None
    book_hour_rate_minor: int | None

    @classmethod
    def from_settings(cls) -> PayoutRules:
        raw = str(getattr(settings, "ONDAS_PAYOUT_CREATOR_SHARE", "0.5"))
        try:
            share = Fraction(Decimal(raw))
        except (InvalidOperation, ValueError):
            raise ImproperlyConfigured(
                f"ONDAS_PAYOUT_CREATOR_SHARE must be a decimal, not {raw!r}"
            ) from None
        if not 0 <= share <= 1:
            raise ImproperlyConfigured("ONDAS_PAYOUT_CREATOR_SHARE must be 0 to 1")
        return cls(
            share=share,
            trial_pays=bool(getattr(settings, "ONDAS_PAYOUT_TRIAL_LISTENING_PAYS", 0)),
            stream_rate_minor=getattr(settings, "ONDAS_PAYOUT_STREAM_RATE_MINOR", None),
            book_hour_rate_minor=getattr(
                settings, "ONDAS_PAYOUT_BOOK_HOUR_RATE_MINOR", None
            ),
        )


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, aware, in TIME_ZONE."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime(month.year, month.month, 1, tzinfo=zone)
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return start, datetime(following.year, following.month, 1, tzinfo=zone)


def _paid_days(
    spans: list[tuple[datetime, datetime]], zone: ZoneInfo
) -> list[tuple[date, date]]:
    """Local days [first, last) each paid span covers (its first day included)."""
    return [
        (start.astimezone(zone).date(), end.astimezone(zone).date())
        for start, end in spans
    ]


@dataclass
class _Heard:
    """One subscriber's premium streams of one payee in the month."""

    streams: int = 0
    audio_ms: int = 0


def _heard_by_subscriber(
    *, month: date, end: date, paying: set[int], rules: PayoutRules
) -> dict[int, dict[Payee, _Heard]]:
    start_at, end_at = month_bounds(month)
    zone = ZoneInfo(settings.TIME_ZONE)
    paid = {
        user: _paid_days(spans, zone)
        for user, spans in paid_spans_for_period(start=start_at, end=end_at).items()
        if user in paying
    }
    heard: dict[int, dict[Payee, _Heard]] = defaultdict(dict)
    episodes: set[int] = set()
    rows = []
    for row in listening_for_period(start=month, end=end):
        if not row.played or row.user_id not in paying:
            continue
        if not rules.trial_pays and not any(
            first <= row.day < last for first, last in paid.get(row.user_id, ())
        ):
            continue
        rows.append(row)
        if row.episode_id is not None:
            episodes.add(row.episode_id)
    show_of = dict(Episode.objects.filter(pk__in=episodes).values_list("pk", "show_id"))
    for row in rows:
        payee: Payee = (
            ("show", show_of[row.episode_id])
            if row.episode_id is not None
            else ("book", row.audiobook_id or 0)
        )
        entry = heard[row.user_id].setdefault(payee, _Heard())
        entry.streams += 1
        entry.audio_ms += round(row.audio_seconds * 1000)
    return heard


def _weights(heard: dict[Payee, _Heard], rules: PayoutRules) -> dict[Payee, int]:
    """Share mode: audio ms; rate mode: what is owed, in 1/3,600,000 minor."""
    if rules.stream_rate_minor is None:
        return {payee: h.audio_ms for payee, h in heard.items() if h.audio_ms > 0}
    owed: dict[Payee, int] = {}
    for payee, h in heard.items():
        if payee[0] == "book" and rules.book_hour_rate_minor is not None:
            owed[payee] = rules.book_hour_rate_minor * h.audio_ms
        else:
            owed[payee] = rules.stream_rate_minor * h.streams * MS_PER_HOUR
    return {payee: w for payee, w in owed.items() if w > 0}


def payouts_compute(
    *, month: date, rules: PayoutRules | None = None
) -> PayoutComputation:
    """Compute the month's payouts (``month`` is its first day)."""
    rules = rules or PayoutRules.from_settings()
    month = month.replace(day=1)
    start_at, end_at = month_bounds(month)
    end = (month + timedelta(days=32)).replace(day=1)
    payments = payments_for_period(start=start_at, end=end_at)
    pools: dict[str, CurrencyPool] = defaultdict(CurrencyPool)
    caps: dict[tuple[int, str], int] = {}
    for pay in payments:
        pool = pools[pay.currency]
        pool.charges_minor += pay.charges_minor
        pool.refunds_minor += pay.refunds_minor
        if pay.net_minor > 0:
            pool.net_minor += pay.net_minor
            cap = share_of(pay.net_minor, rules.share)
            pool.share_minor += cap
            if cap > 0:
                caps[(pay.user_id, pay.currency)] = cap
    heard = _heard_by_subscriber(
        month=month, end=end, paying={user for user, _c in caps}, rules=rules
    )
    lines: dict[tuple[Payee, str], PayeeLine] = {}
    contributions: dict[tuple[int, str], dict[Payee, int]] = {}
    for (user, currency), cap in caps.items():
        mine = heard.get(user)
        if not mine:
            continue
        weights = _weights(mine, rules)
        if not weights:
            continue
        total = cap
        if rules.stream_rate_minor is not None:
            total = min(cap, sum(weights.values()) // MS_PER_HOUR)
        parts = largest_remainder(total, weights) if total > 0 else {}
        contributions[(user, currency)] = parts
        pools[currency].distributed_minor += total
        for payee, h in mine.items():
            line = lines.setdefault((payee, currency), PayeeLine(payee, currency))
            line.amount_minor += parts.get(payee, 0)
            line.streams += h.streams
            line.audio_ms += h.audio_ms
            line.subscribers += 1
    return PayoutComputation(
        month=month,
        pools=dict(pools),
        lines=[lines[key] for key in sorted(lines)],
        contributions=contributions,
        caps=caps,
    )
