"""A catalog of any size, written in bulk, and the hot pages to ask of it.

``scale_make(episodes=…)`` builds one big show through the services (so its
studio owner, plan and private feed are real) and then its episodes,
chapters, listening positions and download counts with ``bulk_create``, as a
feed import of a long-running show would leave them, then indexes it for
search. ``hot_pages`` lists the requests the EXPLAIN and query-count tests
make: what listeners, feed readers, players and creators ask most.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from ondas.accounts.models import User
from ondas.analytics.models import (
    DailyEpisodeDownloads,
    DailyEpisodePlays,
    DailyShowDownloads,
    EpisodeListening,
)
from ondas.catalog.models import AudioFile, Chapter, Episode, Show
from ondas.catalog.services import audio_file_create, show_create
from ondas.core import clock
from ondas.library.services import follow_show
from ondas.playback.models import ListeningProgress
from ondas.search.models import SearchDocument
from ondas.search.services import search_index_show
from ondas.studio.services.shows import ShowInput, show_create_in_studio
from tests.accounts.factories import user_make
from tests.support.feeds import tiny_mp3
from tests.support.private_feeds import exclusive_plan_make, key_make, subscribe

CHAPTERS_PER_EPISODE = 3
DAYS_OF_COUNTS = 3
# Every tenth episode is exclusive to subscribers.
EXCLUSIVE_EVERY = 10
# Other shows on the home page and in search results.
OTHER_SHOWS = 3
# One of these words names each episode: a search for one finds one episode
# in twenty of the big show, as a search for a subject would (a word in every
# document is read best from end to end, index or not). The pages search for
# words among the first ten, which even a show of ten episodes has.
TOPICS = [
    "ancla", "bruma", "cobre", "duna", "estuario", "faro", "granito", "hielo",
    "isla", "jade", "kayak", "lago", "marea", "niebla", "oasis", "pradera",
    "quebrada", "roca", "sendero", "trueno",
]  # fmt: skip


@dataclass
class Scale:
    show: Show
    owner: User
    subscriber: User
    token: str  # the subscriber's private feed of the show
    newest: Episode
    oldest: Episode
    episodes: int


def _episodes(
    show: Show, audio: AudioFile, count: int, *, title: str = "Servidores y colas"
) -> list[Episode]:
    base = datetime(2020, 1, 1, 8, 0, tzinfo=UTC)
    return Episode.objects.bulk_create(
        Episode(
            show=show,
            guid=f"scale-{n}",
            title=f"{title}, parte {n}: {TOPICS[n % len(TOPICS)]}",
            slug=f"parte-{n}",
            description=f"<p>Parte {n}: colas, índices y conexiones.</p>",
            published_at=base + timedelta(hours=6 * n),
            duration_seconds=1800.0,
            number=n + 1,
            audio=audio,
            access=(
                Episode.Access.EXCLUSIVE
                if n % EXCLUSIVE_EVERY == EXCLUSIVE_EVERY - 1
                else Episode.Access.FREE
            ),
        )
        for n in range(count)
    )


def _listening(episodes: list[Episode], show: Show, listeners: list[User]) -> None:
    Chapter.objects.bulk_create(
        Chapter(episode=e, start_seconds=600.0 * c, title=f"Tramo {c}")
        for e in episodes
        for c in range(CHAPTERS_PER_EPISODE)
    )
    played = datetime(2026, 1, 1, tzinfo=UTC)
    ListeningProgress.objects.bulk_create(
        ListeningProgress(
            user=who,
            kind=ListeningProgress.Kind.EPISODE,
            item_id=e.pk,
            position_seconds=300.0,
            played_at=played,
        )
        for who in listeners
        for e in episodes
    )
    days = [date(2026, 1, 1) + timedelta(days=d) for d in range(DAYS_OF_COUNTS)]
    DailyEpisodeDownloads.objects.bulk_create(
        DailyEpisodeDownloads(episode=e, day=d, downloads=3, listeners=2)
        for e in episodes
        for d in days
    )
    DailyEpisodePlays.objects.bulk_create(
        DailyEpisodePlays(episode=e, day=d, plays=2) for e in episodes for d in days
    )
    DailyShowDownloads.objects.bulk_create(
        DailyShowDownloads(show=show, day=d, downloads=3 * len(episodes)) for d in days
    )
    EpisodeListening.objects.bulk_create(
        EpisodeListening(episode=e, players=2, completed=1) for e in episodes
    )


def _filler(shows: list[Show], audio: AudioFile, count: int, who: User) -> None:
    """``count`` episodes more, shared by ``shows``, with what the big show's
    have and their search documents written directly (as the index would).

    A big show alone in its tables is read best from end to end: with the
    others around it, a plan that reads a whole table is the slow plan it
    would be on a real service with many shows."""
    each = count // len(shows)
    for show in shows:
        made = _episodes(show, audio, each, title=f"Relleno {show.pk}")
        _listening(made, show, [who])
        SearchDocument.objects.bulk_create(
            SearchDocument(
                kind=SearchDocument.Kind.EPISODE,
                show=show,
                episode=e,
                title=e.title,
                body="Charla sobre huertos, recetas y viajes.",
                folded=f"{e.title} charla sobre huertos, recetas y viajes".lower(),
                config="spanish",
            )
            for e in made
        )


def scale_make(*, episodes: int, filler: int = 0) -> Scale:
    """A show of ``episodes`` episodes, each with chapters, counts and the
    positions of two listeners, among a few small shows that share ``filler``
    episodes more."""
    owner = user_make(email="owner@example.com", role=User.Role.CREATOR)
    subscriber = user_make(email="subscriber@example.com")
    other = user_make(email="other@example.com")
    show = show_create_in_studio(
        data=ShowInput(
            title="Servidores",
            author="Ana Pérez",
            language="es-MX",
            description="<p>Charlas largas sobre servidores.</p>",
        ),
        acting_user=owner,
    )
    others = [
        show_create(
            title=f"Otra {n}", author="Luis", language="es", categories=["News"]
        )
        for n in range(OTHER_SHOWS)
    ]
    audio = audio_file_create(
        name="parte.mp3",
        content=io.BytesIO(tiny_mp3()),
        mime_type="audio/mpeg",
        duration_seconds=1800.0,
        bitrate=32000,
    )
    made = _episodes(show, audio, episodes)
    _listening(made, show, [subscriber, other])
    if filler:
        _filler(others, audio, filler, other)
    subscribe(subscriber, exclusive_plan_make())
    follow_show(user=subscriber, show=show)
    _key, token = key_make(subscriber, show)
    search_index_show(show_id=show.pk)
    return Scale(
        show=show,
        owner=owner,
        subscriber=subscriber,
        token=token,
        newest=made[-1],
        oldest=made[0],
        episodes=episodes,
    )


@dataclass(frozen=True)
class Page:
    """One request of a hot page; ``who`` signs the client in first."""

    name: str
    method: str
    url: Callable[[Scale], str]
    who: str = ""  # "", "subscriber" or "owner"
    body: Callable[[Scale], dict[str, object]] | None = None

    def client(self, scale: Scale) -> Client:
        """A client as the page's visitor, signed in already, with nothing
        cached: the request then comes cold."""
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
        if self.who:
            client.force_login(getattr(scale, self.who))
        cache.clear()
        return client

    def send(self, client: Client, scale: Scale) -> int:
        """Make the request; return the status."""
        url = self.url(scale)
        if self.method == "GET":
            return client.get(url).status_code
        payload = json.dumps(self.body(scale) if self.body else {})
        send = client.put if self.method == "PUT" else client.post
        return send(url, payload, content_type="application/json").status_code


def _show(s: Scale) -> str:
    return reverse("web:show-detail", args=[s.show.slug])


HOT_PAGES = [
    Page("home", "GET", lambda s: reverse("web:home")),
    Page("home signed in", "GET", lambda s: reverse("web:home"), who="subscriber"),
    Page("show page", "GET", _show),
    Page("show page, a later page", "GET", lambda s: _show(s) + "?page=3"),
    Page("show page signed in", "GET", _show, who="subscriber"),
    Page(
        "episode page",
        "GET",
        lambda s: reverse("web:episode-detail", args=[s.show.slug, s.oldest.slug]),
        who="subscriber",
    ),
    Page("browse", "GET", lambda s: reverse("web:browse")),
    Page(
        "public feed",
        "GET",
        lambda s: reverse("feeds:show-feed", args=[s.show.slug]),
    ),
    Page(
        "private feed",
        "GET",
        lambda s: reverse("feeds:private-feed", args=[s.token, s.show.slug]),
    ),
    Page(
        "chapters file",
        "GET",
        lambda s: reverse("feeds:episode-chapters", args=[s.show.slug, s.oldest.slug]),
    ),
    Page("library", "GET", lambda s: reverse("web:library"), who="subscriber"),
    Page(
        "progress read",
        "GET",
        lambda s: reverse("playback:progress", args=["episode", s.oldest.pk]),
        who="subscriber",
    ),
    Page(
        "progress write",
        "PUT",
        lambda s: reverse("playback:progress", args=["episode", s.oldest.pk]),
        who="subscriber",
        body=lambda s: {
            "position_seconds": 600,
            "played_at": clock.now().isoformat(),
        },
    ),
    Page(
        "episode report",
        "POST",
        lambda s: reverse("playback:episode-report", args=[s.oldest.pk]),
        who="subscriber",
        body=lambda s: {
            "stream": str(uuid.uuid4()),
            "seq": 1,
            "intervals": [{"start": 0, "end": 30, "rate": 1}],
        },
    ),
    Page("studio dashboard", "GET", lambda s: reverse("studio:dashboard"), who="owner"),
    Page(
        "studio episode list",
        "GET",
        lambda s: reverse("studio:episode-list", args=[s.show.pk]),
        who="owner",
    ),
    Page("search results", "GET", lambda s: reverse("web:search") + "?q=estuario"),
    Page(
        "search results signed in",
        "GET",
        lambda s: reverse("web:search") + "?q=faro",
        who="subscriber",
    ),
    Page("search suggest", "GET", lambda s: reverse("web:search-suggest") + "?q=estu"),
]
