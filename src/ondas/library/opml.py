"""OPML: the shows a listener follows, as podcast apps exchange them.

Reading takes OPML 1.0 and 2.0 as apps write it: every ``<outline>`` with an
``xmlUrl`` is a feed, at any depth, so AntennaPod's flat list and Pocket
Casts' list nested in one outline read alike. The file is parsed behind
defusedxml, which refuses entity declarations (billion laughs) and external
references; its size is capped by ``ONDAS_OPML_MAX_BYTES`` before parsing.

This module only reads and writes the format. Feeds are matched to shows
already in this catalog by ``services.follow_import_opml`` (through
``ingest.selectors.show_match_feed_urls``); a listener cannot pull new feeds
into it. ``selectors.follow_export_opml`` lists each followed show's public
feed and page, as absolute URLs.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from xml.sax.xmlreader import AttributesImpl

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import ParseError, fromstring
from django.conf import settings
from django.utils.feedgenerator import rfc2822_date
from django.utils.translation import gettext as _
from django.utils.xmlutils import SimplerXMLGenerator

from ondas.library.errors import OPMLInvalid, OPMLTooLarge, OPMLXMLForbidden

logger = logging.getLogger(__name__)

OPML_CONTENT_TYPE = "text/x-opml; charset=utf-8"
EXPORT_FILE_NAME = "ondas-shows.opml"


@dataclass(frozen=True)
class OPMLFeed:
    """One feed outline: where the feed is, what it is called, its web page."""

    xml_url: str
    title: str
    html_url: str = ""


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
