"""Roles and what each may do. Scope (which areas) is separate: see core.scoping."""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    STREET_ADMIN = "street_admin", "街道管理员"
    COMMUNITY_LEADER = "community_leader", "社区负责人"
    COMMUNITY_WORKER = "community_worker", "社区工作者"
    GRID_WORKER = "grid_worker", "网格员"
    DEPARTMENT_HANDLER = "department_handler", "职能部门处置人"
    VIEWER = "viewer", "只读查看"


class Capability(StrEnum):
    # Read the domain data in scope: the registry, visits, the area tree and every case. Without it
    # (department handlers) a user sees only the cases dispatched to their departments.
    READ_SCOPE = "read_scope"
    WRITE = "write"  # create or change domain data in scope
    REVEAL_PERSONAL = "reveal_personal"  # see identity numbers and phones unmasked (audited)
    VIEW_SENSITIVE = "view_sensitive"  # see sensitive key-group tags (低保, 残疾 …)
    EXPORT = "export"  # export ledgers (audited)
    MANAGE_AREAS = "manage_areas"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    DISPATCH = "dispatch"  # register, reject, dispatch, verify and follow up cases
    SUPERVISE = "supervise"  # approve case extensions, receive escalations
    CONFIGURE = "configure"  # case categories, departments, working calendar
    # Deployment operator (部署运维): sees the audit entries that belong to no area — failed sign-ins
    # under unknown names, console backups and restores. Not a role: a flag on a person's account
    # (`linli user operator`), granted only at the console, on top of whatever role they hold.
    OPERATE = "operate"


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.STREET_ADMIN: frozenset(Capability) - {Capability.OPERATE},
    Role.COMMUNITY_LEADER: frozenset(
        {
            Capability.READ_SCOPE,
            Capability.WRITE,
            Capability.REVEAL_PERSONAL,
            Capability.VIEW_SENSITIVE,
            Capability.EXPORT,
            Capability.DISPATCH,
            Capability.SUPERVISE,
        }
    ),
    Role.COMMUNITY_WORKER: frozenset(
        {
            Capability.READ_SCOPE,
            Capability.WRITE,
            Capability.VIEW_SENSITIVE,
            Capability.EXPORT,
            Capability.DISPATCH,
        }
    ),
    Role.GRID_WORKER: frozenset({Capability.READ_SCOPE, Capability.WRITE}),
    # WRITE here is for the cases of their departments (comments, photos); every other write needs
    # something in scope they cannot see (a grid, a resident), and core.access keeps them out.
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
