#!/usr/bin/env python3
"""Compile every ``django.po`` under ``src/ondas`` into its ``django.mo`` with polib.

The compiled catalogs are committed so that ``make run`` works on machines
without GNU gettext. After editing a ``.po`` file (or regenerating it with
``cd src/ondas && django-admin makemessages -l es --settings=ondas.settings``),
run::

    .venv/bin/python scripts/compile_messages.py

It refuses to compile a catalog that still has fuzzy or empty entries, since
Django would show those strings in English.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polib  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "ondas"


def catalog_problems(po: polib.POFile) -> list[str]:
    """Return the msgids that are fuzzy or have no translation."""
    problems = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural:
            if not all(entry.msgstr_plural.values()):
                problems.append(f"untranslated: {entry.msgid!r}")
        elif not entry.msgstr:
            problems.append(f"untranslated: {entry.msgid!r}")
    return problems


def compile_catalog(po_path: Path, *, allow_incomplete: bool = False) -> list[str]:
    """Write ``po_path``'s .mo beside it; return the problems found."""
    po = polib.pofile(str(po_path))
    problems = catalog_problems(po)
    if problems and not allow_incomplete:
        return problems
    po.save_as_mofile(str(po_path.with_suffix(".mo")))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="compile even if some entries are fuzzy or untranslated",
    )
    args = parser.parse_args(argv)
    failed = False
    po_paths = sorted(SOURCE.glob("**/locale/*/LC_MESSAGES/django.po"))
    if not po_paths:
        print(f"No django.po under {SOURCE}", file=sys.stderr)
        return 1
    for po_path in po_paths:
        problems = compile_catalog(po_path, allow_incomplete=args.allow_incomplete)
        relative = po_path.relative_to(ROOT)
        if problems and not args.allow_incomplete:
            failed = True
            print(
                f"{relative}: not compiled, {len(problems)} problem(s):",
                file=sys.stderr,
            )
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
        else:
            suffix = f" ({len(problems)} incomplete)" if problems else ""
            print(f"{relative.with_suffix('.mo')}: compiled{suffix}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
