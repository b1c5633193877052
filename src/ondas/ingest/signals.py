"""What ingest tells the features above it, without importing them.

- ``feed_imported`` is sent inside the import's transaction, once the show and
  its ``FeedSource`` exist, with ``source`` and ``imported_by`` (the person who
  asked for the import, or None): the studio makes that person the owner. A
  receiver that raises undoes the import, as any failure in it would.
- ``feed_read`` is sent after a refresh committed, whenever it read and parsed
  a body from the source's address (whatever it then decided about it), with
  ``source`` and ``feed`` (the ``ParsedFeed``, ``txt`` and ``description``
  included): the studio checks there for the codes of show claims. It is sent
  with ``send_robust``: a receiver's failure is logged and never breaks a
  refresh.
"""

from __future__ import annotations

import logging

from django.dispatch import Signal

from ondas.ingest.models import FeedSource
from ondas.ingest.parse import ParsedFeed

logger = logging.getLogger(__name__)

feed_imported = Signal()
feed_read = Signal()


def feed_read_send(*, source: FeedSource, feed: ParsedFeed) -> None:
    """Tell the receivers of ``feed_read``; log, and swallow, what they raise."""
    for receiver, result in feed_read.send_robust(
        sender=FeedSource, source=source, feed=feed
    ):
        if isinstance(result, Exception):
            logger.error(
                "Feed %s: a receiver of feed_read failed (%s): %s",
                source.pk,
                getattr(receiver, "__qualname__", receiver),
                type(result).__name__,
                exc_info=result,
            )
