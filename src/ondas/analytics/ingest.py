"""Read delivery logs into downloads and the daily roll-ups.

Idempotent by line, resumable after a crash: a log is known by the SHA-256
of its first line (``LogCursor``), and each batch of complete lines is
applied in one transaction together with the cursor's new byte offset, so a
kill at any moment leaves either the whole batch or none of it. A last line
without its newline is left for the next run (it may still be being
written). A line that is not a delivery record is counted and reported,
never fatal.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import BinaryIO

from django.db import transaction

from ondas.analytics import iab
from ondas.analytics.agents import app_family
from ondas.analytics.lines import Delivery, MalformedLine, delivery_parse
from ondas.analytics.models import (
    DailyEpisodeDownloads,
    DailyShowDownloads,
    DaySalt,
    DownloadWindow,
    ListenerDay,
    LogCursor,
    WindowsVersion,
)
from ondas.analytics.rows import (
    WINDOW_COLUMNS,
    Window,
    apps_add,
    insert_many,
    rollup_add,
    windows_write,
)
from ondas.analytics.versions import numbers_version_bump
from ondas.catalog.models import Episode

logger = logging.getLogger(__name__)

BATCH_LINES = 20_000
_READ = 1 << 20
_DAY = timedelta(days=1)
MALFORMED_SHOWN = 10
DIGESTS_KEPT = 200_000
SOURCES_KEPT = 200_000
# Listeners' episodes whose windows a run keeps between batches, and the
# listener days it knows are written: past these, forgotten (and read again).
WINDOWS_KEPT = 300_000
LISTENER_DAYS_KEPT = 500_000
PREFETCH_CHUNK = 900


@dataclass
class IngestReport:
    """What one run read: lines, the malformed ones, what counted."""

    name: str
    lines: int = 0
    malformed: int = 0
    malformed_at: list[int] = field(default_factory=list)
    downloads: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    already: int = 0


@dataclass(frozen=True, slots=True)
class _Audio:
    episode_id: int
    show_id: int
    size: int
    threshold: int


class _Run:
    """State kept across the batches of one run: audio, salts, and the
    download windows it read or wrote, so that the next batch asks the
    database only about listeners it has not met yet."""

    def __init__(self) -> None:
        self.windows: dict[tuple[int, str], list[Window]] = {}
        # The windows' version (``WindowsVersion``) this run's last batch left.
        self.version: int | None = None
        self.listener_days: set[tuple[date, int, int | None, str]] = set()
        self.audio: dict[int, _Audio | None] = {}
        self.salts: dict[date, bytes] = {}
        self.digests: dict[tuple[str, date], tuple[str, str, str]] = {}
        self.sources: dict[tuple[str, str, str], str] = {}
        self.agents: dict[str, str | None] = {}
        self.families: dict[str, str] = {}
        self.rules = iab.agent_rules()

    def windows_check(self, version: int) -> None:
        """Forget the windows held when another writer wrote since this run's
        last batch (or when too many are held): they are read again."""
        if version != self.version or len(self.windows) > WINDOWS_KEPT:
            self.windows.clear()
        if len(self.listener_days) > LISTENER_DAYS_KEPT:
            self.listener_days.clear()

    def excluded(self, user_agent: str) -> str | None:
        """``iab.AgentRules.excluded``, remembered: a log has few agents."""
        try:
            return self.agents[user_agent]
        except KeyError:
            if len(self.agents) > SOURCES_KEPT:
                self.agents.clear()
            reason = self.agents[user_agent] = self.rules.excluded(user_agent)
            return reason

    def family(self, user_agent: str) -> str:
        """``agents.app_family`` of the agent, remembered."""
        found = self.families.get(user_agent)
        if found is None:
            if len(self.families) > SOURCES_KEPT:
                self.families.clear()
            found = self.families[user_agent] = app_family(user_agent).value
        return found

    def source(self, delivery: Delivery) -> str:
        """``iab.listener_source`` of the delivery, remembered per listener."""
        key = (delivery.addr, delivery.ua, delivery.listener)
        found = self.sources.get(key)
        if found is None:
            if len(self.sources) > SOURCES_KEPT:
                self.sources.clear()
            found = self.sources[key] = iab.listener_source(
                address=delivery.addr,
                user_agent=delivery.ua,
                listener_id=delivery.listener,
            )
        return found

    def audio_of(self, audio_id: int) -> _Audio | None:
        if audio_id not in self.audio:
            row = (
                Episode.objects.filter(audio_id=audio_id)
                .values_list("pk", "show_id", "audio__size", "audio__duration_seconds")
                .order_by("pk")
                .first()
            )
            if row is None:
                self.audio[audio_id] = None
            else:
                episode_id, show_id, size, duration = row
                self.audio[audio_id] = _Audio(
                    episode_id=episode_id,
                    show_id=show_id,
                    size=size,
                    threshold=iab.threshold_bytes(
                        size=size, duration_seconds=duration or 0.0
                    ),
                )
        return self.audio[audio_id]

    def salt(self, day: date) -> bytes:
        salt = self.salts.get(day)
        if salt is None:
            row, _created = DaySalt.objects.get_or_create(
                day=day, defaults={"salt": secrets.token_bytes(32)}
            )
            salt = self.salts[day] = bytes(row.salt)
        return salt


class _Batch:
    """One transaction's worth of lines: windows and roll-up deltas in memory."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.windows = run.windows
        self.new: list[Window] = []
        self.dirty: dict[int, Window] = {}
        self.episode_days: Counter[tuple[int, date]] = Counter()
        self.show_days: Counter[tuple[int, date]] = Counter()
        self.app_days: Counter[tuple[int, date, str]] = Counter()
        self.listener_days: set[tuple[date, int, int | None, str]] = set()
        self.downloads = 0

    def _digests(self, source: str, day: date) -> tuple[str, str, str]:
        """The listener's digests under the salts of the day before, the day
        and the day after: a window started on any of them may hold this."""
        key = (source, day)
        found = self.run.digests.get(key)
        if found is None:
            a, b, c = (
                iab.listener_digest(source, self.run.salt(d))
                for d in (day - _DAY, day, day + _DAY)
            )
            found = (a, b, c)
            if len(self.run.digests) > DIGESTS_KEPT:
                self.run.digests.clear()
            self.run.digests[key] = found
        return found

    def prefetch(self, wanted: list[tuple[int, str, datetime]]) -> None:
        """Load, in a few queries, the windows the batch's deliveries may join."""
        by_digest: dict[tuple[int, str], tuple[int, str]] = {}
        times: list[datetime] = []
        for episode_id, source, at in wanted:
            if (episode_id, source) in self.windows:
                continue  # read or written by this run already
            self.windows[(episode_id, source)] = []
            times.append(at)
            for digest in self._digests(source, at.date()):
                by_digest[(episode_id, digest)] = (episode_id, source)
        if not by_digest:
            return
        first = min(times) - iab.WINDOW
        last = max(times) + iab.WINDOW
        digests = sorted({digest for _e, digest in by_digest})
        for i in range(0, len(digests), PREFETCH_CHUNK):
            for row in DownloadWindow.objects.filter(
                listener__in=digests[i : i + PREFETCH_CHUNK],
                started_at__gt=first,
                started_at__lt=last,
            ).values_list("pk", *WINDOW_COLUMNS):
                window = Window(*row)
                owner = by_digest.get((window.episode_id, window.listener))
                if owner is not None:
                    self.windows[owner].append(window)

    def accept(
        self, delivery: Delivery, report: IngestReport
    ) -> tuple[Delivery, _Audio, str] | None:
        """The delivery, its episode's audio and its listener's source, if it
        may count; else None, with the reason counted in ``report``."""
        if not iab.delivers_audio(
            method=delivery.method, status=delivery.status, range_header=delivery.range
        ):
            report.skipped["not a delivery"] += 1
            return None
        if delivery.audio_id is None:
            report.skipped["no audio"] += 1
            return None
        if not delivery.listener:
            reason = self.run.excluded(delivery.ua)
            if reason is not None:
                report.skipped[reason] += 1
                return None
        audio = self.run.audio_of(delivery.audio_id)
        if audio is None:
            report.skipped["not an episode"] += 1
            return None
        return delivery, audio, self.run.source(delivery)

    def apply(self, delivery: Delivery, audio: _Audio, source: str) -> None:
        at = delivery.time
        windows = self.windows.setdefault((audio.episode_id, source), [])
        near = [w for w in windows if abs(w.started_at - at) < iab.WINDOW]
        if near:
            window = min(near, key=lambda w: abs(w.started_at - at))
        else:
            window = Window(
                pk=None,
                episode_id=audio.episode_id,
                listener=self._digests(source, at.date())[1],
                started_at=at,
                intervals=[],
                loose_bytes=0,
                counted_on=None,
            )
            windows.append(window)
            self.new.append(window)
        if window.counted_on is not None:
            # Counted: what else it is sent within its 24 hours changes no
            # count, so only an earlier start is written (a line out of order).
            if at < window.started_at:
                window.started_at = at
                if window.pk is not None:
                    self.dirty[window.pk] = window
            return
        coverage = iab.Coverage(intervals=window.intervals, loose=window.loose_bytes)
        start = iab.range_start(
            range_header=delivery.range, status=delivery.status, size=audio.size
        )
        coverage.add(start, delivery.bytes)
        window.intervals = coverage.intervals
        window.loose_bytes = coverage.loose
        window.started_at = min(window.started_at, at)
        if window.pk is not None:
            self.dirty[window.pk] = window
        if window.counted_on is None and coverage.covered() >= audio.threshold:
            day = at.date()
            window.counted_on = day
            self.downloads += 1
            self.episode_days[(audio.episode_id, day)] += 1
            self.show_days[(audio.show_id, day)] += 1
            self.app_days[(audio.show_id, day, self.run.family(delivery.ua))] += 1
            digest = self._digests(source, day)[1]
            self.listener_days.add((day, audio.show_id, audio.episode_id, digest))
            self.listener_days.add((day, audio.show_id, None, digest))

    def save(self) -> None:
        windows_write(changed=list(self.dirty.values()), new=self.new)
        new_episode: Counter[tuple[int, date]] = Counter()
        new_show: Counter[tuple[int, date]] = Counter()
        # Listener days this run wrote or found are never asked about again.
        unknown = self.listener_days - self.run.listener_days
        if unknown:
            existing = set(
                ListenerDay.objects.filter(
                    day__in={k[0] for k in unknown},
                    listener__in={k[3] for k in unknown},
                ).values_list("day", "show_id", "episode_id", "listener")
            )
            fresh = unknown - existing
            insert_many(
                ListenerDay,
                ("day", "show_id", "episode_id", "listener"),
                list(fresh),
            )
            self.run.listener_days |= unknown
            for d, s, e, _listener in fresh:
                if e is None:
                    new_show[(s, d)] += 1
                else:
                    new_episode[(e, d)] += 1
        rollup_add(DailyEpisodeDownloads, "episode_id", self.episode_days, new_episode)
        rollup_add(DailyShowDownloads, "show_id", self.show_days, new_show)
        apps_add(self.app_days)
        # The shows whose counts moved, in this batch's transaction.
        numbers_version_bump(show_ids={show for show, _day in self.show_days})


