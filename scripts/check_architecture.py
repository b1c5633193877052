"""Fail when the code breaks the rules of ../shared/DESIGN.md and STYLE.md.

- imports only point down the layers (faces → features → sources → billing →
  domain → core), and never sideways between two apps of one layer below the
  faces;
- no import cycle between modules, counting imports inside functions;
- views stay thin: no ORM managers, saves or transactions in views.py;
- selectors only read: they import no services;
- no module, Python or JavaScript (vendored libraries aside), grows past the
  size where it should become a package or be split;
- migration files have descriptive names (no ``auto_``/``merge_``).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "ondas"

# Each app's layer; an import may only point to a lower number.
LAYERS: dict[str, int] = {
    # faces
    "web": 6,
    "api": 6,
    "ops": 6,
    # features
    "studio": 5,
    "analytics": 5,
    "search": 5,
    "feeds": 5,
    "library": 5,
    # what was heard and the audio it was heard from: analytics rolls up
    # playback's heard spans (issue 14), so playback sits below the features
    "playback": 4,
    # what features lean on: imported shows, feed credentials
    "ingest": 3,
    "feedkeys": 3,
    # the right to listen
    "billing": 2,
    # domain
    "accounts": 1,
    "catalog": 1,
    # ground
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


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports_of(module: str, path: Path, tree: ast.AST, known: set[str]) -> set[str]:
    """The Ondas modules ``module`` imports, anywhere in its body."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            # A module's own package (its __init__) is not an edge back.
            if name and name != module and not module.startswith(name + "."):
                found.add(name)
    return found


def import_cycles(trees: dict[Path, ast.AST]) -> list[list[str]]:
    """Every set of modules that import each other, directly or round about."""
    names = {path: _module_name(path) for path in trees}
    known = set(names.values())
    graph = {
        names[path]: _imports_of(names[path], path, tree, known)
        for path, tree in trees.items()
    }
    # Tarjan's strongly connected components, iterative (no recursion limit).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            child = next(edges, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def check() -> list[str]:
    problems: list[str] = []
    trees: dict[Path, ast.AST] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        text = path.read_text()
        app = rel.parts[0] if len(rel.parts) > 1 else None
        if "migrations" in rel.parts:
            if re.match(r"\d{4}_(auto_|merge_)", path.name):
                problems.append(f"{rel}: name migrations with --name <model>_<change>")
            continue
        tree = trees[path] = ast.parse(text)
        if app in LAYERS:
            for other in _imported_apps(tree) - {app}:
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
    for path in sorted(PACKAGE.rglob("*.js")):
        rel = path.relative_to(PACKAGE)
        if "vendor" in rel.parts:
            continue  # libraries kept as their authors ship them
        lines = path.read_text().count("\n")
        if lines > MAX_LINES:
            problems.append(f"{rel}: {lines} lines; split it into modules")
    for cycle in import_cycles(trees):
        problems.append(
            "import cycle: " + " <-> ".join(cycle) + " (put a task beside the "
            "service it runs, or enqueue by name)"
        )
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
