"""scripts/check_migrations.py on a temporary app: what breaks the running
release is refused with its reason, unless marked as a contract step."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_migrations.py"

INITIAL = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Thing",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("name", models.CharField(max_length=20)),
            ],
        ),
    ]
"""
CHANGE = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tmpapp", "0001_initial")]
{extra}
    operations = [{operation}]
"""


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_migrations_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


check_migrations = _script()


def _app(tmp_path: Path, operation: str, *, contract: bool = False) -> Path:
    migrations = tmp_path / "tmpapp" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "__init__.py").write_text("")
    (migrations / "0001_initial.py").write_text(INITIAL)
    extra = "    contract = True" if contract else ""
    (migrations / "0002_change.py").write_text(
        CHANGE.format(operation=operation, extra=extra)
    )
    return tmp_path


@pytest.mark.parametrize(
    ("operation", "why"),
    [
        ('migrations.RemoveField("thing", "name")', "drops a column"),
        ('migrations.RenameField("thing", "name", "title")', "renames a column"),
        ('migrations.DeleteModel("Thing")', "drops a table"),
        ('migrations.RenameModel("Thing", "Item")', "renames a table"),
        ('migrations.AlterModelTable("thing", "things")', "renames a table"),
        (
            'migrations.AddField("thing", "size", models.IntegerField())',
            "adds a NOT NULL column that the running version's INSERTs leave out: "
            "it has no default",
        ),
        (
            'migrations.AddField("thing", "size", models.IntegerField(default=0))',
            "give it db_default",
        ),
        (
            'migrations.RunSQL("ALTER TABLE thing DROP COLUMN name", "")',
            "drops or renames a column or table",
        ),
        (
            "migrations.SeparateDatabaseAndState(database_operations=["
            'migrations.RemoveField("thing", "name")])',
            "drops a column",
        ),
    ],
)
def test_a_new_migration_that_breaks_the_running_release_is_refused(
    tmp_path: Path, operation: str, why: str
) -> None:
    root = _app(tmp_path, operation)
    findings = check_migrations.check(root=root, released={"tmpapp/0001_initial"})
    assert [f.migration for f in findings] == ["tmpapp/0002_change"]
    assert why in findings[0].why


@pytest.mark.parametrize(
    "operation",
    [
        'migrations.AddField("thing", "size", models.IntegerField(null=True))',
        'migrations.AddField("thing", "size", models.IntegerField(db_default=0))',
        'migrations.AddField("thing", "tags", models.ManyToManyField("self"))',
        'migrations.AlterField("thing", "name", models.CharField(max_length=40))',
    ],
)
def test_a_change_the_running_release_survives_passes(
    tmp_path: Path, operation: str
) -> None:
    root = _app(tmp_path, operation)
    assert check_migrations.check(root=root, released={"tmpapp/0001_initial"}) == []


def test_a_released_migration_is_not_checked_again_and_a_contract_step_passes(
    tmp_path: Path,
) -> None:
    root = _app(tmp_path, 'migrations.RemoveField("thing", "name")', contract=True)
    assert check_migrations.check(root=root, released={"tmpapp/0001_initial"}) == []
    released = {"tmpapp/0001_initial", "tmpapp/0002_change"}
    other = _app(tmp_path / "b", 'migrations.RemoveField("thing", "name")')
    assert check_migrations.check(root=other, released=released) == []


def test_a_released_migration_that_is_gone_is_refused(tmp_path: Path) -> None:
    root = _app(tmp_path, 'migrations.RemoveField("thing", "name")', contract=True)
    findings = check_migrations.check(
        root=root, released={"tmpapp/0001_initial", "tmpapp/0001_first"}
    )
    assert [(f.migration, "now gone" in f.why) for f in findings] == [
        ("tmpapp/0001_first", True)
    ]


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.setdefault("ONDAS_SECRET_KEY", "check-migrations-test-not-secret")
    return subprocess.run(
        [sys.executable, str(SCRIPT), *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_script_fails_with_the_reason_and_the_way_out(tmp_path: Path) -> None:
    root = _app(tmp_path, 'migrations.RemoveField("thing", "name")')
    baseline = tmp_path / "released.txt"
    baseline.write_text("# released\ntmpapp/0001_initial\n")
    ran = _run("--root", str(root), "--baseline", str(baseline))
    assert ran.returncode == 1
    assert (
        "check_migrations: tmpapp/0002_change: RemoveField thing.name drops a column"
        in ran.stderr
    )
    assert "`contract = True`" in ran.stderr

    written = _run("--root", str(root), "--baseline", str(baseline), "--release")
    assert written.returncode == 0, written.stderr
    assert "tmpapp/0002_change" in baseline.read_text()
    assert _run("--root", str(root), "--baseline", str(baseline)).returncode == 0


def test_the_repository_migrations_pass_against_the_committed_baseline() -> None:
    ran = _run()
    assert ran.returncode == 0, ran.stderr
    assert "check_migrations: ok" in ran.stdout
