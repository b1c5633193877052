"""Reads of the studio. Every studio page finds its object through
``membership_get_for_user``: no role, no object (404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.translation import gettext as _

from ondas.accounts.models import User
from ondas.catalog.models import Audiobook, Category, Episode, Show, ShowCategory
from ondas.catalog.selectors import show_content_stamp
from ondas.catalog.visibility import episode_upcoming_q
from ondas.ingest.models import FeedSource
from ondas.ingest.selectors import feed_import_allowed, show_is_feed_managed
from ondas.studio.errors import StudioNotFound
from ondas.studio.models import Invitation, Membership, Role, ShowClaim

Target = Show | Audiobook

# The fields of an imported show that each refresh sets from its feed
# (catalog.services.show_update_from_feed): the studio shows them read-only.
FEED_OWNED_FIELDS = ("title", "author", "description", "language", "explicit")
# How long a show's episode counts stay in the cache (under its content
# version, so a write makes them unreachable at once): memory, not freshness.
COUNTS_SECONDS = 3600
MAX_ID = 2**63  # past the database's largest integer


def target_filter(target: Target) -> Q:
    """Rows of a studio model that belong to ``target``."""
    if isinstance(target, Show):
        return Q(show=target)
    return Q(audiobook=target)


def membership_get_for_user(
    *,
    user: User | AnonymousUser,
    at_least: str,
    show_id: int | None = None,
    audiobook_id: int | None = None,
) -> Membership:
    """This person's membership of the show or book, with its object, if their
    role includes ``at_least``; else raise StudioNotFound (404).

    Another creator's object, one that does not exist and one this person may
    only read answer the same, so an id says nothing about what is there.
    """
    if not isinstance(user, User) or not user.is_active or user.is_deleted:
        raise StudioNotFound()
    if (show_id is None) == (audiobook_id is None):
        raise ValueError("Pass exactly one of show_id and audiobook_id.")
    if not 0 < (show_id or audiobook_id or 0) < MAX_ID:
        # No row has it, and a lookup past the integer range would fail
        # (a foreign key's lookup is not bounded as an IntegerField's is).
        raise StudioNotFound()
    rows = Membership.objects.select_related("show", "audiobook").filter(user=user)
    if show_id is not None:
        rows = rows.filter(show_id=show_id)
    elif audiobook_id is not None:
        rows = rows.filter(audiobook_id=audiobook_id)
    membership = rows.first()
    if membership is None or not membership.at_least(at_least):
        raise StudioNotFound()
    return membership


def studio_create_allowed(*, user: User | AnonymousUser) -> bool:
    """Whether the person may create shows: creators and staff (as for imports)."""
    return feed_import_allowed(user=user)


@dataclass(frozen=True)
class DashboardRow:
    membership: Membership
    target: Target
    kind: str  # "show" or "book"
    items: int  # episodes, or a book's parts
    scheduled: int  # episodes still to be published
    follows_feed: bool
    drafts: int = 0  # episodes not published yet, nor scheduled

    @property
    def path_kind(self) -> str:
        """The kind as the studio's addresses spell it."""
        return "shows" if self.kind == "show" else "books"


def _episode_counts(*, shows: list[Show], now: datetime) -> dict[int, dict[str, int]]:
    """Each show's episodes, scheduled ones and drafts, by show id.

    Kept in the cache under the show's content stamp (``catalog.selectors``):
    every write of an episode bumps the show's version, and a scheduled
    episode going live changes the stamp too, so a kept count is the one a
    fresh read would give, without reading the episodes again.
    """
    keep = {
        show.pk: "studio.counts:" + show_content_stamp(show=show, now=now).key
        for show in shows
    }
    kept = cache.get_many(keep.values())
    counts: dict[int, dict[str, int]] = {
        pk: kept[key] for pk, key in keep.items() if key in kept
    }
    missing = [show.pk for show in shows if show.pk not in counts]
    if not missing:
        return counts
    fresh: dict[int, dict[str, int]] = {pk: {} for pk in missing}
    for row in (
        Episode.objects.filter(show_id__in=missing)
        .order_by()
        .values("show_id")
        .annotate(
            items=Count("pk", filter=~Q(status=Episode.Status.DELETED)),
            scheduled=Count("pk", filter=episode_upcoming_q(now=now)),
            drafts=Count("pk", filter=Q(status=Episode.Status.DRAFT)),
        )
    ):
        show_id = row.pop("show_id")
        fresh[show_id] = row
    cache.set_many(
        {keep[pk]: row for pk, row in fresh.items()},
        COUNTS_SECONDS,
    )
    return counts | fresh


def studio_dashboard(*, user: User, now: datetime) -> list[DashboardRow]:
    """The shows and books this person has a role on, with counts, shows
    first, by title; three queries, four when a show's counts are not in the
    cache."""
    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("show", "audiobook")
        .order_by("pk")
    )
    rows = dashboard_rows(memberships=memberships, now=now)
    rows.sort(key=lambda row: (row.kind != "show", row.target.title.lower()))
    return rows


def membership_list_for_user(*, user: User, kind: str) -> QuerySet[Membership]:
    """This person's memberships of shows (``kind`` "show") or of books
    ("book"), each with its object and its object's ``title``; unordered."""
    if kind not in ("show", "book"):
        raise ValueError(f"unknown kind: {kind!r}")
    target = "show" if kind == "show" else "audiobook"
    return (
        Membership.objects.filter(user=user, **{f"{target}__isnull": False})
        .select_related(target)
        .annotate(title=F(f"{target}__title"))
    )


