"""The creator's numbers pages (issue 14, item 3), put together from the
analytics roll-ups: the rows of each table, its CSV and its chart.

Studio and analytics sit on one layer and may not import each other, so the
pages live in the web face, which may read both: the studio says who may see
a show (``membership_get_for_user``), analytics says what was counted.

Each table has its columns here once, and both the page and its CSV are
written from the same rows, so the sums of a CSV are the page's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from ondas.analytics.numbers_selectors import (
    AppDownloads,
    EpisodeNumbers,
    episode_downloads_daily,
    episode_downloads_total,
    episode_plays_daily,
    show_downloads_by_app,
    show_episode_count,
    show_episode_numbers,
)
from ondas.analytics.selectors import (
    ChapterDropoff,
    Completion,
    DayDownloads,
    DayPlays,
    episode_completion,
    episode_dropoff,
    show_downloads_daily,
    show_plays_daily,
)
from ondas.catalog.models import Episode, Show
from ondas.web.charts import Bar, bar_chart

RANGES = (30, 90, 365)
DEFAULT_RANGE = 30
EPISODES_PER_PAGE = 25  # as the studio's episode list

DAY_COLUMNS: tuple[Promise, ...] = (
    gettext_lazy("Day"),
    gettext_lazy("Downloads"),
    gettext_lazy("Unique listeners (downloads)"),
    gettext_lazy("Plays"),
    gettext_lazy("Unique listeners (plays)"),
)
EPISODE_COLUMNS: tuple[Promise, ...] = (
    gettext_lazy("Episode"),
    gettext_lazy("Published"),
    gettext_lazy("Downloads"),
    gettext_lazy("Plays"),
    gettext_lazy("Players"),
    gettext_lazy("Completed"),
    gettext_lazy("Completion (%)"),
)
APP_COLUMNS: tuple[Promise, ...] = (
    gettext_lazy("App"),
    gettext_lazy("Downloads"),
    gettext_lazy("Share of downloads (%)"),
)
CHAPTER_COLUMNS: tuple[Promise, ...] = (
    gettext_lazy("Chapter"),
    gettext_lazy("Title"),
    gettext_lazy("Starts at (s)"),
    gettext_lazy("Listeners who reached it"),
    gettext_lazy("Kept from the chapter before (%)"),
)


def _percent(share: float | None) -> int | None:
    return None if share is None else round(share * 100)


@dataclass(frozen=True)
class DayRow:
    day: date
    downloads: int
    download_listeners: int
    plays: int
    play_listeners: int

    def cells(self) -> list[object]:
        return [
            self.day.isoformat(),
            self.downloads,
            self.download_listeners,
            self.plays,
            self.play_listeners,
        ]


@dataclass(frozen=True)
class EpisodeRow:
    numbers: EpisodeNumbers

    @property
    def completion_percent(self) -> int | None:
        return _percent(self.numbers.completion.rate)

    def cells(self) -> list[object]:
        n = self.numbers
        percent = self.completion_percent
        return [
            n.title,
            n.published_on.isoformat(),
            n.downloads,
            n.plays,
            n.completion.players,
            n.completion.completed,
            "" if percent is None else percent,
        ]


@dataclass(frozen=True)
class ChapterRow:
    chapter: ChapterDropoff

    @property
    def kept_percent(self) -> int | None:
        return _percent(self.chapter.kept)

    def cells(self) -> list[object]:
        c = self.chapter
        kept = self.kept_percent
        return [
            c.index,
            c.title,
            round(c.start_seconds),
            c.listeners,
            "" if kept is None else kept,
        ]


@dataclass(frozen=True)
class AppRow:
    app: AppDownloads
    share: float

    @property
    def share_percent(self) -> int | None:
        return _percent(self.share)

    def cells(self) -> list[object]:
        return [self.app.label, self.app.downloads, self.share_percent]


def _app_rows(apps: list[AppDownloads]) -> list[AppRow]:
    total = sum(app.downloads for app in apps)
    return [AppRow(app, app.downloads / total) for app in apps]


def range_days(value: int | None) -> int:
    """One of ``RANGES``; anything else is the default."""
    return value if value in RANGES else DEFAULT_RANGE


def _window(today: date, days: int) -> tuple[date, date]:
    return today - timedelta(days=days - 1), today


def _day_rows(downloads: list[DayDownloads], plays: list[DayPlays]) -> list[DayRow]:
    return [
        DayRow(d.day, d.downloads, d.listeners, p.plays, p.listeners)
        for d, p in zip(downloads, plays, strict=True)
    ]


@lru_cache(maxsize=8192)
def _day_label(day: date, language: str | None) -> str:
    # The active language's short date; the cache keys on that language.
    return date_format(day, "SHORT_DATE_FORMAT")


@dataclass(frozen=True)
class DayCharts:
    downloads: SafeString
    plays: SafeString
    table: SafeString  # the rows of the table beside them, latest day first
    downloads_title: str
    plays_title: str


def _day_charts(rows: list[DayRow], days: int) -> DayCharts:
    """The two charts of a page's days and its table's rows.

    The rows are written here rather than by a template loop: a year of
    days is 365 rows, and the template engine took most of the page's time
    for them (bench/numbers_page.py).
    """
    language = get_language()
    labels = [_day_label(row.day, language) for row in rows]
    step = max(2.0, 720 / len(rows))
    downloads_title = _("Downloads per day, the last %(days)d days") % {"days": days}
    plays_title = _("Plays per day, the last %(days)d days") % {"days": days}
    downloads = bar_chart(
        title=downloads_title,
        bars=[
            Bar(label, row.downloads) for label, row in zip(labels, rows, strict=True)
        ],
        step=step,
    )
    plays = bar_chart(
        title=plays_title,
        bars=[Bar(label, row.plays) for label, row in zip(labels, rows, strict=True)],
        step=step,
    )
    table = "".join(
        f'<tr><th scope="row"><time datetime="{row.day.isoformat()}">'
        f"{escape(label)}</time></th><td>{row.downloads}</td>"
        f"<td>{row.download_listeners}</td><td>{row.plays}</td>"
        f"<td>{row.play_listeners}</td></tr>"
        for label, row in reversed(list(zip(labels, rows, strict=True)))
    )
    # Integers, an ISO date and an escaped label only.
    safe_table = mark_safe(table)  # noqa: S308
    return DayCharts(downloads, plays, safe_table, downloads_title, plays_title)


@dataclass(frozen=True)
class ShowNumbers:
    show: Show
    days: int
    since: date
    until: date
    day_rows: list[DayRow]
    charts: DayCharts
    episode_rows: list[EpisodeRow]
    page: int
    pages: int
    episode_count: int
    app_rows: list[AppRow]
    day_columns: tuple[Promise, ...] = DAY_COLUMNS
    episode_columns: tuple[Promise, ...] = EPISODE_COLUMNS
    app_columns: tuple[Promise, ...] = APP_COLUMNS

    @property
    def downloads(self) -> int:
        return sum(row.downloads for row in self.day_rows)

    @property
    def plays(self) -> int:
        return sum(row.plays for row in self.day_rows)

    @property
    def busiest_listeners(self) -> int:
        """The most unique listeners (downloads) of one day in the range."""
        return max((row.download_listeners for row in self.day_rows), default=0)

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None


def show_numbers(*, show: Show, days: int, page: int, today: date) -> ShowNumbers:
    """The show's numbers page: per day over ``days`` days up to ``today``, and
    one page of its episodes. A fixed number of queries (roll-ups only)."""
    since, until = _window(today, days)
    rows = _day_rows(
        show_downloads_daily(show=show, since=since, until=until),
        show_plays_daily(show=show, since=since, until=until),
    )
    count = show_episode_count(show=show)
    pages = max(1, -(-count // EPISODES_PER_PAGE))
    page = min(max(page, 1), pages)
    episodes = show_episode_numbers(
        show=show,
        since=since,
        until=until,
        offset=(page - 1) * EPISODES_PER_PAGE,
        limit=EPISODES_PER_PAGE,
    )
    return ShowNumbers(
        show=show,
        days=days,
        since=since,
        until=until,
        day_rows=rows,
        charts=_day_charts(rows, days),
        episode_rows=[EpisodeRow(e) for e in episodes],
        page=page,
        pages=pages,
        episode_count=count,
        app_rows=_app_rows(show_downloads_by_app(show=show, since=since, until=until)),
    )


@dataclass(frozen=True)
class EpisodeNumbersPage:
    episode: Episode
    days: int
    since: date
    until: date
    day_rows: list[DayRow]
    charts: DayCharts
    all_time_downloads: int
    completion: Completion
    chapter_rows: list[ChapterRow]
    dropoff_chart: SafeString | None
    day_columns: tuple[Promise, ...] = DAY_COLUMNS
    chapter_columns: tuple[Promise, ...] = CHAPTER_COLUMNS

    @property
    def downloads(self) -> int:
        return sum(row.downloads for row in self.day_rows)

    @property
    def plays(self) -> int:
        return sum(row.plays for row in self.day_rows)

    @property
    def completion_percent(self) -> int | None:
        return _percent(self.completion.rate)


def _dropoff_chart(chapters: list[ChapterDropoff]) -> SafeString | None:
    if not chapters:
        return None
    return bar_chart(
        title=_("Listeners who reached each chapter"),
        bars=[Bar(c.title, c.listeners) for c in chapters],
        step=max(40.0, 720 / len(chapters)) if len(chapters) < 18 else 40.0,
        labels_on_axis=True,
    )


def _episode_day_rows(episode: Episode, since: date, until: date) -> list[DayRow]:
    return _day_rows(
        episode_downloads_daily(episode=episode, since=since, until=until),
        episode_plays_daily(episode=episode, since=since, until=until),
    )


def episode_numbers(*, episode: Episode, days: int, today: date) -> EpisodeNumbersPage:
    """One episode's numbers: per day over ``days`` days up to ``today``, all
    its downloads, its completion and the drop-off per chapter."""
    since, until = _window(today, days)
    rows = _episode_day_rows(episode, since, until)
    chapters = episode_dropoff(episode=episode)
    return EpisodeNumbersPage(
        episode=episode,
        days=days,
        since=since,
        until=until,
        day_rows=rows,
        charts=_day_charts(rows, days),
        all_time_downloads=episode_downloads_total(episode=episode),
        completion=episode_completion(episode=episode),
        chapter_rows=[ChapterRow(c) for c in chapters],
        dropoff_chart=_dropoff_chart(chapters),
    )


def show_numbers_table(
    *, show: Show, table: str, days: int, today: date
) -> tuple[Sequence[Promise], list[list[object]]]:
    """A table of the show's numbers page, every row (all episodes)."""
    since, until = _window(today, days)
    if table == "days":
        rows = _day_rows(
            show_downloads_daily(show=show, since=since, until=until),
            show_plays_daily(show=show, since=since, until=until),
        )
        return DAY_COLUMNS, [row.cells() for row in rows]
    if table == "episodes":
        episodes = show_episode_numbers(show=show, since=since, until=until)
        return EPISODE_COLUMNS, [EpisodeRow(e).cells() for e in episodes]
    if table == "apps":
        apps = show_downloads_by_app(show=show, since=since, until=until)
        return APP_COLUMNS, [row.cells() for row in _app_rows(apps)]
    raise ValueError(f"unknown table: {table!r}")


def episode_numbers_table(
    *, episode: Episode, table: str, days: int, today: date
) -> tuple[Sequence[Promise], list[list[object]]]:
    """A table of the episode's numbers page, every row."""
    if table == "days":
        rows = _episode_day_rows(episode, *_window(today, days))
        return DAY_COLUMNS, [row.cells() for row in rows]
    if table == "chapters":
        chapters = episode_dropoff(episode=episode)
        return CHAPTER_COLUMNS, [ChapterRow(c).cells() for c in chapters]
    raise ValueError(f"unknown table: {table!r}")


def csv_text(columns: Sequence[Promise], rows: list[list[object]]) -> str:
    """The table as CSV: a header of the columns' names, then the rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(column) for column in columns])
    writer.writerows([[_cell(value) for value in row] for row in rows])
    return out.getvalue()


def _cell(value: object) -> object:
    # A title a spreadsheet would read as a formula is kept as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
