"""A minimal public RSS 2.0 feed of a show's free episodes.

The feeds issue replaces this with the complete publisher (iTunes and
Podcasting 2.0 tags, private feeds, caching); this one already gives podcast
apps exact enclosures.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Enclosure, Rss201rev2Feed
from django.utils.xmlutils import SimplerXMLGenerator

from ondas.catalog.models import Episode, Show
from ondas.core.timefmt import format_clock

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"


class PodcastFeed(Rss201rev2Feed):
    def rss_attributes(self) -> dict[str, str]:
        attrs: dict[str, str] = super().rss_attributes()
        attrs["xmlns:itunes"] = ITUNES_NS
        return attrs

    def add_root_elements(self, handler: SimplerXMLGenerator) -> None:
        super().add_root_elements(handler)
        handler.addQuickElement("itunes:author", self.feed["author_name"])
        handler.addQuickElement("itunes:explicit", self.feed["explicit"])
        handler.addQuickElement("itunes:type", self.feed["show_kind"])
        for category in self.feed["itunes_categories"]:
            handler.addQuickElement("itunes:category", "", {"text": category})

    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("itunes:duration", item["duration"])
        handler.addQuickElement("itunes:episodeType", item["episode_type"])


def render_show_feed(
    *, show: Show, episodes: Iterable[Episode], request: HttpRequest
) -> str:
    """Return the RSS document for ``show`` with the given (free) episodes."""
    show_url = request.build_absolute_uri(reverse("web:show-detail", args=[show.slug]))
    feed = PodcastFeed(
        title=show.title,
        link=show_url,
        description=show.description,
        language=show.language,
        author_name=show.author,
        feed_url=request.build_absolute_uri(),
        explicit="true" if show.explicit else "false",
        show_kind=show.kind,
        itunes_categories=[c.name for c in show.categories.all() if c.parent_id is None],
    )
    for episode in episodes:
        assert episode.audio is not None  # episode_list_for_feed filters these out
        audio_url = request.build_absolute_uri(
            reverse("playback:audio-ext", args=[episode.audio.pk, "mp3"])
        )
        feed.add_item(
            title=episode.title,
            link=request.build_absolute_uri(
                reverse("web:episode-detail", args=[show.slug, episode.slug])
            ),
            description=episode.description,
            unique_id=episode.guid,
            unique_id_is_permalink=False,
            pubdate=episode.published_at,
            enclosures=[
                Enclosure(audio_url, str(episode.audio.size), episode.audio.mime_type)
            ],
            duration=format_clock(episode.duration_seconds),
            episode_type=episode.kind,
        )
    return feed.writeString("utf-8")
