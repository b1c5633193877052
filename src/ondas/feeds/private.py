"""A subscriber's private feed of a show: its free and exclusive episodes.

The address carries the subscriber's token (``billing.models.PrivateFeedKey``),
and so does every enclosure, served by ``playback`` after it has asked billing
whether that person may listen now. While they may not, the feed carries one
item instead of the episodes: the subscription has ended, and how to renew,
with a four-second chime as its enclosure (``feeds.notice_audio``) so that
podcast apps have something to download.
Like the public feed it says ``itunes:block`` (and ``podcast:block``): it is
for one person, and no directory may list it.

A private feed is written to a file of its own key once per validator
(``feeds.files``): its enclosures carry the key's token, so no two keys share
a document; the file lives where only the view that checked the token sends
it from, and the database cache never holds it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from django.urls import reverse
from django.utils.translation import gettext as _

from ondas.billing.selectors import listening_rights, subscription_get_current
from ondas.catalog.models import AudioFile, Episode, Show
from ondas.feedkeys.errors import PrivateFeedNotFound
from ondas.feedkeys.models import PrivateFeedKey
from ondas.feedkeys.selectors import feed_key_get_by_token
from ondas.feedkeys.services import feed_key_use_record
from ondas.feeds.files import FeedFile, feed_file_get
from ondas.feeds.notice_audio import notice_audio
from ondas.feeds.render import FeedLinks, FeedNotice, feed_write
from ondas.feeds.selectors import (
    FeedValidators,
    show_feed_episodes,
    show_feed_validators,
)


@dataclass(frozen=True)
class PrivateFeed:
    """A private feed as one request finds it."""

    key: PrivateFeedKey
    token: str
    entitled: bool  # the person may hear exclusive episodes now
    since: datetime  # when what the feed shows last changed for this person
    ended_subscription_id: int | None  # the subscription whose end it reports

    @property
    def show(self) -> Show:
        return self.key.show


def private_feed_open(
    *, token: str, show_slug: str, client_ip: str | None, app: str, now: datetime
) -> PrivateFeed:
    """Resolve the token of a private feed (or its chapters, or audio) request.

    Raise PrivateFeedNotFound for an unknown or revoked token, for another
    show's address, and when this very request made the key reset as shared.
    Every request counts towards sharing detection (``client_ip`` None: the
    network is not counted, see ``billing.services.feedkeys``).
    """
    key = feed_key_get_by_token(token=token)
    if key.show.slug != show_slug or key.show.importing:
        raise PrivateFeedNotFound
    key = feed_key_use_record(key=key, client_ip=client_ip, app=app, now=now)
    if not key.is_live:
        raise PrivateFeedNotFound
    rights = listening_rights(user=key.user, now=now)
    if rights.exclusive:
        assert rights.period_start is not None
        since = max(rights.period_start, key.created_at)
        return PrivateFeed(key, token, True, since, None)
    last = subscription_get_current(user=key.user)
    if last is None:
        return PrivateFeed(key, token, False, key.created_at, None)
    ended = min(now, last.ended_at or last.current_period_end)
    return PrivateFeed(key, token, False, max(ended, key.created_at), last.pk)


def private_feed_validators(
    *, feed: PrivateFeed, base_url: str, now: datetime
) -> FeedValidators:
    """ETag and Last-Modified: the public feed's, this key's and the rights'."""
    public = show_feed_validators(show=feed.show, base_url=base_url, now=now)
    parts = [
        public.etag,
        "private",
        feed.key.pk,
        feed.key.token_hash,
        feed.entitled,
        feed.ended_subscription_id,
        feed.since.isoformat(),
    ]
    if not feed.entitled:
        # The notice's enclosure: a new notice file makes a new document.
        notice = notice_audio()
        parts += [notice.static_path, notice.length]
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:40]
    last_modified = (
        max(public.last_modified, feed.since) if feed.entitled else feed.since
    )
    return FeedValidators(etag=f'W/"{digest}"', last_modified=last_modified, key=digest)


def private_feed_links(*, show: Show, token: str) -> FeedLinks:
    """The private feed's addresses: each carries the token."""

    def audio(audio: AudioFile, ext: str) -> str:
        return reverse("playback:private-audio", args=[audio.pk, token, ext])

    def chapters(episode: Episode) -> str:
        return reverse(
            "feeds:private-episode-chapters", args=[token, show.slug, episode.slug]
        )

    return FeedLinks(
        feed=reverse("feeds:private-feed", args=[token, show.slug]),
        audio=audio,
        chapters=chapters,
        transcript=lambda transcript: reverse(
            "playback:private-transcript", args=[transcript.pk, token]
        ),
    )


def _ended_notice(feed: PrivateFeed, base_url: str) -> FeedNotice:
    plans = base_url.rstrip("/") + reverse("billing:plans")
    return FeedNotice(
        guid=f"ondas-private-feed-ended-{feed.key.pk}-{feed.ended_subscription_id}",
        title=_("Your subscription has ended"),
        description=_(
            "This private feed of %(show)s brings its episodes back as soon as "
            "you renew. Choose a plan at %(plans)s and this feed fills up again "
            "by itself, at the same address."
        )
        % {"show": feed.show.title, "plans": plans},
        link=plans,
        published_at=feed.since,
        audio=notice_audio(),
    )


def private_feed_file(
    *, feed: PrivateFeed, base_url: str, validators: FeedValidators, now: datetime
) -> FeedFile:
    """The feed's file at these validators, written on the key's first fetch.

    Raise PrivateFeedNotFound for a show an import is still writing.
    """
    if feed.show.importing:
        raise PrivateFeedNotFound
    return feed_file_get(
        show_id=feed.show.pk,
        name=f"key-{feed.key.pk}",
        digest=validators.key,
        write=lambda out: _private_feed_write(
            out, feed=feed, base_url=base_url, validators=validators, now=now
        ),
    )


def _private_feed_write(
    out: BinaryIO,
    *,
    feed: PrivateFeed,
    base_url: str,
    validators: FeedValidators,
    now: datetime,
) -> None:
    """The feed's document: every published episode, or the notice of the end."""
    links = private_feed_links(show=feed.show, token=feed.token)
    if not feed.entitled:
        feed_write(
            out,
            show=feed.show,
            base_url=base_url,
            validators=validators,
            episodes=[],
            links=links,
            private=True,
            notice=_ended_notice(feed, base_url),
        )
        return
    episodes = show_feed_episodes(show=feed.show, now=now, include_exclusive=True)
    feed_write(
        out,
        show=feed.show,
        base_url=base_url,
        validators=validators,
        episodes=episodes,
        links=links,
        private=True,
    )
