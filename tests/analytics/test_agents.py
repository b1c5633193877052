"""Top apps: each download is counted for the app family of the request that
made it count, per show and day."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from ondas.analytics.agents import AppFamily, app_family
from ondas.analytics.ingest import log_ingest
from ondas.analytics.models import DailyShowApps
from ondas.analytics.numbers_selectors import show_downloads_by_app
from ondas.catalog.models import Episode, Show
from tests.analytics.conftest import PHONE, T0, episode_make, line

AGENTS = [
    (PHONE, AppFamily.APPLE_PODCASTS),
    ("Podcasts/1555.2.1 CFNetwork/1410.0.3 Darwin/22.6.0", AppFamily.APPLE_PODCASTS),
    ("Spotify/8.8.96 Android/33 (SM-G991B)", AppFamily.SPOTIFY),
    ("Overcast/3.0 (+http://overcast.fm/; iOS podcast app)", AppFamily.OVERCAST),
    (
        "Overcast/1.0 AppleCoreMedia/1.0.0.20E247 (iPhone; U; CPU OS 16_4)",
        AppFamily.OVERCAST,
    ),
    ("PocketCasts/1.0 (Pocket Casts - iOS - v7.43)", AppFamily.POCKET_CASTS),
    ("Pocket Casts", AppFamily.POCKET_CASTS),
    ("Castro 2022.12", AppFamily.CASTRO),
    ("AntennaPod/3.2.0", AppFamily.ANTENNAPOD),
    (
        "PodcastAddict/v5 (+https://podcastaddict.com/; Android podcast app)",
        AppFamily.PODCAST_ADDICT,
    ),
    ("gPodder/3.11.1 (+http://gpodder.org/) Linux", AppFamily.GPODDER),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Safari/537.36",
        AppFamily.BROWSER,
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        AppFamily.BROWSER,
    ),
    ("Lavf/58.76.100", AppFamily.OTHER),
    ("", AppFamily.OTHER),
]


@pytest.mark.parametrize(("agent", "family"), AGENTS)
def test_app_family_of_known_agents(agent: str, family: AppFamily) -> None:
    assert app_family(agent) is family


def test_each_download_counts_for_the_app_that_fetched_it(
    show: Show, episode: Episode
) -> None:
    other = episode_make(show, "dos")
    overcast = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"
    log = (
        line(episode, addr="198.51.100.1")
        + line(other, addr="198.51.100.1")
        + line(episode, addr="198.51.100.2", ua=overcast)
        # A probe and a repeat within 24 h count for nothing, nor for an app.
        + line(
            episode,
            addr="198.51.100.3",
            ua=overcast,
            sent=2,
            status=206,
            range_header="bytes=0-1",
        )
        + line(episode, addr="198.51.100.2", ua=overcast, at=T0 + timedelta(hours=2))
    )

    report = log_ingest(stream=io.BytesIO(log), name="log")

    assert report.downloads == 3
    rows = set(DailyShowApps.objects.values_list("show_id", "day", "app", "downloads"))
    assert rows == {
        (show.pk, T0.date(), "apple", 2),
        (show.pk, T0.date(), "overcast", 1),
    }


def test_apps_add_up_across_batches_and_days(show: Show, episode: Episode) -> None:
    first = line(episode, addr="198.51.100.1") + line(episode, addr="198.51.100.2")
    log_ingest(stream=io.BytesIO(first), name="one")
    later = line(episode, addr="198.51.100.3") + line(
        episode, addr="198.51.100.1", at=T0 + timedelta(days=2)
    )
    log_ingest(stream=io.BytesIO(later), name="two")

    day = T0.date()
    assert show_downloads_by_app(show=show, since=day, until=day)[0].downloads == 3
    apps = show_downloads_by_app(show=show, since=day, until=day + timedelta(days=2))
    assert [(a.app, a.downloads, a.label) for a in apps] == [
        ("apple", 4, "Apple Podcasts")
    ]
