"""Imports asked for on the import page: recorded, run in the background, reported.

``feed_import_request`` writes a ``FeedImport`` row and queues
``feed_import_run_task``, which runs the same import as ``ondas feeds import``
(``imports.feed_source_import``) and writes the outcome back on the row, so the
page can show the new show or the refusal's message. ``feed_imports_expire``
(run by ``ondas feeds refresh --due``) fails the imports whose worker died.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from ondas.accounts.models import User
from ondas.core import clock
from ondas.core.errors import OndasError
from ondas.ingest.errors import FeedAlreadyImported, FeedImportForbidden
from ondas.ingest.models import FeedImport, FeedSource
from ondas.ingest.selectors import (
    FEED_IMPORT_TIMED_OUT,
    feed_import_allowed,
    feed_import_timed_out_message,
    feed_imports_overdue,
)
from ondas.ingest.services.imports import feed_source_import

logger = logging.getLogger(__name__)

Status = FeedImport.Status
# The reason recorded when the import broke on a bug rather than on the feed.
INTERNAL_ERROR = "internal_error"


def feed_import_request(
    *, url: str, acting_user: User, owner_email: str = "", language: str = ""
) -> FeedImport:
    """Record a request to import the feed at ``url`` and queue it.

    Raise FeedImportForbidden unless the person is a creator or staff.
    ``language`` is the one the outcome's message is written in.
    """
    if not feed_import_allowed(user=acting_user):
        raise FeedImportForbidden()
    record = FeedImport(
        url=url.strip(),
        owner_email=owner_email.strip(),
        requested_by=acting_user,
        language=language[:16],
    )
    record.full_clean(exclude=["requested_by", "source"])
    record.save()
    record_id = record.pk

    def enqueue() -> None:
        feed_import_run_task.enqueue(feed_import_id=record_id)

    transaction.on_commit(enqueue)
    logger.info("Feed import %s queued by user %s", record.pk, acting_user.pk)
    return record


def feed_import_run(
    *, feed_import_id: int, now: datetime | None = None
) -> FeedImport | None:
    """Run a queued import once and record how it went.

    Only a pending import runs: a task delivered twice finds it claimed and
    changes nothing. Returns the row, or None if it is gone.

    An import that ran past ONDAS_FEED_IMPORT_TIMEOUT_MINUTES and was marked
    failed by ``feed_imports_expire`` still has its outcome written when it
    finishes after all: the row then says what really happened (the show was
    imported, or why not) rather than a guess that the worker died.
    """
    started = now or clock.now()
    claimed = FeedImport.objects.filter(
        pk=feed_import_id, status=Status.PENDING
    ).update(status=Status.RUNNING, started_at=started, updated_at=started)
    record = (
        FeedImport.objects.select_related("requested_by")
        .filter(pk=feed_import_id)
        .first()
    )
    if record is None or not claimed:
        return record
    with translation.override(record.language or settings.LANGUAGE_CODE):
        _import(record)
    record.finished_at = clock.now()
    record.owner_email = ""  # needed only to prove ownership of a locked feed
    record.save(
        update_fields=[
            "status",
            "source",
            "reason",
            "message",
            "owner_email",
            "finished_at",
            "updated_at",
        ]
    )
    logger.info("Feed import %s: %s %s", record.pk, record.status, record.reason or "")
    return record


def _import(record: FeedImport) -> None:
    try:
        record.source = feed_source_import(
            url=record.url,
            acting_user=record.requested_by,
            owner_email=record.owner_email,
        )
        record.status = Status.DONE
    except FeedAlreadyImported as exc:
        _failed(record, exc)
        record.source = FeedSource.objects.filter(url=record.url).first()
    except OndasError as exc:
        _failed(record, exc)
    except Exception:
        # Not the feed's fault: log the traceback, and still finish the row so
        # the page does not say "importing" forever.
        logger.exception("Feed import %s broke", record.pk)
        record.status = Status.FAILED
        record.reason = INTERNAL_ERROR
        record.message = _(
            "The import stopped because of an error in Ondas; the server's log "
            "has the details. Nothing was imported."
        )


def _failed(record: FeedImport, error: OndasError) -> None:
    record.status = Status.FAILED
    record.reason = str(error.code)
    record.message = error.message


def feed_imports_expire(*, now: datetime) -> int:
    """Fail every import still pending or running past
    ONDAS_FEED_IMPORT_TIMEOUT_MINUTES; return how many.

    Its worker most likely died, and the page would wait forever. A pending
    one failed here never runs; a running one that finishes after all writes
    its own outcome over this one (``feed_import_run``).
    """
    expired = 0
    for record in feed_imports_overdue(now=now).order_by("pk"):
        with translation.override(record.language or settings.LANGUAGE_CODE):
            message = feed_import_timed_out_message()
        # Only if it is still as read: a task may have finished meanwhile.
        failed = FeedImport.objects.filter(pk=record.pk, status=record.status).update(
            status=Status.FAILED,
            reason=FEED_IMPORT_TIMED_OUT,
            message=message,
            owner_email="",
            finished_at=now,
            updated_at=now,
        )
        if failed:
            logger.warning("Feed import %s stopped without finishing", record.pk)
        expired += failed
    return expired


@task()
def feed_import_run_task(*, feed_import_id: int) -> str:
    """Run an import asked for on the import page; return its status."""
    record = feed_import_run(feed_import_id=feed_import_id)
    return record.status if record is not None else "gone"
