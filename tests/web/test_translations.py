"""The Spanish catalog is complete, and the committed .mo is the .po compiled."""

from __future__ import annotations

import gettext
import re
import shutil
from pathlib import Path

import polib  # type: ignore[import-untyped]
import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings

import ondas

PACKAGE_DIR = Path(ondas.__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "web" / "locale"
PO_PATH = LOCALE_DIR / "es" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
PLACEHOLDER_RE = re.compile(r"%\(\w+\)[sd]")


def _live_entries(po: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in po if not entry.obsolete]


def _catalog(mo_path: Path) -> dict[object, str]:
    with mo_path.open("rb") as mo:
        # The parsed table: msgid (or (msgid, n) for plurals) → translation.
        return dict(gettext.GNUTranslations(mo)._catalog)  # type: ignore[attr-defined]


def test_every_spanish_entry_is_translated() -> None:
    po = polib.pofile(str(PO_PATH))

    untranslated = [
        entry.msgid
        for entry in _live_entries(po)
        if not (
            all(entry.msgstr_plural.values()) if entry.msgid_plural else entry.msgstr
        )
    ]
    assert untranslated == []
    assert len(_live_entries(po)) > 100  # Apple's categories alone are over 100


def test_no_spanish_entry_is_fuzzy() -> None:
    po = polib.pofile(str(PO_PATH))

    assert [e.msgid for e in _live_entries(po) if "fuzzy" in e.flags] == []
    assert not po.metadata_is_fuzzy


def test_spanish_catalog_keeps_named_placeholders() -> None:
    po = polib.pofile(str(PO_PATH))

    for entry in _live_entries(po):
        wanted = set(PLACEHOLDER_RE.findall(entry.msgid))
        translations = (
            list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        )
        for translation in translations:
            assert set(PLACEHOLDER_RE.findall(translation)) == wanted, entry.msgid


def test_committed_mo_is_the_po_compiled(tmp_path: Path) -> None:
    fresh = tmp_path / "django.mo"
    polib.pofile(str(PO_PATH)).save_as_mofile(str(fresh))

    assert _catalog(MO_PATH) == _catalog(fresh), (
        "django.mo is stale: run `.venv/bin/python scripts/compile_messages.py`"
    )


def test_spanish_catalog_has_every_message_in_the_code(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """makemessages on a copy of the package finds no msgid the catalog lacks."""
    assert shutil.which("xgettext"), "GNU gettext is missing: run `make system-deps`"
    copy = tmp_path / "ondas"
    shutil.copytree(
        PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
    )
    settings.LOCALE_PATHS = [copy / "web" / "locale"]
    monkeypatch.chdir(copy)

    call_command("makemessages", locale=["es"], verbosity=0)

    extracted = polib.pofile(
        str(copy / "web" / "locale" / "es" / "LC_MESSAGES" / "django.po")
    )
    committed = polib.pofile(str(PO_PATH))
    wanted = {(e.msgctxt, e.msgid) for e in _live_entries(extracted)}
    have = {(e.msgctxt, e.msgid) for e in _live_entries(committed)}
    assert sorted(wanted - have, key=str) == [], (
        "regenerate the catalog: cd src/ondas && django-admin makemessages -l es"
    )