def _windows_version_take() -> int:
    """Lock the windows' version (the batches of every run, and the
    forgetting, take their turns on it), bump it, and return it as it was."""
    state = WindowsVersion.objects.select_for_update().filter(pk=1).first()
    if state is None:
        WindowsVersion.objects.get_or_create(pk=1)
        state = WindowsVersion.objects.select_for_update().get(pk=1)
    WindowsVersion.objects.filter(pk=1).update(version=state.version + 1)
    return state.version


def _read_first_line(stream: BinaryIO) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        chunk = stream.readline(_READ)
        if not chunk:
            return None
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            return b"".join(chunks)


def _skip(stream: BinaryIO, count: int) -> int:
    """Move ``count`` bytes further into the stream; return how many were there."""
    if count <= 0:
        return 0
    if stream.seekable():
        here = stream.tell()
        end = stream.seek(0, 2)
        return stream.seek(min(here + count, end)) - here
    skipped = 0
    while skipped < count:
        chunk = stream.read(min(_READ, count - skipped))
        if not chunk:
            break
        skipped += len(chunk)
    return skipped


@transaction.atomic(durable=True)
def _batch_commit(
    *,
    run: _Run,
    cursor_pk: int,
    lines: list[bytes],
    consumed: int,
    report: IngestReport,
) -> None:
    cursor = LogCursor.objects.select_for_update().get(pk=cursor_pk)
    version = _windows_version_take()
    run.windows_check(version)
    batch = _Batch(run)
    malformed = 0
    accepted: list[tuple[Delivery, _Audio, str]] = []
    for number, raw in enumerate(lines, start=cursor.lines + 1):
        try:
            delivery = delivery_parse(raw)
        except MalformedLine:
            malformed += 1
            if len(report.malformed_at) < MALFORMED_SHOWN:
                report.malformed_at.append(number)
            continue
        if (taken := batch.accept(delivery, report)) is not None:
            accepted.append(taken)
    batch.prefetch([(a.episode_id, source, d.time) for d, a, source in accepted])
    for delivery, audio, source in accepted:
        batch.apply(delivery, audio, source)
    batch.save()
    run.version = version + 1
    cursor.offset += consumed
    cursor.lines += len(lines)
    cursor.malformed += malformed
    cursor.save(update_fields=["offset", "lines", "malformed", "updated_at"])
    report.lines += len(lines)
    report.malformed += malformed
    report.downloads += batch.downloads


