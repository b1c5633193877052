"""Ondas's RSS feeds of a show: the public one, and the builder private ones share.

RSS 2.0 with Apple's required and recommended ``itunes:`` tags and the
Podcasting 2.0 ``podcast:`` tags; chapters both inline (Podlove Simple
Chapters) and as a ``podcast:chapters`` JSON file. Only free, published
episodes appear in the public feed (a subscriber's private feed,
``services.private``, adds the exclusive ones). Enclosures are exact for
audio Ondas stores (its size and type); an imported episode carries its
publisher's enclosure as declared (its type read from the file name or bytes
when the publisher's feed had none). Every transcript of an episode goes out,
each with its language and format.

A feed is written item by item to a file (``feeds.files``), once per
content version of its show: a change anywhere makes a new version, and so
a new file, so a stale copy is never served.
"""

from __future__ import annotations

import io
import mimetypes
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO
from xml.sax.xmlreader import AttributesImpl

from django.db.models import QuerySet
from django.templatetags.static import static
from django.urls import reverse
from django.utils.feedgenerator import rfc2822_date
from django.utils.xmlutils import SimplerXMLGenerator

from ondas.catalog.chapters import format_npt
from ondas.catalog.errors import ShowNotFound
from ondas.catalog.media_types import UNKNOWN_TYPE, media_extension
from ondas.catalog.models import (
    AudioFile,
    Category,
    Episode,
    FeedPerson,
    FeedProfile,
    Show,
    Transcript,
)
from ondas.feeds.files import FeedFile, feed_file_get
from ondas.feeds.notice_audio import NoticeAudio
from ondas.feeds.selectors import FeedValidators, show_feed_episodes
from ondas.ingest.models import FeedSource, RemoteEpisode

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
PSC_NS = "http://podlove.org/simple-chapters"
ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
CHAPTERS_TYPE = "application/json+chapters"
# Episodes read from the database at a time while a feed is written.
CHUNK_EPISODES = 200


def audio_extension(mime_type: str, file_name: str = "") -> str:
    """The file extension podcast apps expect for ``mime_type``."""
    if known := media_extension(mime_type):
        return known
    suffix = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if suffix.isalnum() and len(suffix) <= 5:
        return suffix
    guessed = mimetypes.guess_extension(mime_type) or ".mp3"
    return guessed.lstrip(".")[:5]


@dataclass(frozen=True)
class FeedLinks:
    """Where a feed points: its own address, its enclosures, its chapter files.

    Paths on this site; the renderer puts the site's address in front.
    """

    feed: str
    audio: Callable[[AudioFile, str], str]  # (audio, file extension) → path
    chapters: Callable[[Episode], str]
    # A transcript Ondas stores (a publisher's keeps its own address).
    transcript: Callable[[Transcript], str]


def public_feed_links(show: Show) -> FeedLinks:
    """The public feed's addresses: anyone may fetch them."""
    return FeedLinks(
        feed=reverse("feeds:show-feed", args=[show.slug]),
        audio=lambda audio, ext: reverse("playback:audio-ext", args=[audio.pk, ext]),
        chapters=lambda episode: reverse(
            "feeds:episode-chapters", args=[show.slug, episode.slug]
        ),
        transcript=lambda transcript: reverse(
            "playback:transcript", args=[transcript.pk]
        ),
    )


@dataclass(frozen=True)
class FeedNotice:
    """An item that is no episode: a word to the listener in place of episodes.

    Its enclosure (a static file, ``feeds.notice_audio``) is what podcast apps
    download for it: without one, some never finish the download.
    """

    guid: str
    title: str
    description: str
    link: str
    published_at: datetime
    audio: NoticeAudio | None = None


def _remote(episode: Episode) -> RemoteEpisode | None:
    # A missing reverse one-to-one raises an AttributeError subclass.
    remote: RemoteEpisode | None = getattr(episode, "remote", None)
    return remote


def _person(handler: SimplerXMLGenerator, person: FeedPerson) -> None:
    attrs = {"role": person.role, "group": person.group}
    if person.href:
        attrs["href"] = person.href
    if person.img:
        attrs["img"] = person.img
    handler.addQuickElement("podcast:person", person.name, attrs)


def _category(handler: SimplerXMLGenerator, category: Category) -> None:
    if category.parent is None:
        handler.addQuickElement("itunes:category", None, {"text": category.name})
        return
    handler.startElement(
        "itunes:category", AttributesImpl({"text": category.parent.name})
    )
    handler.addQuickElement("itunes:category", None, {"text": category.name})
    handler.endElement("itunes:category")


