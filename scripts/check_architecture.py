"""Fail when the code breaks the rules of ../shared/DESIGN.md and STYLE.md.

- imports only point down the layers (faces → features → billing → domain → core);
- views stay thin: no ORM managers, saves or transactions in views.py;
- selectors only read: they import no services;
- no module grows past the size where it should become a package;
- migration files have descriptive names (no ``auto_``/``merge_``).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "ondas"

LAYERS: dict[str, int] = {
    "web": 4,
    "api": 4,
    "ops": 4,
    "studio": 3,
    "feeds": 3,
    "playback": 3,
    "billing": 2,
    "accounts": 1,
    "catalog": 1,
    "core": 0,
}
FACES = {"web", "api", "ops"}
MAX_LINES = 500
THIN_VIEW_RE = re.compile(r"\.objects\.|\.save\(|\btransaction\b")


def _imported_apps(tree: ast.AST) -> set[str]:
    apps: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "ondas" and len(parts) > 1 and parts[1] in LAYERS:
                apps.add(parts[1])
    return apps


def check() -> list[str]:
    problems: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        text = path.read_text()
        app = rel.parts[0] if len(rel.parts) > 1 else None
        if "migrations" in rel.parts:
            if re.match(r"\d{4}_(auto_|merge_)", path.name):
                problems.append(f"{rel}: name migrations with --name <model>_<change>")
            continue
        if app in LAYERS:
            for other in _imported_apps(ast.parse(text)) - {app}:
                same_layer = LAYERS[other] == LAYERS[app]
                if LAYERS[other] > LAYERS[app] or (same_layer and app not in FACES):
                    problems.append(f"{rel}: {app} may not import ondas.{other}")
        if path.name == "selectors.py" and re.search(
            r"^from ondas\.\w+\.services\b", text, re.MULTILINE
        ):
            problems.append(f"{rel}: selectors read; they may not import services")
        if path.name.endswith(("views.py", "apis.py")):
            for number, line in enumerate(text.splitlines(), 1):
                if THIN_VIEW_RE.search(line.split("#")[0]):
                    problems.append(
                        f"{rel}:{number}: keep ORM and transactions out of views"
                    )
        lines = text.count("\n")
        if lines > MAX_LINES:
            problems.append(f"{rel}: {lines} lines; split it into a package")
    return problems


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} architecture problem(s)")
        return 1
    print("architecture: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
