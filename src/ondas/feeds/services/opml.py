"""OPML: the shows a listener follows, as podcast apps exchange them.

Reading takes OPML 1.0 and 2.0 as apps write it: every ``<outline>`` with an
``xmlUrl`` is a feed, at any depth, so AntennaPod's flat list and Pocket
Casts' list nested in one outline read alike. The file is parsed behind
defusedxml, which refuses entity declarations (billion laughs) and external
references; its size is capped by ``ONDAS_OPML_MAX_BYTES`` before parsing.

Feeds are matched to shows already in this catalog
(``selectors.show_match_feed_urls``); a listener cannot pull new feeds into
it. Writing lists each followed show's public feed and page, as absolute URLs.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.xmlreader import AttributesImpl

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import ParseError, fromstring
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.feedgenerator import rfc2822_date
from django.utils.timezone import now as timezone_now
from django.utils.translation import gettext as _
from django.utils.xmlutils import SimplerXMLGenerator

from ondas.accounts.models import User
from ondas.catalog.models import Show
from ondas.feeds.errors import OPMLInvalid, OPMLTooLarge, OPMLXMLForbidden
from ondas.feeds.models import Follow
from ondas.feeds.selectors import follow_list_shows, show_match_feed_urls

logger = logging.getLogger(__name__)

OPML_CONTENT_TYPE = "text/x-opml; charset=utf-8"
EXPORT_FILE_NAME = "ondas-shows.opml"


@dataclass(frozen=True)
class OPMLFeed:
    """One feed outline: where the feed is, what it is called, its web page."""

    xml_url: str
    title: str
    html_url: str = ""


@dataclass(frozen=True)
class OPMLImportResult:
    followed: list[Show] = field(default_factory=list)  # followed now
    already: list[Show] = field(default_factory=list)  # followed before
    unmatched: list[OPMLFeed] = field(default_factory=list)  # not in this catalog


def _local_name(tag: object) -> str:
    # "{namespace}outline" → "outline"; comments and processing instructions
    # have a callable as their tag.
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def opml_parse(data: bytes) -> list[OPMLFeed]:
    """The feeds an OPML document lists, once each, in document order.

    Raise OPMLTooLarge, OPMLXMLForbidden (entities, external references) or
    OPMLInvalid (not XML, not OPML, no body).
    """
    limit = settings.ONDAS_OPML_MAX_BYTES
    if len(data) > limit:
        raise OPMLTooLarge(limit=limit)
    if not data.strip():
        raise OPMLInvalid(reason=_("the file is empty."))
    try:
        root = fromstring(
            data, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except EntitiesForbidden:
        raise OPMLXMLForbidden(construct=_("entity declarations")) from None
    except ExternalReferenceForbidden:
        raise OPMLXMLForbidden(construct=_("external references")) from None
    except DTDForbidden:  # pragma: no cover - DTDs are allowed, entities are not
        raise OPMLXMLForbidden(construct=_("a DTD")) from None
    except ParseError as exc:
        raise OPMLInvalid(reason=str(exc)) from None
    if _local_name(root.tag) != "opml":
        raise OPMLInvalid(
            reason=_("its root element is <%(tag)s>, not <opml>.")
            % {"tag": _local_name(root.tag)[:40]}
        )
    body = next((c for c in root if _local_name(c.tag) == "body"), None)
    if body is None:
        raise OPMLInvalid(reason=_("it has no <body>."))
    feeds: dict[str, OPMLFeed] = {}
    for outline in body.iter():
        if _local_name(outline.tag) != "outline":
            continue
        # Apps disagree on the case of xmlUrl (xmlurl, XMLURL); the spec's is xmlUrl.
        attrs = {_local_name(k).lower(): v.strip() for k, v in outline.attrib.items()}
        xml_url = attrs.get("xmlurl", "")[:2000]
        if xml_url and xml_url not in feeds:
            title = attrs.get("title") or attrs.get("text") or xml_url
            feeds[xml_url] = OPMLFeed(
                xml_url=xml_url,
                title=title[:255],
                html_url=attrs.get("htmlurl", "")[:2000],
            )
    return list(feeds.values())


def follow_import_opml(
    *, user: User, data: bytes, now: datetime | None = None
) -> OPMLImportResult:
    """Follow every show of this catalog that the OPML file lists.

    The file is read in full before anything changes, and the follows are
    written in one transaction: a file Ondas refuses changes nothing. Feeds
    that are not in the catalog are returned, not added.
    """
    feeds = opml_parse(data)
    matches = show_match_feed_urls(urls=[f.xml_url for f in feeds])
    shows: dict[int, Show] = {}
    unmatched: list[OPMLFeed] = []
    for feed in feeds:
        show = matches.get(feed.xml_url)
        if show is None:
            unmatched.append(feed)
        else:
            shows.setdefault(show.pk, show)
    stamp = now or timezone_now()
    with transaction.atomic(durable=True):
        before = set(
            Follow.objects.filter(user=user, show_id__in=list(shows)).values_list(
                "show_id", flat=True
            )
        )
        Follow.objects.bulk_create(
            [
                Follow(user=user, show=show, created_at=stamp)
                for pk, show in shows.items()
                if pk not in before
            ],
            ignore_conflicts=True,
        )
    logger.info(
        "OPML import for user %s: %s feeds, %s followed, %s already, %s unmatched",
        user.pk,
        len(feeds),
        len(shows) - len(before),
        len(before),
        len(unmatched),
    )
    return OPMLImportResult(
        followed=[s for pk, s in shows.items() if pk not in before],
        already=[s for pk, s in shows.items() if pk in before],
        unmatched=unmatched,
    )


def opml_render(*, feeds: Iterable[OPMLFeed], title: str, now: datetime) -> bytes:
    """An OPML 2.0 document listing ``feeds`` as podcast apps read it."""
    out = io.StringIO()
    xml = SimplerXMLGenerator(out, "utf-8", short_empty_elements=True)
    xml.startDocument()
    xml.startElement("opml", AttributesImpl({"version": "2.0"}))
    xml.ignorableWhitespace("\n")
    xml.startElement("head", AttributesImpl({}))
    xml.addQuickElement("title", title)
    xml.addQuickElement("dateCreated", rfc2822_date(now))
    xml.endElement("head")
    xml.ignorableWhitespace("\n")
    xml.startElement("body", AttributesImpl({}))
    xml.ignorableWhitespace("\n")
    for feed in feeds:
        attrs = {"type": "rss", "text": feed.title, "title": feed.title}
        attrs["xmlUrl"] = feed.xml_url
        if feed.html_url:
            attrs["htmlUrl"] = feed.html_url
        xml.addQuickElement("outline", attrs=attrs)
        xml.ignorableWhitespace("\n")
    xml.endElement("body")
    xml.ignorableWhitespace("\n")
    xml.endElement("opml")
    xml.endDocument()
    return out.getvalue().encode("utf-8")


def follow_export_opml(
    *, user: User, base_url: str, now: datetime | None = None
) -> bytes:
    """The shows the person follows as OPML: public feed and page URLs."""
    base = base_url.rstrip("/")
    feeds = [
        OPMLFeed(
            xml_url=base + reverse("feeds:show-feed", args=[show.slug]),
            title=show.title,
            html_url=base + reverse("web:show-detail", args=[show.slug]),
        )
        for show in follow_list_shows(user=user)
    ]
    return opml_render(
        feeds=feeds,
        title=_("Shows followed on Ondas"),
        now=now or timezone_now(),
    )