def dashboard_rows(
    *, memberships: list[Membership], now: datetime
) -> list[DashboardRow]:
    """A dashboard row for each of ``memberships`` (with their objects), in
    their order; two queries, three when a show's counts are not in the cache.

    The episode counts come from one grouped read of the episodes table (the
    ``catalog_ep_show_state`` index covers it), not from joins on every show:
    with a few shows of a thousand episodes each, the joined annotation cost
    more than the rest of the page.
    """
    show_ids = [m.show_id for m in memberships if m.show_id is not None]
    book_ids = [m.audiobook_id for m in memberships if m.audiobook_id is not None]
    counts = _episode_counts(
        shows=[m.show for m in memberships if m.show is not None], now=now
    )
    # A show whose owner stopped following its feed does not follow it.
    followed = set(
        FeedSource.objects.filter(
            show_id__in=show_ids, detached_at__isnull=True
        ).values_list("show_id", flat=True)
    )
    shows = {m.show_id: m.show for m in memberships if m.show is not None}
    books = {
        b.pk: b
        for b in Audiobook.objects.filter(pk__in=book_ids).annotate(
            items=Count("parts")
        )
    }
    rows: list[DashboardRow] = []
    for membership in memberships:
        if membership.show_id is not None and membership.show_id in shows:
            show = shows[membership.show_id]
            count = counts.get(show.pk, {})
            rows.append(
                DashboardRow(
                    membership,
                    show,
                    "show",
                    count.get("items", 0),
                    count.get("scheduled", 0),
                    show.pk in followed,
                    count.get("drafts", 0),
                )
            )
        elif membership.audiobook_id in books:
            book = books[membership.audiobook_id]
            items = book.items
            rows.append(DashboardRow(membership, book, "book", items, 0, False))
    return rows


def show_follows_feed(*, show: Show) -> bool:
    """Whether the show is imported, and its refreshes set its feed fields."""
    return show_is_feed_managed(show=show)


def show_feed_source(*, show: Show) -> FeedSource | None:
    """The feed the show was imported from, followed or not (None if made here)."""
    return FeedSource.objects.filter(show=show).first()


def member_list(*, target: Target) -> QuerySet[Membership]:
    """The members of a show or book: owners, then editors, then analysts."""
    rank = Case(
        *[When(role=role, then=Value(n)) for n, role in enumerate(Role.values)],
        output_field=IntegerField(),
    )
    return (
        Membership.objects.filter(target_filter(target))
        .select_related("user")
        .annotate(rank=rank)
        .order_by("rank", "user__email")
    )


def invitation_list_open(*, target: Target, now: datetime) -> QuerySet[Invitation]:
    """Invitations to a show or book not yet accepted, revoked or expired."""
    return Invitation.objects.filter(
        target_filter(target),
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).order_by("-created_at", "-pk")


def owner_count(*, target: Target) -> int:
    return Membership.objects.filter(target_filter(target), role=Role.OWNER).count()


def category_list() -> list[Category]:
    """Apple's categories, each with its parent, for the show form."""
    return list(Category.objects.select_related("parent").order_by("pk"))


def show_primary_category(*, show: Show) -> Category | None:
    """The show's first category, the one its feed lists first."""
    link = (
        ShowCategory.objects.filter(show=show)
        .select_related("category__parent")
        .order_by("position")
        .first()
    )
    return link.category if link else None


def member_get(*, target: Target, membership_id: int) -> Membership:
    """A membership of ``target``; raise StudioNotFound for any other id."""
    membership = (
        Membership.objects.filter(target_filter(target), pk=membership_id)
        .select_related("user", "show", "audiobook")
        .first()
    )
    if membership is None:
        raise StudioNotFound()
    return membership


def invitation_get(*, target: Target, invitation_id: int) -> Invitation:
    """An invitation to ``target``; raise StudioNotFound for any other id."""
    invitation = Invitation.objects.filter(
        target_filter(target), pk=invitation_id
    ).first()
    if invitation is None:
        raise StudioNotFound()
    return invitation


def show_claim_open(*, show: Show, user: User, now: datetime) -> ShowClaim | None:
    """This person's claim on the show still waiting for its code in the feed."""
    return ShowClaim.objects.filter(
        show=show, user=user, proven_at__isnull=True, expires_at__gt=now
    ).first()


def user_by_email(*, email: str) -> User | None:
    """The live account with this address, if any."""
    return User.objects.filter(
        email__iexact=email.strip(), deleted_at__isnull=True
    ).first()


def studio_target_by_slug(*, slug: str, book: bool = False) -> Target | None:
    """The show (or, with ``book``, the audiobook) at ``slug``, if any."""
    if book:
        return Audiobook.objects.filter(slug=slug).first()
    return Show.objects.filter(slug=slug).first()


def membership_list_for_export(*, user: User) -> list[dict[str, object]]:
    """The shows and books this person helps make, for their data export."""
    rows = Membership.objects.filter(user=user).select_related("show", "audiobook")
    return [
        {
            "kind": "show" if m.show_id else "audiobook",
            "title": m.target.title,
            "role": m.role,
        }
        for m in rows.order_by("pk")
    ]


def membership_deletion_refusals(*, user: User) -> list[str]:
    """Why this person may not delete their account: shows and books they
    are the last owner of, which would be left with nobody to run them."""
    owned = Membership.objects.filter(user=user, role=Role.OWNER).select_related(
        "show", "audiobook"
    )
    reasons: list[str] = []
    for membership in owned.order_by("pk"):
        others = (
            Membership.objects.filter(role=Role.OWNER)
            .filter(
                Q(show_id=membership.show_id)
                if membership.show_id
                else Q(audiobook_id=membership.audiobook_id)
            )
            .exclude(user=user)
        )
        if not others.exists():
            reasons.append(
                _(
                    "You are the last owner of “%(title)s”: make someone else "
                    "its owner in the studio, or delete it, first."
                )
                % {"title": membership.target.title}
            )
    return reasons
