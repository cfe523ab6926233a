"""The vocabulary of what an actor may do; which role holds which is accounts' table."""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    """What an actor may do: the one vocabulary every module checks (`user.can(…)`, `require`).

    Which role holds which is accounts' table (accounts.roles.ROLE_CAPABILITIES).
    """

    # Read the domain data in scope: the registry, visits, the area tree and every case. Without it
    # (department handlers) a user sees only the cases dispatched to their departments.
    READ_SCOPE = "read_scope"
    WRITE = "write"  # create or change domain data in scope
    # Register, edit, move, move out, record deaths, merge and tag residents; create houses and
    # households. Not a department handler's: their task is the cases sent to them (PIPL: need to know).
    KEEP_REGISTRY = "keep_registry"
    REVEAL_PERSONAL = "reveal_personal"  # see identity numbers and phones unmasked (audited)
    VIEW_SENSITIVE = "view_sensitive"  # see sensitive key-group tags (低保, 残疾 …)
    EXPORT = "export"  # export ledgers (audited)
    MANAGE_AREAS = "manage_areas"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    DISPATCH = "dispatch"  # register, reject, dispatch, verify and follow up cases
    SUPERVISE = "supervise"  # approve case extensions, receive escalations
    CONFIGURE = "configure"  # case categories, departments, working calendar
    # Party-building work (社区党建): membership and political status are sensitive personal data.
    PARTY = "party"  # see party organisations, members, meetings, the pipeline and points in scope
    PARTY_MANAGE = "party_manage"  # record them: members, transfers, meetings, pipeline steps, points
    # Enter party work at all (the 党建 menu, /party/, /api/v1/party-…). Holders of `party` hold it; so does a
    # sitting branch officer (书记、副书记、委员 with an open term, linked to the member by their login), as a
    # grant derived from that term (party's ModuleConfig.capability_grants), not a role's: what such an
    # officer sees is then only their own organisation(s), never the community (party.querysets).
    PARTY_BRANCH = "party_branch"
    # Deployment operator (部署运维): sees the audit entries that belong to no area — failed sign-ins
    # under unknown names, console backups and restores. Not a role: a flag on a person's account
    # (`linli user operator`), granted only at the console, on top of whatever role they hold.
    OPERATE = "operate"
    # Run worker assessment (考核): duties, rounds, the draw, ratings by phone, checking reasons, scores.
    ASSESS = "assess"
    # A round's auditor: the only one who may see which sampled resident gave which rating.
    AUDIT_RATINGS = "audit_ratings"
    # Build, sample, open, close and export surveys (问卷) of the areas in scope; grid workers only enter
    # answers door to door (WRITE).
    RUN_SURVEYS = "run_surveys"
    # Keep the partner-unit registry (驻区单位), co-building agreements, resources, needs and joint activities.
    KEEP_PARTNERS = "keep_partners"
    # Volunteers (志愿服务): approve and edit volunteers, keep teams, publish activities, correct and
    # confirm service records, issue proofs. An activity's own leader may run its roll call and confirm
    # its records without it.
    MANAGE_VOLUNTEERS = "manage_volunteers"