class _Renderer:
    def __init__(
        self, *, show: Show, base_url: str, links: FeedLinks, private: bool
    ) -> None:
        self.show = show
        self.base_url = base_url.rstrip("/")
        self.links = links
        self.private = private

    def url(self, path: str) -> str:
        return self.base_url + path

    def static_url(self, path: str) -> str:
        """A static file's address: STATIC_URL may already be absolute (a CDN)."""
        found = static(path)
        return found if "://" in found else self.url(found)

    def artwork_url(self, source: FeedSource | None) -> str:
        if self.show.artwork:
            return self.url(self.show.artwork.url)
        return source.remote_image_url if source is not None else ""

    def channel(
        self,
        handler: SimplerXMLGenerator,
        *,
        validators: FeedValidators,
        profile: FeedProfile | None,
        source: FeedSource | None,
        people: list[FeedPerson],
    ) -> None:
        show = self.show
        show_url = self.url(reverse("web:show-detail", args=[show.slug]))
        feed_url = self.url(self.links.feed)
        handler.addQuickElement("title", show.title)
        handler.addQuickElement("link", show_url)
        handler.addQuickElement("description", show.description or show.title)
        handler.addQuickElement("language", show.language)
        handler.addQuickElement(
            "atom:link",
            None,
            {"href": feed_url, "rel": "self", "type": "application/rss+xml"},
        )
        handler.addQuickElement("lastBuildDate", rfc2822_date(validators.last_modified))
        handler.addQuickElement("generator", "Ondas")
        if profile is not None and profile.copyright:
            handler.addQuickElement("copyright", profile.copyright)
        artwork = self.artwork_url(source)
        if artwork:
            handler.startElement("image", AttributesImpl({}))
            handler.addQuickElement("url", artwork)
            handler.addQuickElement("title", show.title)
            handler.addQuickElement("link", show_url)
            handler.endElement("image")
            handler.addQuickElement("itunes:image", None, {"href": artwork})
        handler.addQuickElement("itunes:author", show.author)
        if profile is not None and (profile.owner_name or profile.owner_email):
            handler.startElement("itunes:owner", AttributesImpl({}))
            handler.addQuickElement("itunes:name", profile.owner_name or show.author)
            if profile.owner_email:
                handler.addQuickElement("itunes:email", profile.owner_email)
            handler.endElement("itunes:owner")
        handler.addQuickElement("itunes:explicit", "true" if show.explicit else "false")
        handler.addQuickElement("itunes:type", show.kind)
        if self.private:  # one person's feed: no directory may list it
            handler.addQuickElement("itunes:block", "Yes")
            handler.addQuickElement("podcast:block", "yes")
        for category in show.categories.select_related("parent").order_by(
            "showcategory__position"
        ):
            _category(handler, category)
        handler.addQuickElement("podcast:guid", str(show.guid))
        locked = profile.locked if profile is not None else True
        # The lock's own owner; the show's owner only when the lock names none.
        owner = (profile.locked_owner or profile.owner_email) if profile else ""
        lock_attrs = {"owner": owner} if owner else {}
        handler.addQuickElement("podcast:locked", "yes" if locked else "no", lock_attrs)
        if profile is not None and profile.funding_url:
            handler.addQuickElement(
                "podcast:funding",
                profile.funding_text or profile.funding_url,
                {"url": profile.funding_url},
            )
        handler.addQuickElement("podcast:medium", "podcast")
        for person in people:
            _person(handler, person)

    def item(
        self,
        handler: SimplerXMLGenerator,
        episode: Episode,
        people: list[FeedPerson],
    ) -> None:
        show = self.show
        remote = _remote(episode)
        if episode.audio is not None:
            audio = episode.audio
            ext = audio_extension(audio.mime_type, str(audio.file.name))
            enclosure = {
                "url": self.url(self.links.audio(audio, ext)),
                "length": str(audio.size),
                "type": audio.mime_type,
            }
        else:
            assert remote is not None  # show_feed_episodes guarantees one of them
            enclosure = {
                "url": remote.enclosure_url,
                "length": str(remote.enclosure_length),
                # Unknown until the file's first bytes are read: said so,
                # never made up (ingest.enclosure).
                "type": remote.enclosure_type or UNKNOWN_TYPE,
            }
        handler.startElement("item", AttributesImpl({}))
        handler.addQuickElement("title", episode.title)
        handler.addQuickElement(
            "link",
            self.url(reverse("web:episode-detail", args=[show.slug, episode.slug])),
        )
        handler.addQuickElement("guid", episode.guid, {"isPermaLink": "false"})
        handler.addQuickElement("pubDate", rfc2822_date(episode.published_at))
        description = episode.description or episode.title
        handler.addQuickElement("description", description)
        if "<" in description:
            handler.addQuickElement("content:encoded", description)
        handler.addQuickElement("enclosure", None, enclosure)
        handler.addQuickElement("itunes:duration", str(round(episode.duration_seconds)))
        handler.addQuickElement("itunes:episodeType", episode.kind)
        handler.addQuickElement("itunes:explicit", "true" if show.explicit else "false")
        if episode.season is not None:
            handler.addQuickElement("itunes:season", str(episode.season))
            handler.addQuickElement("podcast:season", str(episode.season))
        if episode.number is not None:
            handler.addQuickElement("itunes:episode", str(episode.number))
            handler.addQuickElement("podcast:episode", str(episode.number))
        chapters = list(episode.chapters.all())
        if chapters:
            handler.addQuickElement(
                "podcast:chapters",
                None,
                {"url": self.url(self.links.chapters(episode)), "type": CHAPTERS_TYPE},
            )
            handler.startElement("psc:chapters", AttributesImpl({"version": "1.2"}))
            for chapter in chapters:
                attrs = {
                    "start": format_npt(chapter.start_seconds),
                    "title": chapter.title,
                }
                if chapter.url:
                    attrs["href"] = chapter.url
                if chapter.image:
                    attrs["image"] = chapter.image
                handler.addQuickElement("psc:chapter", None, attrs)
            handler.endElement("psc:chapters")
        for transcript in episode.transcripts.all():
            attrs = {
                "url": transcript.url or self.url(self.links.transcript(transcript)),
                "type": transcript.mime_type or "text/plain",
            }
            if transcript.language:
                attrs["language"] = transcript.language
            if transcript.rel:
                attrs["rel"] = transcript.rel
            handler.addQuickElement("podcast:transcript", None, attrs)
        for person in people:
            _person(handler, person)
        handler.endElement("item")

    def notice(self, handler: SimplerXMLGenerator, notice: FeedNotice) -> None:
        handler.startElement("item", AttributesImpl({}))
        handler.addQuickElement("title", notice.title)
        handler.addQuickElement("link", notice.link)
        handler.addQuickElement("guid", notice.guid, {"isPermaLink": "false"})
        handler.addQuickElement("pubDate", rfc2822_date(notice.published_at))
        handler.addQuickElement("description", notice.description)
        if notice.audio is not None:
            audio = notice.audio
            handler.addQuickElement(
                "enclosure",
                None,
                {
                    "url": self.static_url(audio.static_path),
                    "length": str(audio.length),
                    "type": audio.mime_type,
                },
            )
            handler.addQuickElement("itunes:duration", str(audio.seconds))
        handler.addQuickElement("itunes:episodeType", "bonus")
        handler.endElement("item")


