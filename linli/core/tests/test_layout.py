"""The layout's rules (docs/architecture.md): core imports no module, and no two modules import each other.

Both read the source with `ast`, every import wherever it is (top level, inside a function, under
TYPE_CHECKING): a deferred import still ties the two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import linli

ROOT = Path(linli.__file__).parent


def _module_name(path: Path) -> str:
    parts = ["linli", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    """Linli's modules, without tests and migrations (tests may import anything)."""
    return {
        _module_name(path): path
        for path in ROOT.rglob("*.py")
        if not {"tests", "migrations"} & set(path.relative_to(ROOT).parts)
    }


def _imports(name: str, path: Path) -> set[str]:
    """Every module `path` imports, absolute; `from a import b` counts as both a and a.b."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module or ""]))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _apps() -> set[str]:
    return {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def test_core_imports_no_module():
    others = _apps() - {"core"}
    wrong = sorted(
        f"{name} imports {target}"
        for name, path in _sources().items()
        if name.startswith("linli.core.") or name == "linli.core"
        for target in _imports(name, path)
        if target.split(".")[0] == "linli" and target.split(".")[1:2] and target.split(".")[1] in others
    )
    assert not wrong, "core must not import a module (arrows point down to core):\n" + "\n".join(wrong)


def test_the_import_rule_sees_deferred_and_type_only_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from linli.accounts.models import User\n"
        "def f():\n    from linli.cases import selectors\n",
        encoding="utf-8",
    )
    found = _imports("linli.core.sample", sample)
    assert {"linli.accounts.models", "linli.cases.selectors"} <= found


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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


def test_no_import_cycles_between_modules():
    sources = _sources()
    edges = {
        name: {t for t in _imports(name, path) if t in sources and t != name}
        for name, path in sources.items()
    }
    cycles = _cycles(edges)
    assert not cycles, "modules that import each other (directly or round a circle):\n" + "\n".join(
        " ↔ ".join(c) for c in cycles
    )


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_modules_parts_are_found_in_the_order_of_installed_apps(world):
    from linli.core.cli import build_parser
    from linli.core.demo import demo_steps
    from linli.core.modules import home_cards, nav_items

    assert [step.__name__ for step in demo_steps()] == [
        "linli.areas.demo",
        "linli.registry.demo",
        "linli.cases.demo",
        "linli.visits.demo",
        "linli.volunteers.demo",
        "linli.timebank.demo",
        "linli.party.demo",
        "linli.assessment.demo",
        "linli.opinions.demo",
        "linli.notices.demo",
        "linli.surveys.demo",
        "linli.partners.demo",
        "linli.portal.demo",
        "linli.dashboards.demo",
    ]
    # Within a section, app order; the configuration and system entries close the menu.
    assert [item.url_name for item in nav_items()] == [
        "core:home",
        "core:search",
        "areas:tree",
        "registry:residents",
        "transfers:imports",
        "cases:inbox",
        "cases:list",
        "visits:todo",
        "visits:diary",
        "volunteers:list",
        "volunteers:activities",
        "timebank:requests",
        "timebank:accounts",
        "party:home",
        "assessment:rounds",
        "assessment:mine",
        "assessment:departments",
        "opinions:list",
        "notices:list",
        "surveys:list",
        "partners:list",
        "portal_admin:requests",
        "dashboards:dashboard",
        "dashboards:map",
        "dashboards:profile",
        "cases:categories",
        "core:audit",
    ]
    assert [card.template for card in home_cards(world.street_admin)] == [
        "accounts/home_me.html",
        "dashboards/home_card.html",
        "areas/home_figures.html",
        "visits/home_coverage.html",
        "party/home_card.html",
        "areas/home_grids.html",
        "opinions/home_todo.html",
        "notices/home_todo.html",
        "portal/home_card.html",
    ]
    # A department handler reads no areas or visits: their home page points to their cases instead.
    assert [card.template for card in home_cards(world.department)] == [
        "accounts/home_me.html",
        "dashboards/home_card.html",
        "cases/home_department.html",
    ]
    import argparse

    parser = build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands = list(sub.choices)
    assert commands == [
        *["init", "serve", "worker", "demo"],
        *[
            "user",
            "token",
            "area",
            "tag",
            "registry",
            "import",
            "export",
            "category",
            "department",
            "holiday",
            "case",
            "care-plan",
            "volunteer",
            "assessment",
            "survey",
            "portal",
        ],
        *["tick", "audit", "backup", "restore", "check", "bench"],
    ]
