"""A show's content version: one number that changes whenever its feeds could.

``Show.content_version`` goes up, in the same transaction, with every write
that changes what the show's public or private feeds, its chapters files or
its page show. ETags, rendered feed files and cached page fragments are all
keyed by it (see ``catalog.selectors.show_content_stamp``), so none of them
has to look at the episodes to know whether anything changed.

Where the version is bumped: here, at the model level, so that no writer can
forget it. Every model whose rows a feed shows mixes in ``FeedContent`` and
uses ``FeedContentQuerySet`` as its default and base manager:

- ``Model.save()`` and ``Model.delete()`` (services, the admin and its inlines,
  ``create()``, ``get_or_create()``);
- ``QuerySet.update()``, ``delete()``, ``bulk_create()`` and ``bulk_update()``
  (imports, refreshes, many-to-many ``add``/``remove``/``set`` on categories,
  reverse ``add()`` of a foreign key);

each run the write and the bump in one transaction. Those models are
``catalog.Show``, ``Episode``, ``AudioFile``, ``Chapter``, ``Transcript``,
``Category``, ``ShowCategory``, ``FeedProfile``, ``FeedPerson`` and ingest's
``FeedSource`` and ``RemoteEpisode``. A model says how its rows lead to shows
(``feed_show_via``) and, when only some of its fields appear in a feed, which
(``feed_fields``): a refresh that only records when it ran bumps nothing.

Not covered: raw SQL and data migrations (historical models have no methods);
those must call ``show_content_bump`` themselves. Deleting a show needs no
bump: its rows, and so its feeds, are gone.

Each bump says which episodes it stands for where the write knows them
(``episode_ids``: the episodes written, or whose chapters, transcripts, audio
or remote record were): a listener that keeps something per episode (the
search index) redoes those alone. Writes of a show's own rows (the show, its
people, categories, profile, source) name no episode; a bump from outside
this module names none either, and then stands for the whole show (None).

Alongside the version, ``next_publication_at`` is the earliest publication
time still to come when the version was bumped: until then a feed cannot
change by the clock alone, so a validator is the version alone (O(1)).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any, ClassVar, Literal, Self, TypeVar

from django.db import models, transaction
from django.db.models import F, OuterRef, Subquery

from ondas.catalog.signals import show_content_changed
from ondas.catalog.visibility import episode_upcoming_q
from ondas.core import clock

# Fields that hold the version itself: an ordinary save never writes them.
VERSION_FIELDS = frozenset(
    {"content_version", "content_changed_at", "next_publication_at"}
)
# How many ids go in one ``IN (…)`` list.
CHUNK = 500

Via = Literal["show", "episode", "audio", "category"]
M = TypeVar("M", bound="FeedContent")


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def show_content_bump(
    show_ids: Iterable[int | None],
    *,
    episode_ids: Iterable[int | None] | None = None,
    using: str = "default",
) -> int:
    """Give these shows a new content version; return how many rows changed.

    Also records when (``content_changed_at``) and the next publication time
    still to come (``next_publication_at``). Call it inside the transaction of
    the write it stands for. ``episode_ids``: the episodes the write changed
    (none: only the shows' own rows); None, the default, when the caller
    cannot tell: any of the shows' episodes may have changed.
    """
    ids = sorted({pk for pk in show_ids if pk is not None})
    if not ids:
        return 0
    from django.apps import apps

    show_model = apps.get_model("catalog", "Show")
    episode_model = apps.get_model("catalog", "Episode")
    now = clock.now()
    upcoming: models.QuerySet[Any, Any] = (
        models.QuerySet(episode_model, using=using)
        .filter(episode_upcoming_q(now=now), show=OuterRef("pk"))
        .order_by("published_at")
        .values("published_at")[:1]
    )
    changed = 0
    with transaction.atomic(using=using, savepoint=False):
        for chunk in _chunks(ids):
            # A plain queryset: this update must not bump again.
            changed += (
                models.QuerySet(show_model, using=using)
                .filter(pk__in=chunk)
                .update(
                    content_version=F("content_version") + 1,
                    content_changed_at=now,
                    next_publication_at=Subquery(upcoming),
                )
            )
    episodes = (
        None
        if episode_ids is None
        else sorted({pk for pk in episode_ids if pk is not None})
    )
    show_content_changed.send(
        sender=show_model, show_ids=ids, episode_ids=episodes, using=using
    )
    return changed


Targets = tuple[set[int], set[int]]


def _targets(
    model: type[FeedContent],
    values: set[int | None],
    using: str,
    *,
    pks: Iterable[int | None] = (),
) -> Targets:
    """The shows that rows of ``model`` linked by ``values`` belong to, and
    the episodes they are or hang from (``pks``: the rows' own ids)."""
    from django.apps import apps

    links = {v for v in values if v is not None}
    episodes = {pk for pk in pks if pk is not None} if model.feed_is_episode else set()
    if not links or model.feed_show_via == "show":
        return links, episodes
    found: set[int] = set()
    if model.feed_show_via == "episode":
        episodes |= links
    episode_model = apps.get_model("catalog", "Episode")
    rows: models.QuerySet[Any, Any]
    for chunk in _chunks(sorted(links)):
        if model.feed_show_via == "episode":
            rows = models.QuerySet(episode_model, using=using).filter(pk__in=chunk)
        elif model.feed_show_via == "audio":
            pairs: models.QuerySet[Any, tuple[int, int]] = (
                models.QuerySet(episode_model, using=using)
                .filter(audio_id__in=chunk)
                .values_list("show_id", "pk")
            )
            for show_id, episode_id in pairs:
                found.add(show_id)
                episodes.add(episode_id)
            continue
        else:  # a category's name shows in its shows' feeds, and its children's
            link = apps.get_model("catalog", "ShowCategory")
            found.update(
                models.QuerySet(link, using=using)
                .filter(
                    models.Q(category_id__in=chunk)
                    | models.Q(category__parent_id__in=chunk)
                )
                .values_list("show_id", flat=True)
            )
            continue
        found.update(rows.values_list("show_id", flat=True))
    return found, episodes


def _bump(targets: Targets, *, using: str) -> None:
    shows, episodes = targets
    show_content_bump(shows, episode_ids=episodes, using=using)


def _touches(model: type[FeedContent], names: Iterable[str]) -> bool:
    """Whether writing these fields can change what a feed shows."""
    names = [name for name in names if name not in VERSION_FIELDS]
    if not names:
        return False
    if model.feed_fields is None:
        return True
    for name in names:
        field = model._meta.get_field(name)
        if field.name in model.feed_fields:
            return True
    return False


class FeedContentQuerySet(models.QuerySet[M]):
    """Writes in bulk that bump the content version of the shows they touch."""

    def _links(self, *, with_pks: bool) -> tuple[set[int | None], list[int]]:
        """The rows' links to their shows, and their ids when asked."""
        link = self.model.feed_show_link
        if not with_pks:
            return set(self.values_list(link, flat=True)), []
        pairs = list(self.values_list("pk", link))
        return {value for _pk, value in pairs}, [pk for pk, _value in pairs]

    def update(self, **kwargs: Any) -> int:
        if not _touches(self.model, kwargs):
            return super().update(**kwargs)
        link = self.model.feed_show_link
        moves = link != "pk" and bool(
            {link, self.model._meta.get_field(link).name} & set(kwargs)
        )
        with transaction.atomic(using=self.db, savepoint=False):
            before, pks = self._links(with_pks=moves or self.model.feed_is_episode)
            rows = super().update(**kwargs)
            after = (
                set(
                    models.QuerySet(self.model, using=self.db)
                    .filter(pk__in=pks)
                    .values_list(link, flat=True)
                )
                if moves
                else set()
            )
            _bump(_targets(self.model, before | after, self.db, pks=pks), using=self.db)
        return rows

    update.alters_data = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        with transaction.atomic(using=self.db, savepoint=False):
            links, pks = self._links(with_pks=self.model.feed_is_episode)
            targets = _targets(self.model, links, self.db, pks=pks)
            deleted = super().delete()
            _bump(targets, using=self.db)
        return deleted

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def bulk_create(self, objs: Iterable[M], *args: Any, **kwargs: Any) -> list[M]:
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            _bump(_instances_targets(objs, self.db), using=self.db)
        return created

    bulk_create.alters_data = True  # type: ignore[attr-defined]

    def bulk_update(
        self, objs: Iterable[M], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        objs = list(objs)
        fields = list(fields)
        if not _touches(self.model, fields):
            return super().bulk_update(objs, fields, batch_size)
        with transaction.atomic(using=self.db, savepoint=False):
            before = set(
                models.QuerySet(self.model, using=self.db)
                .filter(pk__in=[o.pk for o in objs])
                .values_list(self.model.feed_show_link, flat=True)
            )
            rows = super().bulk_update(objs, fields, batch_size)
            shows, episodes = _targets(self.model, before, self.db)
            more_shows, more_episodes = _instances_targets(objs, self.db)
            _bump((shows | more_shows, episodes | more_episodes), using=self.db)
        return rows

    bulk_update.alters_data = True  # type: ignore[attr-defined]


def _instances_targets(objs: Sequence[FeedContent], using: str) -> Targets:
    """The shows and episodes of these rows, from the related rows they hold
    when they can."""
    if not objs:
        return set(), set()
    model = type(objs[0])
    found: set[int] = set()
    episodes: set[int] = set()
    unresolved: set[int | None] = set()
    for obj in objs:
        if model.feed_show_via == "episode" and "episode" in obj._state.fields_cache:
            episode = obj._state.fields_cache["episode"]
            found.add(episode.show_id)
            episodes.add(episode.pk)
        else:
            unresolved.add(getattr(obj, model.feed_show_link))
    shows, more = _targets(model, unresolved, using, pks=[obj.pk for obj in objs])
    return found | shows, episodes | more


class FeedContent(models.Model):
    """Rows a feed shows: saving or deleting one bumps its shows' versions."""

    # How a row leads to its shows, and the attribute holding that link.
    feed_show_via: ClassVar[Via] = "show"
    feed_show_link: ClassVar[str] = "show_id"
    # The fields a feed shows; None: all of them.
    feed_fields: ClassVar[frozenset[str] | None] = None
    # Whether a row is an episode (its id is the episode's the bump names).
    feed_is_episode: ClassVar[bool] = False

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        using = kwargs.get("using") or self._state.db or "default"
        loaded = getattr(self, "_feed_loaded", None)
        unchanged = (
            not self._state.adding
            and loaded is not None
            and loaded == self._feed_snapshot()
        )
        if unchanged or (
            update_fields is not None and not _touches(type(self), update_fields)
        ):
            super().save(*args, **kwargs)
            return
        with transaction.atomic(using=using, savepoint=False):
            super().save(*args, **kwargs)
            links = {self._feed_link(), getattr(self, "_feed_loaded_link", None)}
            _bump(_targets(type(self), links, using, pks=[self.pk]), using=using)
        self._feed_loaded = self._feed_snapshot()
        self._feed_loaded_link = self._feed_link()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        using = kwargs.get("using") or self._state.db or "default"
        with transaction.atomic(using=using, savepoint=False):
            targets = _targets(type(self), {self._feed_link()}, using, pks=[self.pk])
            deleted = super().delete(*args, **kwargs)
            _bump(targets, using=using)
        return deleted

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any]
    ) -> Self:
        instance = super().from_db(db, field_names, values)
        # What the row held when read: a save that changes none of the fields
        # a feed shows, and leaves the row where it was, bumps nothing; a
        # save that moves it bumps the show it left too.
        instance._feed_loaded = instance._feed_snapshot()
        instance._feed_loaded_link = instance._feed_link()
        return instance

    def _feed_link(self) -> int | None:
        if self.feed_show_link in self.get_deferred_fields():
            return None
        link: int | None = getattr(self, self.feed_show_link)
        return link

    def _feed_snapshot(self) -> tuple[object, ...] | None:
        if self.feed_fields is None:
            return None
        deferred = self.get_deferred_fields()
        values = []
        for name in sorted(self.feed_fields | {self.feed_show_link}):
            field = self._meta.get_field(name)
            assert isinstance(field, models.Field)
            attname = field.attname
            if attname in deferred:
                return None
            values.append(getattr(self, attname))
        return tuple(values)
