"""Validators the catalog's fields share."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# BCP 47 as podcast feeds use it: a primary language subtag, then optional
# script/region/variant subtags ("en", "es-MX", "zh-Hant-TW").
BCP47_RE = (
    r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8})*$"
)
bcp47_validator = RegexValidator(
    BCP47_RE, _("Enter a BCP 47 language tag, such as “en” or “es-MX”.")
)
