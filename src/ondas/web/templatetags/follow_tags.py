"""The Follow / Following button of a show, for any page that shows one."""

from __future__ import annotations

from django import template
from django.template.context import Context

from ondas.accounts.models import User
from ondas.catalog.models import Show
from ondas.library.selectors import follow_exists

register = template.Library()


@register.inclusion_tag("ondas/_follow.html", takes_context=True)
def follow_button(context: Context, show: Show) -> dict[str, object]:
    """A POST form to follow or unfollow; a sign-in link for visitors."""
    request = context["request"]
    user = getattr(request, "user", None)
    return {
        "show": show,
        "signed_in": isinstance(user, User),
        "following": isinstance(user, User) and follow_exists(user=user, show=show),
        "here": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
