"""Yes answers to "may this listener hear this audio", kept a few seconds per worker.

The lean audio path (``ondas.playback.lean``) keeps them the way nginx keeps
Ondas's answers to its ``auth_request`` (``ondas deploy nginx``): only yes,
per audio file and session cookie, for at most ``ONDAS_AUDIO_RIGHTS_TTL``
seconds (0: never kept), so a player's next ranges cost no database query.
Free audio plays for everyone, so its yes is kept once per file, whoever asks.

A kept yes also ends:

- when the listener's trial or paid period ends (``PlayRight.until``), so an
  expired subscription stops at its end, not a TTL later;
- when the person signs out, their subscription or account changes (any
  save: cancelled, ended, resumed, password changed, deleted), in every
  worker of this server: each person has an epoch in memory shared across
  Gunicorn's fork (``--preload``), and a kept yes holds only while its epoch
  has not moved;
- when an episode, a book's part or an audio file is saved or deleted in this
  server (the studio, the admin): the catalog's epoch moves, so audio made
  exclusive stops playing for free at once.

Changes made elsewhere (other app nodes, ``ondas worker`` and ``ondas billing
run``, bulk writes, a session removed without signing out) are seen within
the TTL, as nginx sees every change; expiry at a period's end needs nobody
to write anything (``access.yes_keep_seconds``).

Book parts (metered per request) and private-feed enclosures (counted per
request) are never kept.
"""

from __future__ import annotations

import mmap
import struct
import threading
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

# Slots of the shared per-person epochs: a person's changes move their slot,
# and the few others sharing it only ask the database once more.
_SLOTS = 4096
_SLOT = struct.Struct("=Q")
# The catalog's epoch, after the people's slots.
_CATALOG = _SLOTS
# Anonymous and shared: made at import, which `ondas serve` does in the
# arbiter before it forks, so every worker of the server sees the same pages.
_epochs = mmap.mmap(-1, (_SLOTS + 1) * _SLOT.size)
_epoch_lock = threading.Lock()

# Enough for every listener a worker serves in a TTL; beyond, the oldest go.
MAX_ENTRIES = 10_000


def epoch_of(user_id: int) -> int:
    """Return the current epoch of the person ``user_id``."""
    return int(_SLOT.unpack_from(_epochs, (user_id % _SLOTS) * _SLOT.size)[0])


def catalog_epoch() -> int:
    """Return the current epoch of the catalog (who may hear which audio)."""
    return int(_SLOT.unpack_from(_epochs, _CATALOG * _SLOT.size)[0])


def epoch_bump(user_id: int) -> None:
    """Forget every kept yes of the person ``user_id``, in every worker."""
    _bump((user_id % _SLOTS) * _SLOT.size)


def catalog_epoch_bump() -> None:
    """Forget every kept yes, in every worker: who may hear what may have changed."""
    _bump(_CATALOG * _SLOT.size)


def _bump(offset: int) -> None:
    with _epoch_lock:
        # Two processes bumping at once may both write the same value: it
        # still differs from the one every yes kept before either was read.
        current = _SLOT.unpack_from(_epochs, offset)[0]
        _SLOT.pack_into(_epochs, offset, (current + 1) % 2**64)


@dataclass(frozen=True, slots=True)
class Grant:
    """A kept yes: what to send, and until when the yes holds."""

    audio_id: int
    path: str
    content_type: str
    filename: str
    # Content-Disposition, as FileResponse makes it from ``filename``.
    disposition: str | None
    cache_control: str
    expires_at: datetime
    # The catalog's epoch when the yes was given; the person it was for (None:
    # free audio, for everyone) and their epoch then.
    catalog: int = 0
    user_id: int | None = None
    epoch: int = 0

    def holds(self, now: datetime) -> bool:
        if now >= self.expires_at or catalog_epoch() != self.catalog:
            return False
        return self.user_id is None or epoch_of(self.user_id) == self.epoch


class RightsCache:
    """Kept yes answers of this worker, keyed ``(audio id, session key)``.

    Free audio is keyed ``(audio id, None)``. Thread-safe under gthread: a
    dict's single operations are atomic, and trimming takes a lock.
    """

    def __init__(self, *, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: dict[tuple[int, str | None], Grant] = {}
        self._max_entries = max_entries
        self._trim_lock = threading.Lock()

    def get(
        self, *, audio_id: int, session_key: str | None, now: datetime
    ) -> Grant | None:
        """Return the yes that holds for this file and session now, if one is kept."""
        for key in ((audio_id, None), (audio_id, session_key)):
            grant = self._entries.get(key)
            if grant is not None:
                if grant.holds(now):
                    return grant
                self._entries.pop(key, None)
            if session_key is None:
                break
        return None

    def put(self, grant: Grant, *, session_key: str | None) -> None:
        """Keep ``grant`` for this session (None: for everyone)."""
        key = (grant.audio_id, None if grant.user_id is None else session_key)
        if len(self._entries) >= self._max_entries:
            self._trim()
        self._entries[key] = grant

    def forget_audio(self, audio_id: int) -> None:
        """Drop every kept yes for one file (its bytes are gone, say)."""
        for key in [key for key in list(self._entries) if key[0] == audio_id]:
            self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _trim(self) -> None:
        with self._trim_lock:
            # Oldest first (insertion order); half goes, so this stays rare.
            for key in list(self._entries)[: self._max_entries // 2]:
                self._entries.pop(key, None)


rights_cache = RightsCache()


def rights_forget_user(user_id: int | None) -> None:
    """This person's rights may have changed: forget their kept yes answers.

    At once, and again when the transaction commits: a yes given between the
    two was read from the database before the change was visible.
    """
    if user_id is None:
        return
    epoch_bump(user_id)
    transaction.on_commit(lambda: epoch_bump(user_id))


def rights_forget_catalog() -> None:
    """Who may hear which audio may have changed: forget every kept yes (as above)."""
    catalog_epoch_bump()
    transaction.on_commit(catalog_epoch_bump)


# Signal receivers, connected in ``PlaybackConfig.ready``.


def on_signed_out(sender: object, user: object = None, **kwargs: object) -> None:
    rights_forget_user(getattr(user, "pk", None))


def on_subscription_changed(sender: object, instance: object, **kwargs: object) -> None:
    rights_forget_user(getattr(instance, "user_id", None))


def on_person_changed(sender: object, instance: object, **kwargs: object) -> None:
    # Signing in saves last_login and nothing else: no right changes with it.
    if kwargs.get("update_fields") == frozenset({"last_login"}):
        return
    rights_forget_user(getattr(instance, "pk", None))


def on_catalog_changed(sender: object, **kwargs: object) -> None:
    rights_forget_catalog()
