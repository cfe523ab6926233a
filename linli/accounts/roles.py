"""Roles and what each may do. The capabilities themselves are core's (core.permissions.Capability, imported
here for the modules that check them); scope (which areas) is separate: see core.scoping."""

from __future__ import annotations

from django.db import models

from linli.core.permissions import Capability


class Role(models.TextChoices):
    STREET_ADMIN = "street_admin", "街道管理员"
    COMMUNITY_LEADER = "community_leader", "社区负责人"
    COMMUNITY_WORKER = "community_worker", "社区工作者"
    GRID_WORKER = "grid_worker", "网格员"
    DEPARTMENT_HANDLER = "department_handler", "职能部门处置人"
    VIEWER = "viewer", "只读查看"


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.STREET_ADMIN: frozenset(Capability) - {Capability.OPERATE},
    Role.COMMUNITY_LEADER: frozenset(
        {
            Capability.READ_SCOPE,
            Capability.WRITE,
            Capability.KEEP_REGISTRY,
            Capability.REVEAL_PERSONAL,
            Capability.VIEW_SENSITIVE,
            Capability.EXPORT,
            Capability.DISPATCH,
            Capability.SUPERVISE,
            Capability.ASSESS,
            Capability.RUN_SURVEYS,
            Capability.KEEP_PARTNERS,
            Capability.MANAGE_VOLUNTEERS,
            # The community's party secretary is usually its leader too (书记、主任一肩挑).
            Capability.PARTY,
            Capability.PARTY_MANAGE,
            Capability.PARTY_BRANCH,
        }
    ),
    Role.COMMUNITY_WORKER: frozenset(
        {
            Capability.READ_SCOPE,
            Capability.WRITE,
            Capability.KEEP_REGISTRY,
            Capability.VIEW_SENSITIVE,
            Capability.EXPORT,
            Capability.DISPATCH,
            Capability.RUN_SURVEYS,
            Capability.KEEP_PARTNERS,
            Capability.MANAGE_VOLUNTEERS,
        }
    ),
    Role.GRID_WORKER: frozenset({Capability.READ_SCOPE, Capability.WRITE, Capability.KEEP_REGISTRY}),
    Role.DEPARTMENT_HANDLER: frozenset({Capability.WRITE}),
    Role.VIEWER: frozenset({Capability.READ_SCOPE}),
}

# The area kinds a role may be bound to: a grid worker works in grids, and so on.
ROLE_AREA_KINDS: dict[str, frozenset[str]] = {
    Role.STREET_ADMIN: frozenset({"district", "street"}),
    Role.COMMUNITY_LEADER: frozenset({"community"}),
    Role.COMMUNITY_WORKER: frozenset({"community"}),
    Role.GRID_WORKER: frozenset({"grid"}),
    Role.DEPARTMENT_HANDLER: frozenset({"district", "street", "community"}),
    Role.VIEWER: frozenset({"district", "street", "community", "grid"}),
}
