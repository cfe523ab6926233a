"""`linli demo`: one orchestrator for the demo data every module brings.

Each module that has demo data says so in its own `demo.py`:

- `demo_build(ctx: DemoContext) -> None` makes its rows and records how many in `ctx.counts`;
- `DEMO_AFTER = ("areas", …)`, the app labels whose demo data it builds on (default: none);
- optionally `demo_exists() -> bool` and `demo_logins() -> list[DemoLogin]`.

The steps run in one transaction, each after the ones it names, otherwise in the order of
INSTALLED_APPS. Core finds them through the app registry and imports no module. Demo data is
reproducible per seed: each step seeds its own random source from `ctx.seed`.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from django.apps import apps
from django.db import transaction

from linli.core.errors import DomainError

# Printed by `linli demo`; demo data is for trying Linli out and never belongs in production.
DEMO_PASSWORD = "linli-demo-2026"  # noqa: S105


@dataclass
class DemoLogin:
    username: str
    role: str
    area: str
    name: str


@dataclass
class DemoContext:
    seed: int
    # How many of something to make, by name ("residents", "cases"); a step uses its own default otherwise.
    sizes: dict[str, int] = field(default_factory=dict)
    # The demo street (an areas.Area), set by the step that builds it; the later steps fill it.
    street: Any = None
    # What the steps made, in the order `linli demo` reports it: {"areas": 23, "users": 28, …}.
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class DemoResult:
    counts: dict[str, int]
    logins: list[DemoLogin]

    def __getattr__(self, name: str) -> int:
        # result.residents, result.cases …: the counts by name, whichever modules made them.
        try:
            return self.__dict__["counts"][name]
        except KeyError:
            raise AttributeError(name) from None


def demo_steps() -> list[ModuleType]:
    """The modules' `demo` modules, each after those it names in DEMO_AFTER."""
    found: dict[str, ModuleType] = {}
    for config in apps.get_app_configs():
        if importlib.util.find_spec(f"{config.name}.demo") is None:
            continue
        module = importlib.import_module(f"{config.name}.demo")
        if hasattr(module, "demo_build"):
            found[config.label] = module
    ordered: list[str] = []
    while len(ordered) < len(found):
        ready = [
            label
            for label, module in found.items()
            if label not in ordered
            and all(dep in ordered or dep not in found for dep in getattr(module, "DEMO_AFTER", ()))
        ]
        if not ready:
            raise RuntimeError(f"demo steps wait on each other: {sorted(set(found) - set(ordered))}")
        ordered.append(ready[0])
    return [found[label] for label in ordered]


def demo_exists() -> bool:
    return any(step.demo_exists() for step in demo_steps() if hasattr(step, "demo_exists"))


def demo_logins() -> list[DemoLogin]:
    """The demo accounts worth showing, as they are in the database now."""
    return [login for step in demo_steps() if hasattr(step, "demo_logins") for login in step.demo_logins()]


@transaction.atomic
def build_demo(*, seed: int = 2026, **sizes: int) -> DemoResult:
    steps = demo_steps()
    if not steps:
        raise DomainError("no installed module has demo data")
    ctx = DemoContext(seed=seed, sizes=sizes)
    for step in steps:
        step.demo_build(ctx)
    return DemoResult(counts=ctx.counts, logins=demo_logins())
