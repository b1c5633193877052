"""podcastparser's SAX handler, taught a few more tags.

podcastparser 0.6 knows the Podcasting 2.0 namespace only at its old GitHub
URI and leaves out ``lastBuildDate``, channel people, funding, ``podcast:txt``, all transcripts
but one (and their types and languages) and fractional Podlove times; this
module extends its namespace table and mapping (its documented extension
points are its module-level tables).
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.xmlreader import AttributesImpl

import podcastparser  # type: ignore[import-untyped]

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
_NPT_RE = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)\s*$")


def parse_npt(value: str) -> float | None:
    """Read Podlove's normal play time (``HH:MM:SS.mmm``, ``MM:SS``, seconds)."""
    match = _NPT_RE.match(value)
    if match is not None:
        hours, minutes, seconds = match.groups()
        return (int(hours or 0) * 60 + int(minutes)) * 60 + float(seconds)
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number >= 0 else None


class _Namespace(podcastparser.Namespace):  # type: ignore[misc]
    NAMESPACES = {
        **podcastparser.Namespace.NAMESPACES,
        PODCAST_NS: "podcast",
        "http://podcastindex.org/namespace/1.0": "podcast",
        "https://podcastindex.org/namespace/1.0/": "podcast",
    }


class _ChannelText(podcastparser.Target):  # type: ignore[misc]
    WANT_TEXT = True

    def __init__(self, key: str, parse: Any = None) -> None:
        super().__init__(key)
        self.parse = parse

    def end(self, handler: RSSHandler, text: str) -> None:
        value = text.strip()
        handler.set_podcast_attr(self.key, self.parse(value) if self.parse else value)


class _Locked(podcastparser.Target):  # type: ignore[misc]
    WANT_TEXT = True

    def start(self, handler: RSSHandler, attrs: AttributesImpl) -> None:
        handler.set_podcast_attr("locked_owner", (attrs.get("owner") or "").strip())

    def end(self, handler: RSSHandler, text: str) -> None:
        handler.set_podcast_attr("locked", text.strip().lower() == "yes")


class _Funding(podcastparser.Target):  # type: ignore[misc]
    WANT_TEXT = True

    def start(self, handler: RSSHandler, attrs: AttributesImpl) -> None:
        handler.set_podcast_attr("funding_url", (attrs.get("url") or "").strip())

    def end(self, handler: RSSHandler, text: str) -> None:
        handler.set_podcast_attr("funding_text", " ".join(text.split()))


class _ChannelPerson(podcastparser.Target):  # type: ignore[misc]
    WANT_TEXT = True

    def start(self, handler: RSSHandler, attrs: AttributesImpl) -> None:
        handler.data.setdefault("persons", []).append(
            {
                "role": (attrs.get("role") or "host").lower(),
                "group": (attrs.get("group") or "cast").lower(),
                "href": attrs.get("href") or "",
                "img": attrs.get("img") or "",
            }
        )

    def end(self, handler: RSSHandler, text: str) -> None:
        handler.data["persons"][-1]["name"] = " ".join(text.split())


class _ChannelTxt(podcastparser.Target):  # type: ignore[misc]
    """Every podcast:txt of the channel, in order (verification codes and notes)."""

    WANT_TEXT = True

    def end(self, handler: RSSHandler, text: str) -> None:
        value = text.strip()
        if value:
            handler.data.setdefault("txt", []).append(value)


class _Transcript(podcastparser.Target):  # type: ignore[misc]
    """Every podcast:transcript of an item, in order (each its language and type)."""

    def start(self, handler: RSSHandler, attrs: AttributesImpl) -> None:
        transcripts = handler.get_episode_attr("transcripts")
        if transcripts is None:
            transcripts = []
            handler.set_episode_attr("transcripts", transcripts)
        transcripts.append(
            {
                name: (attrs.get(name) or "").strip()
                for name in ("url", "type", "language", "rel")
            }
        )


class _ItemNumber(podcastparser.Target):  # type: ignore[misc]
    """podcast:season / podcast:episode, used when the itunes: tag is absent."""

    WANT_TEXT = True

    def end(self, handler: RSSHandler, text: str) -> None:
        try:
            value = float(text.strip())
        except ValueError:
            return
        if value.is_integer() and 0 < value < 2**31:
            handler.set_episode_attr(self.key, int(value))


class _PodloveChapter(podcastparser.Target):  # type: ignore[misc]
    def start(self, handler: RSSHandler, attrs: AttributesImpl) -> None:
        start = parse_npt(attrs.get("start") or "")
        if start is None or attrs.get("title") is None:
            return
        chapter = {"start": start, "title": attrs.get("title")}
        for optional in ("href", "image"):
            if attrs.get(optional):
                chapter[optional] = attrs.get(optional)
        handler.get_episode_attr("chapters").append(chapter)


_EXTRA_MAPPING: dict[str, Any] = {
    "rss/channel/lastBuildDate": _ChannelText(
        "last_build_date", podcastparser.parse_pubdate
    ),
    "rss/channel/pubDate": _ChannelText("pub_date", podcastparser.parse_pubdate),
    "atom:feed/atom:updated": _ChannelText(
        "last_build_date", podcastparser.parse_pubdate
    ),
    "atom:feed/atom:author/atom:name": _ChannelText("itunes_author"),
    "rss/channel/copyright": _ChannelText("copyright"),
    "rss/channel/podcast:guid": _ChannelText("podcast_guid"),
    "rss/channel/podcast:locked": _Locked(),
    "rss/channel/podcast:funding": _Funding(),
    "rss/channel/podcast:person": _ChannelPerson(),
    "rss/channel/podcast:txt": _ChannelTxt(),
    "rss/channel/item/podcast:transcript": _Transcript(),
    "rss/channel/item/podcast:season": _ItemNumber("podcast_season"),
    "rss/channel/item/podcast:episode": _ItemNumber("podcast_number"),
    "rss/channel/item/psc:chapters/psc:chapter": _PodloveChapter(),
    "atom:feed/atom:entry/psc:chapters/psc:chapter": _PodloveChapter(),
}
_MAPPING: dict[str, Any] = {**podcastparser.MAPPING, **_EXTRA_MAPPING}


class RSSHandler(podcastparser.PodcastHandler):  # type: ignore[misc]
    """podcastparser's handler, with the extended namespaces and mapping."""

    namespace: Any
    text: list[str] | None
    path_stack: list[str]
    data: dict[str, Any]

    def startElement(self, name: str, attrs: AttributesImpl) -> None:  # noqa: N802
        self.namespace = _Namespace(attrs, self.namespace)
        name = self.namespace.map(name)
        if not self.path_stack and name not in podcastparser.VALID_ROOTS:
            raise podcastparser.FeedParseError(
                msg=f"unsupported document type <{name}>",
                exception=None,
                locator=self._locator,
            )
        self.path_stack.append(name)
        target = _MAPPING.get("/".join(self.path_stack))
        if target is not None:
            target.start(self, attrs)
            if target.WANT_TEXT:
                self.text = []

    def endElement(self, name: str) -> None:  # noqa: N802
        target = _MAPPING.get("/".join(self.path_stack))
        if target is not None:
            content = "".join(self.text) if self.text is not None else ""
            target.end(self, content)
            self.text = None
        if self.namespace is not None:
            self.namespace = self.namespace.parent
        self.path_stack.pop()
