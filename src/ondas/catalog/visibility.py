"""The one rule that says whether listeners may see an episode.

An episode is *listed* when its status is published and its publication time
has come: a scheduled episode (published, with ``published_at`` ahead) comes
out by the clock alone, with no job to run. Drafts, unpublished and deleted
episodes are never listed. Every read a listener can reach — the show page,
the episode page, public and private feeds, chapters files, audio, counts on
the home and library pages — filters with ``episode_listed_q``; writers keep
``Show.next_publication_at`` with ``episode_upcoming_q`` (``versioning``).

This module imports no model, so ``versioning`` (which ``models`` imports)
can use it too.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

# Episode.Status.PUBLISHED's stored value.
PUBLISHED = "published"


def episode_listed_q(*, now: datetime, prefix: str = "") -> Q:
    """Episodes listeners may see at ``now``; ``prefix`` for a relation
    (``"episodes__"``)."""
    return Q(**{f"{prefix}status": PUBLISHED, f"{prefix}published_at__lte": now})


def episode_upcoming_q(*, now: datetime, prefix: str = "") -> Q:
    """Published episodes whose time is still to come at ``now``."""
    return Q(**{f"{prefix}status": PUBLISHED, f"{prefix}published_at__gt": now})
