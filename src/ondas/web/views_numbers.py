"""The creator's numbers in the studio: a show's and an episode's pages and
their CSV tables (issue 14, item 3).

Owners, editors and analysts of the show see them (``Role.ANALYST`` at
least: each studio role can do what the ones after it can); anyone else gets
the studio's 404 (StudioNotFound), whatever the id.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ondas.accounts.types import AuthedHttpRequest
from ondas.analytics.payouts.selectors import statements_csv, statements_for_show
from ondas.catalog.models import Show
from ondas.core import clock
from ondas.studio.episode_selectors import episode_get_for_studio
from ondas.studio.models import Role
from ondas.studio.selectors import membership_get_for_user
from ondas.web.numbers import (
    RANGES,
    csv_text,
    episode_numbers_table,
    range_days,
    show_numbers_table,
)
from ondas.web.numbers_cache import episode_numbers_body, show_numbers_body


class NumbersForm(forms.Form):
    """The range (30, 90 or 365 days) and the page of episodes; anything
    else is the default."""

    days = forms.TypedChoiceField(
        choices=[(n, n) for n in RANGES], coerce=int, required=False
    )
    page = forms.IntegerField(min_value=1, required=False)

    def values(self) -> tuple[int, int]:
        data = self.cleaned_data if self.is_valid() else {}
        return range_days(data.get("days") or None), data.get("page") or 1


def _show(request: AuthedHttpRequest, show_id: int) -> Show:
    # Raises StudioNotFound (404) without a role on the show.
    membership = membership_get_for_user(
        user=request.user, show_id=show_id, at_least=Role.ANALYST
    )
    assert membership.show is not None
    return membership.show


def _csv(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def show_numbers_view(request: AuthedHttpRequest, show_id: int) -> HttpResponse:
    show = _show(request, show_id)
    days, page = NumbersForm(request.GET).values()
    today = timezone.localdate(clock.now())
    context = {
        "body": show_numbers_body(show=show, days=days, page=page, today=today),
        "show": show,
        # Closed months only (``ondas payouts close``), newest first.
        "statements": statements_for_show(show=show),
    }
    return render(request, "ondas/numbers/show.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def show_numbers_csv_view(
    request: AuthedHttpRequest, show_id: int, table: str
) -> HttpResponse:
    show = _show(request, show_id)
    if table == "statements":
        text = statements_csv(statements_for_show(show=show))
        return _csv(text, f"{show.slug}-statements.csv")
    days, _page = NumbersForm(request.GET).values()
    today = timezone.localdate(clock.now())
    columns, rows = show_numbers_table(show=show, table=table, days=days, today=today)
    return _csv(csv_text(columns, rows), f"{show.slug}-{table}-{days}d.csv")


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def episode_numbers_view(
    request: AuthedHttpRequest, show_id: int, episode_id: int
) -> HttpResponse:
    show = _show(request, show_id)
    # StudioNotFound for another show's episode, or a deleted one.
    episode = episode_get_for_studio(show=show, episode_id=episode_id)
    days, _page = NumbersForm(request.GET).values()
    today = timezone.localdate(clock.now())
    body = episode_numbers_body(show=show, episode=episode, days=days, today=today)
    context = {"body": body, "show": show, "episode": episode, "days": days}
    return render(request, "ondas/numbers/episode.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def episode_numbers_csv_view(
    request: AuthedHttpRequest, show_id: int, episode_id: int, table: str
) -> HttpResponse:
    show = _show(request, show_id)
    episode = episode_get_for_studio(show=show, episode_id=episode_id)
    days, _page = NumbersForm(request.GET).values()
    today = timezone.localdate(clock.now())
    columns, rows = episode_numbers_table(
        episode=episode, table=table, days=days, today=today
    )
    return _csv(csv_text(columns, rows), f"{episode.slug}-{table}-{days}d.csv")
