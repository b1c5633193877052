"""Signals other contexts may listen to; catalog imports none of them.

``show_content_changed`` goes out from ``versioning.show_content_bump``,
inside the transaction of the write, with the ids of the shows whose content
changed (``show_ids``), the episodes it changed (``episode_ids``: episodes
written, or whose chapters, transcripts, audio or remote record were; empty
when only the shows' own rows were; None when the writer could not tell, so
that any of the shows' episodes may have changed) and the database alias
(``using``). Every write a feed could show passes there (saves, deletes,
bulk writes; see ``versioning``), so a listener learns of all of them from
one place.
"""

from __future__ import annotations

from django.dispatch import Signal

show_content_changed = Signal()
