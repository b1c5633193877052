"""Fail on a new migration that would break the version still running.

During a rolling deploy the migrations run first, while nodes of the previous
release still serve: a migration that drops or renames a column or table, or
adds a NOT NULL column the old code does not fill, breaks them. Such a change
ships in two releases: the code stops using the column (or starts filling it)
first; a later release carries the migration, marked as a contract step with
``contract = True`` on its ``Migration`` class.

"New" means not listed in ``scripts/released-migrations.txt`` (``app/name``
per line), the migrations of the last release, committed in the repository so
that CI's clean clone sees the same list. At a release, refresh it with
``scripts/check_migrations.py --release``. A released migration that is gone
or renamed is an error too: installations have it applied.

    scripts/check_migrations.py [--root DIR] [--baseline FILE] [--release]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = ROOT / "src" / "ondas"
DEFAULT_BASELINE = Path(__file__).resolve().parent / "released-migrations.txt"
BREAKING_SQL = re.compile(r"\b(DROP\s+(COLUMN|TABLE)|RENAME\s+(COLUMN|TO))\b", re.I)


@dataclass(frozen=True)
class Finding:
    migration: str
    why: str


def migration_files(root: Path) -> dict[str, Path]:
    """``app/name`` of every migration under ``root/<app>/migrations``."""
    found: dict[str, Path] = {}
    for path in sorted(root.glob("*/migrations/[0-9]*.py")):
        found[f"{path.parent.parent.name}/{path.stem}"] = path
    return found


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_migrations_" + name.replace("/", "_"), path
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _why(operation: Any) -> str | None:
    """Why this operation breaks the running version, or None."""
    from django.db import migrations

    kind = type(operation).__name__
    if isinstance(operation, migrations.SeparateDatabaseAndState):
        reasons = [_why(op) for op in operation.database_operations]
        return next((r for r in reasons if r), None)
    if isinstance(operation, migrations.RemoveField):
        return (
            f"{kind} {operation.model_name}.{operation.name} drops a column "
            "the running version still reads and writes"
        )
    if isinstance(operation, migrations.DeleteModel):
        return f"{kind} {operation.name} drops a table the running version uses"
    if isinstance(operation, migrations.RenameField):
        return (
            f"{kind} {operation.model_name}.{operation.old_name} → "
            f"{operation.new_name} renames a column the running version uses"
        )
    if isinstance(operation, migrations.RenameModel):
        return (
            f"{kind} {operation.old_name} → {operation.new_name} renames a table "
            "the running version uses"
        )
    if isinstance(operation, migrations.AlterModelTable):
        return f"{kind} {operation.name} renames a table the running version uses"
    if isinstance(operation, migrations.AddField):
        field = operation.field
        if field.many_to_many or field.null:
            return None
        from django.db.models import NOT_PROVIDED

        if getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            return None
        detail = (
            "its default is Python's only (Django drops it from the column "
            "after the migration); give it db_default"
            if field.has_default()
            else "it has no default"
        )
        return (
            f"{kind} {operation.model_name}.{operation.name} adds a NOT NULL "
            f"column that the running version's INSERTs leave out: {detail}, "
            "or make it null=True"
        )
    if isinstance(operation, migrations.RunSQL):
        sql = operation.sql if isinstance(operation.sql, str) else str(operation.sql)
        if BREAKING_SQL.search(sql):
            return f"{kind} drops or renames a column or table"
    return None


def check(*, root: Path, released: set[str]) -> list[Finding]:
    """Every reason to refuse the migrations under ``root``."""
    files = migration_files(root)
    findings = [
        Finding(name, "released, and now gone or renamed: installations have it")
        for name in sorted(released - files.keys())
    ]
    for name, path in files.items():
        if name in released:
            continue
        migration = _load(name, path).Migration
        if getattr(migration, "contract", False):
            continue
        for operation in migration.operations:
            why = _why(operation)
            if why:
                findings.append(Finding(name, why))
    return findings


def read_baseline(path: Path) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def write_baseline(path: Path, root: Path) -> int:
    names = sorted(migration_files(root))
    header = (
        "# Migrations of the last release (scripts/check_migrations.py).\n"
        "# Refresh at each release: scripts/check_migrations.py --release\n"
    )
    path.write_text(header + "".join(n + "\n" for n in names), encoding="utf-8")
    return len(names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    parser.add_argument(
        "--release",
        action="store_true",
        help="write the baseline: every migration now is released",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ondas.settings")
    import django

    django.setup()
    if args.release:
        count = write_baseline(args.baseline, args.root)
        print(f"check_migrations: {count} migrations written to {args.baseline}")
        return 0
    if not args.baseline.exists():
        print(f"check_migrations: no baseline at {args.baseline}", file=sys.stderr)
        return 2
    findings = check(root=args.root, released=read_baseline(args.baseline))
    for finding in findings:
        print(f"check_migrations: {finding.migration}: {finding.why}", file=sys.stderr)
    if findings:
        print(
            "check_migrations: ship a breaking change in two releases; once no "
            "running version uses what it changes, mark the migration with "
            "`contract = True` on its Migration class.",
            file=sys.stderr,
        )
        return 1
    print("check_migrations: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
