"""What kind of file an enclosure is, when its feed does not say.

A feed's ``type`` is taken as written; a missing or generic one
(``application/octet-stream``) is read from the extension of the URL's path
(``catalog.media_types``), and, failing that, from the first bytes of the file
once a background task has fetched them (``services.enclosures``). Until then
the enclosure's type is unknown (""), never made up.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from ondas.catalog.media_types import media_type_declared, media_type_from_name


def enclosure_type(declared: str, url: str) -> str:
    """The enclosure's type: as declared, else from the URL's extension, else ""."""
    return media_type_declared(declared) or media_type_from_name(
        unquote(urlsplit(url).path)
    )
