from __future__ import annotations

from typing import Any

from linli.core.capabilities import Capability  # noqa: F401  (re-exported: modules check it from here)
from linli.core.errors import Forbidden, NotFound
from linli.core.scoping import path_in_scope


def require(actor: Any, capability: Capability) -> None:
    """Refuse unless `actor` has the capability. `None` is the console operator: trusted."""
    if actor is None:
        return
    if not actor.can(capability):
        raise Forbidden()


def require_path_in_scope(actor: Any, path: str) -> None:
    if actor is None:
        return
    if not path_in_scope(path, actor.scope_paths()):
        raise NotFound()
