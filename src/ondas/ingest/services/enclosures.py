"""An imported episode's enclosure type, read from the file when the feed and the
file name do not tell it (by a background task, after the import or refresh
that wrote the episode: one slow host must not hold the refresh)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django_tasks import task

from ondas.catalog.media_types import HEAD_BYTES, media_type_sniff
from ondas.core.errors import OndasError
from ondas.ingest.fetch import fetch_url
from ondas.ingest.models import RemoteEpisode

logger = logging.getLogger(__name__)


def remote_episode_enclosure_sniff(*, remote: RemoteEpisode) -> str:
    """Fetch the first bytes of an enclosure of unknown type and keep the type
    they tell; return the type ("" when they tell nothing).

    Raises the FeedError that says why the file could not be fetched.
    """
    if remote.enclosure_type:
        return remote.enclosure_type
    result = fetch_url(
        remote.enclosure_url,
        accept="audio/*, video/*;q=0.9, */*;q=0.1",
        head_bytes=HEAD_BYTES,
    )
    found = media_type_sniff(result.body)
    if not found:
        logger.info(
            "Episode %s: the enclosure's first bytes tell no audio type",
            remote.episode_id,
        )
        return ""
    with transaction.atomic(durable=True):
        row = RemoteEpisode.objects.select_for_update().get(pk=remote.pk)
        if row.enclosure_type or row.enclosure_url != remote.enclosure_url:
            return row.enclosure_type  # a refresh changed it meanwhile
        row.enclosure_type = found
        row.save(update_fields=["enclosure_type", "updated_at"])
    logger.info("Episode %s: enclosure is %s, by its content", row.episode_id, found)
    return found


@task()
def remote_episode_enclosure_sniff_task(*, remote_episode_id: int) -> str:
    """Read one enclosure's type from its first bytes; return the type kept."""
    remote = RemoteEpisode.objects.filter(pk=remote_episode_id).first()
    if remote is None:
        return ""
    try:
        return remote_episode_enclosure_sniff(remote=remote)
    except OndasError as exc:
        logger.warning(
            "Episode %s: enclosure not read (%s): %s",
            remote.episode_id,
            exc.code,
            exc.message,
        )
        return ""


def enclosures_sniff_enqueue(remotes: Sequence[RemoteEpisode]) -> None:
    """Once the transaction commits, queue a sniff for each enclosure of
    unknown type among ``remotes``."""
    ids = [r.pk for r in remotes if not r.enclosure_type]
    if not ids:
        return

    def enqueue() -> None:
        for remote_id in ids:
            remote_episode_enclosure_sniff_task.enqueue(remote_episode_id=remote_id)

    transaction.on_commit(enqueue)
