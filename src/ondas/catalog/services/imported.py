"""Catalog writes for shows that come from a publisher's feed (``ingest``).

The same rules as ``show_create`` and ``episode_create`` (sanitised text,
``full_clean`` on every row, chapters inside the episode at distinct starts),
shaped for what an import does: thousands of episodes at once, in bulk (one by
one took 6 ms each; see bench/feed_import.py), and updates in place that keep
an episode's slug and so its address. Callers hold their own transaction.
An episode keeps every transcript its item lists (``podcast:transcript``, one
per language and format), in the feed's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ondas.catalog.chapters import ChapterInput
from ondas.catalog.models import (
    Chapter,
    Episode,
    FeedPerson,
    FeedProfile,
    Show,
    Transcript,
)
from ondas.catalog.sanitize import sanitize_html

BATCH = 500


@dataclass(frozen=True)
class PersonInput:
    """A podcast:person of a show or of one episode."""

    name: str
    role: str = "host"
    group: str = "cast"
    href: str = ""
    img: str = ""


@dataclass(frozen=True)
class TranscriptInput:
    """A podcast:transcript of one episode: its file, format and language."""

    url: str
    mime_type: str = ""
    language: str = ""  # BCP 47; "": the show's
    rel: str = ""  # "captions", or ""


@dataclass(frozen=True)
class EpisodeInput:
    """An episode as a feed item describes it."""

    guid: str
    title: str
    slug: str
    description: str
    published_at: datetime | None  # None: the episode keeps its date
    duration_seconds: float = 0
    season: int | None = None
    number: int | None = None
    kind: str = Episode.Kind.FULL
    chapters: Sequence[ChapterInput] = ()
    persons: Sequence[PersonInput] = field(default_factory=tuple)
    transcripts: Sequence[TranscriptInput] = field(default_factory=tuple)


def _transcripts(
    episode: Episode, transcripts: Sequence[TranscriptInput]
) -> list[Transcript]:
    rows = [
        Transcript(
            episode=episode,
            url=t.url,
            mime_type=t.mime_type[:64],
            language=t.language[:35],
            rel=t.rel[:16],
            position=n,
        )
        for n, t in enumerate(transcripts)
    ]
    for row in rows:
        row.full_clean(exclude=["episode"], validate_constraints=False)
    return rows


def _people(
    *, show: Show, episode: Episode | None, persons: Sequence[PersonInput]
) -> list[FeedPerson]:
    return [
        FeedPerson(
            show=show,
            episode=episode,
            name=p.name,
            role=p.role,
            group=p.group,
            href=p.href,
            img=p.img,
            position=n,
        )
        for n, p in enumerate(persons)
    ]


def show_update_from_feed(
    *,
    show: Show,
    title: str,
    author: str,
    description: str,
    explicit: bool,
    kind: str,
    language: str,
) -> Show:
    """Follow the publisher's title, author, description and flags; blank title
    or author keep what the show has."""
    show.title = (title or show.title)[:255]
    show.author = (author or show.author)[:255]
    show.description = sanitize_html(description)
    show.explicit = explicit
    show.kind = kind if kind in Show.Kind.values else show.kind
    show.language = language
    show.full_clean(exclude=["artwork", "slug"])
    show.save(
        update_fields=[
            "title",
            "author",
            "description",
            "explicit",
            "kind",
            "language",
            "updated_at",
        ]
    )
    return show


def show_listed(*, show: Show) -> Show:
    """List a show whose import has written all of it (``Show.importing``).

    The update bumps the show's content version (``catalog.versioning``): the
    first validator anyone sees is that of the whole show."""
    Show.objects.filter(pk=show.pk, importing=True).update(importing=False)
    show.importing = False
    return show


def chapter_rows(episode: Episode, chapters: Sequence[ChapterInput]) -> list[Chapter]:
    """Unsaved chapter rows of ``episode``, in start order."""
    return [
        Chapter(
            episode=episode,
            start_seconds=c.start_seconds,
            title=c.title,
            url=c.url,
            image=c.image,
        )
        for c in sorted(chapters, key=lambda c: c.start_seconds)
    ]


@dataclass
class EpisodeRows:
    """New episodes and their rows, checked and ready to insert.

    Made by ``episodes_prepare`` outside any transaction (sanitising and
    checking thousands of rows is most of an import's work), written by
    ``episodes_write`` in a short one. ``guids`` lists the episodes' GUIDs.
    """

    episodes: list[Episode]
    chapters: list[Chapter]
    people: list[FeedPerson]
    transcripts: list[Transcript]

    @property
    def guids(self) -> list[str]:
        return [e.guid for e in self.episodes]

    def without(self, guids: set[str]) -> EpisodeRows:
        """These rows less the episodes (and their rows) of ``guids``."""
        if not guids:
            return self
        keep = [e for e in self.episodes if e.guid not in guids]
        kept = {id(e) for e in keep}
        return EpisodeRows(
            episodes=keep,
            chapters=[c for c in self.chapters if id(c.episode) in kept],
            people=[p for p in self.people if id(p.episode) in kept],
            transcripts=[t for t in self.transcripts if id(t.episode) in kept],
        )


def episodes_prepare(*, show: Show, inputs: Sequence[EpisodeInput]) -> EpisodeRows:
    """Build and check free episodes with their chapters, people and
    transcripts; write nothing.

    Uniqueness is the caller's to settle before: GUIDs new to the show and
    distinct, slugs free.
    """
    episodes: list[Episode] = []
    for item in inputs:
        if item.published_at is None:
            raise ValueError(f"episode {item.guid!r}: a new episode needs its date")
        episode = Episode(
            show=show,
            guid=item.guid,
            title=item.title,
            slug=item.slug,
            description=sanitize_html(item.description),
            published_at=item.published_at,
            duration_seconds=item.duration_seconds,
            season=item.season,
            number=item.number,
            kind=item.kind,
            access=Episode.Access.FREE,
        )
        # Not the show: it is the one given, and checking that it exists cost
        # a query per episode (a quarter of a 3,000-episode import).
        episode.full_clean(
            exclude=["show"], validate_unique=False, validate_constraints=False
        )
        episodes.append(episode)
    rows = EpisodeRows(episodes=episodes, chapters=[], people=[], transcripts=[])
    for episode, item in zip(episodes, inputs, strict=True):
        rows.chapters += chapter_rows(episode, item.chapters)
        rows.people += _people(show=show, episode=episode, persons=item.persons)
        rows.transcripts += _transcripts(episode, item.transcripts)
    return rows


def episodes_write(*, rows: EpisodeRows) -> list[Episode]:
    """Insert prepared episodes and their rows, a batch per table; return the
    episodes (now with their ids). Run inside the caller's transaction."""
    Episode.objects.bulk_create(rows.episodes, batch_size=BATCH)
    # The rows were built on the unsaved episodes: they take their new ids.
    Chapter.objects.bulk_create(rows.chapters, batch_size=BATCH)
    FeedPerson.objects.bulk_create(rows.people, batch_size=BATCH)
    Transcript.objects.bulk_create(rows.transcripts, batch_size=BATCH)
    return rows.episodes


def episodes_create_many(
    *, show: Show, inputs: Sequence[EpisodeInput]
) -> list[Episode]:
    """Create free episodes with their chapters and people, a batch per table.

    Uniqueness is the caller's to settle before: GUIDs new to the show and
    distinct, slugs free.
    """
    return episodes_write(rows=episodes_prepare(show=show, inputs=inputs))


def episode_update_from_feed(*, episode: Episode, item: EpisodeInput) -> Episode:
    """Update an episode in place from its feed item; its slug stays.

    A ``published_at`` of None keeps the date it has. Chapters are not
    touched here (the caller knows whether a fetched chapters file stands);
    the episode's people and transcripts are replaced.
    """
    episode.title = item.title
    episode.description = sanitize_html(item.description)
    if item.published_at is not None:
        episode.published_at = item.published_at
    episode.duration_seconds = item.duration_seconds
    episode.season = item.season
    episode.number = item.number
    episode.kind = item.kind
    episode.full_clean(validate_unique=False, validate_constraints=False)
    episode.save(
        update_fields=[
            "title",
            "description",
            "published_at",
            "duration_seconds",
            "season",
            "number",
            "kind",
            "updated_at",
        ]
    )
    feed_persons_replace(show=episode.show, episode=episode, persons=item.persons)
    episode_transcripts_replace(episode=episode, transcripts=item.transcripts)
    return episode


def episode_transcripts_replace(
    *, episode: Episode, transcripts: Sequence[TranscriptInput]
) -> list[Transcript]:
    """Replace the episode's transcripts with ``transcripts``, in their order."""
    rows = _transcripts(episode, transcripts)
    current = list(
        Transcript.objects.filter(episode=episode).values_list(
            "url", "mime_type", "language", "rel"
        )
    )
    if current == [(t.url, t.mime_type, t.language, t.rel) for t in rows]:
        return rows  # the same ones: no write, no new content version
    Transcript.objects.filter(episode=episode).delete()
    return Transcript.objects.bulk_create(rows)


def feed_persons_replace(
    *, show: Show, episode: Episode | None, persons: Sequence[PersonInput]
) -> list[FeedPerson]:
    """Replace the people of the show (``episode`` None) or of one episode."""
    FeedPerson.objects.filter(show=show, episode=episode).delete()
    return FeedPerson.objects.bulk_create(
        _people(show=show, episode=episode, persons=persons)
    )


def feed_profile_save(
    *,
    show: Show,
    owner_name: str,
    owner_email: str,
    locked: bool,
    funding_url: str,
    funding_text: str,
    copyright: str,
    locked_owner: str = "",
) -> FeedProfile:
    """Keep what the show's feed says about its owner, lock (and the lock's own
    owner), funding, copyright."""
    profile, _created = FeedProfile.objects.get_or_create(show=show)
    profile.owner_name = owner_name[:255]
    profile.owner_email = owner_email
    profile.locked = locked
    profile.locked_owner = locked_owner
    profile.funding_url = funding_url
    profile.funding_text = funding_text[:128]
    profile.copyright = copyright[:255]
    profile.full_clean(exclude=["show"])
    profile.save(
        update_fields=[
            "owner_name",
            "owner_email",
            "locked",
            "locked_owner",
            "funding_url",
            "funding_text",
            "copyright",
            "updated_at",
        ]
        if not _created
        else None
    )
    return profile
