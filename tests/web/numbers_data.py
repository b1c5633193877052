"""A studio show with a year and more of roll-ups, for the numbers pages.

The roll-ups are written as the analytics worker leaves them (its own tests
cover how it makes them): per day, each episode's downloads and plays, and
the show's rows their sums, so per-episode and per-day totals agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from ondas.accounts.models import User
from ondas.analytics.models import (
    ChapterReach,
    DailyEpisodeDownloads,
    DailyEpisodePlays,
    DailyShowDownloads,
    DailyShowPlays,
    EpisodeListening,
)
from ondas.catalog.chapters import ChapterInput
from ondas.catalog.models import Episode, Show
from ondas.catalog.services import episode_create
from ondas.core import clock
from ondas.studio.models import Role
from ondas.studio.services.members import membership_grant
from ondas.studio.services.shows import ShowInput, show_create_in_studio
from tests.accounts.factories import user_make

CHAPTERS = ("Bienvenida", "El problema del apagado", "Cierre y preguntas")
HISTORY_DAYS = 400


@dataclass
class NumbersCast:
    owner: User
    editor: User
    analyst: User
    other_owner: User
    listener: User
    show: Show
    other_show: Show
    episodes: list[Episode]
    today: date


def _show(title: str, owner: User) -> Show:
    data = ShowInput(
        title=title,
        author="Ana Pérez",
        language="es",
        description="<p>Charlas sobre servidores.</p>",
    )
    return show_create_in_studio(data=data, acting_user=owner)


def episode_add(show: Show, n: int, *, chapters: bool = False) -> Episode:
    return episode_create(
        show=show,
        guid=f"numbers-{show.pk}-{n}",
        title=f"Episodio {n}",
        published_at=clock.now() - timedelta(days=HISTORY_DAYS - n),
        duration_seconds=1800,
        chapters=[
            ChapterInput(start_seconds=600 * i, title=title)
            for i, title in enumerate(CHAPTERS)
        ]
        if chapters
        else (),
    )


def rollups_write(show: Show, episodes: list[Episode], today: date) -> None:
    """Every day of HISTORY_DAYS: episode k has k + day % 5 downloads and
    day % 3 plays; the show's rows are their sums."""
    episode_downloads, episode_plays, show_downloads, show_plays = [], [], [], []
    for back in range(HISTORY_DAYS):
        day = today - timedelta(days=back)
        downloads = plays = 0
        for k, episode in enumerate(episodes, start=1):
            d, p = k + back % 5, back % 3
            downloads, plays = downloads + d, plays + p
            episode_downloads.append(
                DailyEpisodeDownloads(
                    episode=episode, day=day, downloads=d, listeners=d
                )
            )
            if p:
                episode_plays.append(
                    DailyEpisodePlays(episode=episode, day=day, plays=p)
                )
        show_downloads.append(
            DailyShowDownloads(
                show=show, day=day, downloads=downloads, listeners=downloads - 1
            )
        )
        show_plays.append(
            DailyShowPlays(show=show, day=day, plays=plays, listeners=plays)
        )
    DailyEpisodeDownloads.objects.bulk_create(episode_downloads)
    DailyEpisodePlays.objects.bulk_create(episode_plays)
    DailyShowDownloads.objects.bulk_create(show_downloads)
    DailyShowPlays.objects.bulk_create(show_plays)
    for k, episode in enumerate(episodes, start=1):
        EpisodeListening.objects.create(episode=episode, players=4 * k, completed=k)


def numbers_cast_make() -> NumbersCast:
    owner = user_make(email="owner@example.com", role=User.Role.CREATOR)
    editor = user_make(email="editor@example.com")
    analyst = user_make(email="analyst@example.com")
    other = user_make(email="other@example.com", role=User.Role.CREATOR)
    listener = user_make(email="listener@example.com")
    show = _show("Ondas en Vivo", owner)
    membership_grant(target=show, user=editor, role=Role.EDITOR)
    membership_grant(target=show, user=analyst, role=Role.ANALYST)
    other_show = _show("Otra Cosa", other)
    episodes = [episode_add(show, n, chapters=n == 1) for n in (1, 2, 3)]
    today = timezone.localdate(clock.now())
    rollups_write(show, episodes, today)
    for start, listeners in ((0, 10), (600, 6), (1200, 3)):
        ChapterReach.objects.create(
            episode=episodes[0], start_seconds=start, listeners=listeners
        )
    return NumbersCast(
        owner, editor, analyst, other, listener, show, other_show, episodes, today
    )
