"""Where this release begins: the newest migration each app had at the previous release. An upgrade's
`linli init` applies everything after these; docs/deployment.md ("This release") lists those migrations with
their durations, `linli bench --only migrations` measures them, and tests/test_online_migrations.py checks
that the list is complete and that indexes on large tables are built online."""

from __future__ import annotations

PREVIOUS_RELEASE: dict[str, str] = {
    "core": "0005_heartbeat",
    "cases": "0013_case_event_relocate",
    "registry": "0010_resident_merged_status_and_move_history",
    "volunteers": "0002_default_skills",
    "surveys": "0001_surveys",
}
