"""The template filters: clock times, lengths, language names, ?t= values."""

from __future__ import annotations

import pytest
from django.utils import translation

from ondas.web.templatetags import ondas_tags


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0:00"),
        (720.0, "12:00"),
        (2379, "39:39"),
        (3723.9, "1:02:03"),
        (None, "0:00"),
    ],
)
def test_clock(seconds: float | None, expected: str) -> None:
    assert ondas_tags.clock(seconds) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, "0 min"), (20, "1 min"), (2892, "48 min"), (3600, "1 h"), (3900, "1 h 5 min")],
)
def test_duration_words(seconds: float, expected: str) -> None:
    with translation.override("en"):
        assert ondas_tags.duration_words(seconds) == expected


@pytest.mark.parametrize(
    ("tag", "language", "expected"),
    [
        ("en", "es", "inglés"),
        ("es-MX", "es", "español"),
        ("fr", "es", "francés"),
        ("en", "en", "English"),
        ("es-MX", "en", "Spanish"),
        ("tlh", "es", "tlh"),  # no name known: the tag itself
        ("", "es", ""),
    ],
)
def test_language_name(tag: str, language: str, expected: str) -> None:
    with translation.override(language):
        assert ondas_tags.language_name(tag) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("720", "720"), ("12:00", "720"), ("1:02:03", "3723"), ("", ""), ("x", "")],
)
def test_start_param(value: str, expected: str) -> None:
    assert ondas_tags.start_param(value) == expected


def test_player_speeds_use_the_locale_decimal_mark() -> None:
    with translation.override("es"):
        speeds = dict(ondas_tags.player_speeds())

    assert list(speeds) == list(ondas_tags.PLAYER_SPEEDS)
    assert speeds["1.5"] == "1,5×"
    assert speeds["1"] == "1×"


def test_artwork_placeholder_helpers() -> None:
    assert ondas_tags.initials("The Backend Engineering Show") == "TB"
    assert ondas_tags.initials("¡Hola, mundo!") == "HM"
    assert ondas_tags.initials("— 99 —") == "9"
    tone = ondas_tags.placeholder_tone("Sala de Máquinas")
    assert 0 <= tone < 12
    assert ondas_tags.placeholder_tone("Sala de Máquinas") == tone


def test_error_heading() -> None:
    with translation.override("es"):
        assert ondas_tags.error_heading(404) == "Página no encontrada"
        assert ondas_tags.error_heading(500) == "Algo ha fallado por nuestra parte"
        assert ondas_tags.error_heading(409) == "No hemos podido completar la solicitud"