def log_ingest(
    *, stream: BinaryIO, name: str, batch_lines: int = BATCH_LINES
) -> IngestReport:
    """Ingest the delivery log ``stream`` from where its last run stopped."""
    report = IngestReport(name=name)
    first = _read_first_line(stream)
    if first is None:
        return report  # empty, or its first line not written whole yet
    digest = hashlib.sha256(first).hexdigest()
    cursor, _created = LogCursor.objects.get_or_create(
        first_line_sha256=digest, defaults={"name": name[:500]}
    )
    pending = b""
    if cursor.offset == 0:
        pending = first
    else:
        done = _skip(stream, cursor.offset - len(first)) + len(first)
        report.already = cursor.lines
        if done < cursor.offset:
            return report  # shorter than what was read: nothing new
    run = _Run()
    ready: list[bytes] = []
    while True:
        chunk = stream.read(_READ)
        if chunk:
            pending += chunk
        parts = pending.split(b"\n")
        pending = parts.pop()  # no newline yet: wait for the rest of it
        ready.extend(parts)
        # Whole batches while the log goes on, the rest once it ends: a
        # batch costs a few queries, so fewer and fuller ones go faster.
        while len(ready) >= batch_lines or (ready and not chunk):
            lines, ready = ready[:batch_lines], ready[batch_lines:]
            kept = [line for line in lines if line.strip()]
            consumed = sum(len(line) + 1 for line in lines)
            _batch_commit(
                run=run,
                cursor_pk=cursor.pk,
                lines=kept,
                consumed=consumed,
                report=report,
            )
        if not chunk:
            break
    if report.malformed:
        logger.warning(
            "Delivery log %s: %s malformed line(s), first at line(s) %s",
            name,
            report.malformed,
            report.malformed_at,
        )
    return report


@transaction.atomic(durable=True)
def analytics_forget(*, now: datetime) -> int:
    """Delete salts older than yesterday and windows that can match nothing.

    Once a day's salt is gone its digests point at no one. Returns how many
    salts went.
    """
    today = now.date()
    _windows_version_take()  # a run holding windows reads them again
    DownloadWindow.objects.filter(started_at__lt=now - 3 * iab.WINDOW).delete()
    deleted, _ = DaySalt.objects.filter(day__lt=today - _DAY).delete()
    return deleted
