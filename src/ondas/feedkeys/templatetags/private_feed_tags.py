"""Template tags of the account page's private feeds section."""

from __future__ import annotations

from django import template
from django.template.context import Context
from django.urls import reverse

from ondas.catalog.models import Show

register = template.Library()


@register.simple_tag(takes_context=True)
def private_feed_url(context: Context, token: str, show: Show) -> str:
    """The private feed's full address, on the host the page was asked from."""
    path = reverse("feeds:private-feed", args=[token, show.slug])
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path