def feed_write(
    out: BinaryIO,
    *,
    show: Show,
    base_url: str,
    validators: FeedValidators,
    episodes: Iterable[Episode],
    links: FeedLinks,
    private: bool = False,
    notice: FeedNotice | None = None,
) -> None:
    """Write a feed of ``show`` with these episodes (and the notice, if any) to
    ``out`` as UTF-8, item by item: a queryset is read in chunks, so no worker
    ever holds the whole feed or its episode list."""
    profile = FeedProfile.objects.filter(show=show).first()
    source = FeedSource.objects.filter(show=show).first()
    people: dict[int | None, list[FeedPerson]] = {}
    for person in FeedPerson.objects.filter(show=show):
        people.setdefault(person.episode_id, []).append(person)
    renderer = _Renderer(show=show, base_url=base_url, links=links, private=private)
    text = io.TextIOWrapper(out, encoding="utf-8", write_through=False)
    handler = SimplerXMLGenerator(text, "utf-8", short_empty_elements=True)
    handler.startDocument()
    handler.startElement(
        "rss",
        AttributesImpl(
            {
                "version": "2.0",
                "xmlns:itunes": ITUNES_NS,
                "xmlns:podcast": PODCAST_NS,
                "xmlns:psc": PSC_NS,
                "xmlns:atom": ATOM_NS,
                "xmlns:content": CONTENT_NS,
            },
        ),
    )
    handler.startElement("channel", AttributesImpl({}))
    renderer.channel(
        handler,
        validators=validators,
        profile=profile,
        source=source,
        people=people.get(None, []),
    )
    if notice is not None:
        renderer.notice(handler, notice)
    if isinstance(episodes, QuerySet):
        episodes = episodes.iterator(chunk_size=CHUNK_EPISODES)
    for episode in episodes:
        renderer.item(handler, episode, people.get(episode.pk, []))
    handler.endElement("channel")
    handler.endElement("rss")
    handler.endDocument()
    text.flush()
    text.detach()


def feed_render(
    *,
    show: Show,
    base_url: str,
    validators: FeedValidators,
    episodes: Iterable[Episode],
    links: FeedLinks,
    private: bool = False,
    notice: FeedNotice | None = None,
) -> bytes:
    """Render a feed of ``show`` into bytes (``feed_write`` into memory)."""
    out = io.BytesIO()
    feed_write(
        out,
        show=show,
        base_url=base_url,
        validators=validators,
        episodes=episodes,
        links=links,
        private=private,
        notice=notice,
    )
    return out.getvalue()


def show_feed_file(
    *,
    show_id: int,
    load_show: Callable[[], Show],
    base_url: str,
    validators: FeedValidators,
) -> FeedFile:
    """The file of the show's public feed at these validators (written once).

    The show's row is read (``load_show``) only when the file must be written:
    sending a file already there needs nothing but its validators, and
    building the model cost more than half of such a request. Raise
    ShowNotFound for a show an import is still writing: no file is ever made
    of half a show (its content version moves on with every batch).
    """

    def write(out: BinaryIO) -> None:
        show = load_show()
        if show.importing:
            raise ShowNotFound(slug=show.slug)
        feed_write(
            out,
            show=show,
            base_url=base_url,
            validators=validators,
            episodes=show_feed_episodes(show=show),
            links=public_feed_links(show),
        )

    return feed_file_get(
        show_id=show_id, name="public", digest=validators.key, write=write
    )
