"""Every write to cases goes through here: intake, the workflow's moves, the deadline sweep.

A move locks the case row, re-checks the status against the transition table (so of
two workers clicking at once, the second sees the first's result and is refused),
applies itself, and appends a `CaseEvent`. Notifications go out after commit.

The package is split by concern; callers import from `linli.cases.services` as before, so every
name the single module had is re-exported here (with `routing` and `deadlines`, which pages read
through it). Later stages import earlier ones only, so no two of them import each other: `_common`
(the transition table, `_move`) and `notifications` import none of the others; intake, extensions,
photos, residents and the sweep import those two; workflow also imports intake (relocating locates
again); configuration stands apart.
"""

from linli.cases import deadlines, routing
from linli.cases.services._common import (
    RESIDENT_LABEL,
    SYSTEM_LABEL,
    TRANSITIONS,
    A,
    _can,
    _check_move,
    _event,
    _handler_or_supervisor,
    _label,
    _lock,
    _move,
    _require_scope,
    is_handler,
    person_label,
)
from linli.cases.services.configuration import (
    QUESTION_TYPES,
    _code,
    calendar_override_delete,
    calendar_override_set,
    case_counts_recount,
    category_create,
    category_set_limit,
    category_update,
    check_questions,
    department_create,
    department_set_members,
)
from linli.cases.services.extensions import _amount, case_merge, extension_decide, extension_request
from linli.cases.services.intake import (
    Location,
    _next_number,
    case_create,
    check_answers,
    highest_number,
    locate,
)
from linli.cases.services.notifications import (
    grid_leaders,
    mark_read,
    notify,
    responsible,
    users_with_role,
    users_with_role_in,
)
from linli.cases.services.photos import photo_add
from linli.cases.services.residents import (
    _within_reopen_days,
    may_resident_reopen,
    resident_rate,
    resident_verdict,
    tracking_match,
)
from linli.cases.services.sweep import SUPERVISION_LABELS, TickResult, _supervisors, tick
from linli.cases.services.workflow import (
    _verifier_check,
    case_accept,
    case_comment,
    case_dispatch,
    case_finish,
    case_follow_up,
    case_pass,
    case_register,
    case_reject,
    case_relocate,
    case_reopen,
    case_return,
    case_rework,
    case_verify,
    place_label,
)

__all__ = [
    "case_counts_recount",
    "A",
    "Location",
    "QUESTION_TYPES",
    "RESIDENT_LABEL",
    "SUPERVISION_LABELS",
    "SYSTEM_LABEL",
    "TRANSITIONS",
    "TickResult",
    "_amount",
    "_can",
    "_check_move",
    "_code",
    "_event",
    "_handler_or_supervisor",
    "_label",
    "_lock",
    "_move",
    "_next_number",
    "_require_scope",
    "_supervisors",
    "_verifier_check",
    "_within_reopen_days",
    "calendar_override_delete",
    "calendar_override_set",
    "case_accept",
    "case_comment",
    "case_create",
    "case_dispatch",
    "case_finish",
    "case_follow_up",
    "case_merge",
    "case_pass",
    "case_register",
    "case_reject",
    "case_relocate",
    "case_reopen",
    "case_return",
    "case_rework",
    "case_verify",
    "category_create",
    "category_set_limit",
    "category_update",
    "check_answers",
    "check_questions",
    "deadlines",
    "department_create",
    "department_set_members",
    "extension_decide",
    "extension_request",
    "grid_leaders",
    "highest_number",
    "is_handler",
    "locate",
    "mark_read",
    "may_resident_reopen",
    "notify",
    "person_label",
    "photo_add",
    "place_label",
    "resident_rate",
    "resident_verdict",
    "responsible",
    "routing",
    "tick",
    "tracking_match",
    "users_with_role",
    "users_with_role_in",
]
