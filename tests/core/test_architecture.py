"""The architecture check finds what it promises to find."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_architecture.py"


@pytest.fixture(scope="module")
def arch() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_architecture", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_architecture"] = module
    spec.loader.exec_module(module)
    return module


def _trees(root: Path, files: dict[str, str]) -> dict[Path, ast.AST]:
    trees: dict[Path, ast.AST] = {}
    for name, text in files.items():
        path = root / "ondas" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        trees[path] = ast.parse(text)
    return trees


def test_a_cycle_hidden_inside_a_function_is_found(
    arch: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(arch, "PACKAGE", tmp_path / "ondas")
    trees = _trees(
        tmp_path,
        {
            "__init__.py": "",
            "ingest/__init__.py": "",
            "ingest/tasks.py": "from ondas.ingest.services import refresh\n",
            "ingest/services/__init__.py": "",
            "ingest/services/refresh.py": (
                "def later():\n    from ondas.ingest import tasks\n"
            ),
            "ingest/selectors.py": "from ondas.ingest.services import refresh\n",
        },
    )

    cycles = arch.import_cycles(trees)

    assert cycles == [["ondas.ingest.services.refresh", "ondas.ingest.tasks"]]


def test_relative_imports_and_package_parents_are_not_cycles(
    arch: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(arch, "PACKAGE", tmp_path / "ondas")
    trees = _trees(
        tmp_path,
        {
            "__init__.py": "",
            "billing/__init__.py": "",
            "billing/services/__init__.py": "from .ledger import charge\n",
            "billing/services/ledger.py": "from ondas.billing import money\n",
            "billing/money.py": "",
        },
    )

    assert arch.import_cycles(trees) == []


def test_the_tree_as_committed_passes(arch: ModuleType) -> None:
    assert arch.check() == []


def test_a_javascript_module_past_the_limit_is_reported_unless_vendored(
    arch: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(arch, "PACKAGE", tmp_path / "ondas")
    static = tmp_path / "ondas" / "web" / "static" / "ondas"
    (static / "vendor").mkdir(parents=True)
    line = "export const x = 1;\n"
    (static / "fits.js").write_text(line * arch.MAX_LINES)
    (static / "long.js").write_text(line * (arch.MAX_LINES + 1))
    (static / "vendor" / "library.js").write_text(line * 5000)

    assert arch.check() == [
        f"web/static/ondas/long.js: {arch.MAX_LINES + 1} lines; split it into modules"
    ]
