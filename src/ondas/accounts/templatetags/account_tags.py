"""Template tags of the account pages."""

from __future__ import annotations

from django import template
from django.template.context import Context
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from ondas.accounts.sections import RenderedSection

register = template.Library()


@register.simple_tag(takes_context=True)
def account_section(context: Context, section: RenderedSection) -> SafeString:
    """Render a section another context registered for the account page."""
    request = context.get("request")
    return render_to_string(
        section.template_name,
        {**section.context, "account_user": context.get("account_user")},
        request=request,
    )
