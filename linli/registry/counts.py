"""The register's running counts (`RegisterCount`, core/running_counts.py): per grid, residents on the register
by residence type, their tags, houses by use and households — kept by database triggers, read by the
dashboards, the map, the community profile and the resident counts API.

Counting a street's 260,000 residents five ways after each register write cost ~150 ms of CPU per dashboard
read on SQLite; the counts are a few hundred rows. `COUNTS.mismatches()` is what `linli check` reports and
`COUNTS.rebuild()` what `linli registry recount` does.
"""

# ruff: noqa: S608  (every statement here is built from the constant table names above, never from input)

from __future__ import annotations

from collections import defaultdict
from typing import Any

from linli.core.running_counts import RunningCounts, sqlite_add, sqlite_sub

TABLE = "registry_registercount"
ALL = ("INSERT", "DELETE", "UPDATE")
R, L, H, HH, B = (
    "registry_resident",
    "registry_residenttag",
    "registry_house",
    "registry_household",
    "registry_building",
)

DIRECT = f"""
SELECT grid_id, 'type', residence_type, COUNT(*) FROM {R} WHERE status = 'active' GROUP BY grid_id, residence_type
UNION ALL
SELECT r.grid_id, 'tag', CAST(l.tag_id AS TEXT), COUNT(*) FROM {L} l JOIN {R} r ON r.id = l.resident_id
 WHERE r.status = 'active' GROUP BY r.grid_id, l.tag_id
UNION ALL
SELECT b.grid_id, 'house', h.use, COUNT(*) FROM {H} h JOIN {B} b ON b.id = h.building_id GROUP BY b.grid_id, h.use
UNION ALL
SELECT b.grid_id, 'household', '', COUNT(*) FROM {HH} hh JOIN {H} h ON h.id = hh.house_id
 JOIN {B} b ON b.id = h.building_id GROUP BY b.grid_id
"""


# --- SQLite: row triggers ---------------------------------------------------------------------------------


def _add(grid: str, kind: str, key: str, delta: str = "1", cond: str = "1") -> str:
    return sqlite_add(TABLE, "grid_id", grid, kind, key, delta, cond)


def _sub(grid: str, kind: str, key: str, delta: str = "1", cond: str = "1") -> str:
    return sqlite_sub(TABLE, "grid_id", grid, kind, key, delta, cond)


def _tags(row: str, grid: str, sign: str, cond: str) -> str:
    """One more (or one fewer) for every tag of resident `row`.id in `grid`."""
    keys = f"(SELECT CAST(tag_id AS TEXT) FROM {L} WHERE resident_id = {row}.id)"
    where = f"({cond}) AND grid_id = {grid} AND kind = 'tag' AND key IN {keys}"
    if sign == "-":
        return f"UPDATE {TABLE} SET n = n - 1 WHERE {where};\n"
    return (
        f"INSERT INTO {TABLE} (grid_id, kind, key, n) SELECT {grid}, 'tag', CAST(l.tag_id AS TEXT), 0 "
        f"FROM {L} l WHERE l.resident_id = {row}.id AND ({cond}) AND NOT EXISTS (SELECT 1 FROM {TABLE} c "
        f"WHERE c.grid_id = {grid} AND c.kind = 'tag' AND c.key = CAST(l.tag_id AS TEXT));\n"
        f"UPDATE {TABLE} SET n = n + 1 WHERE {where};\n"
    )


def _building_contents(building: str, grid: str, sign: str, cond: str) -> str:
    """Move (sign -/+) the houses by use and the households of building `building` out of / into `grid`."""
    houses = f"(SELECT COUNT(*) FROM {H} h WHERE h.building_id = {building} AND h.use = {TABLE}.key)"
    households = (
        f"(SELECT COUNT(*) FROM {HH} hh JOIN {H} h ON h.id = hh.house_id WHERE h.building_id = {building})"
    )
    sql = ""
    if sign == "+":
        sql += (
            f"INSERT INTO {TABLE} (grid_id, kind, key, n) SELECT DISTINCT {grid}, 'house', h.use, 0 FROM {H} h "
            f"WHERE h.building_id = {building} AND ({cond}) AND NOT EXISTS (SELECT 1 FROM {TABLE} c "
            f"WHERE c.grid_id = {grid} AND c.kind = 'house' AND c.key = h.use);\n"
        )
        sql += _add(grid, "household", "''", households, cond)
    else:
        sql += _sub(grid, "household", "''", households, cond)
    sql += (
        f"UPDATE {TABLE} SET n = n {sign} {houses} WHERE ({cond}) AND grid_id = {grid} AND kind = 'house';\n"
    )
    return sql


def _grid_of_house(house: str) -> str:
    return f"(SELECT grid_id FROM {B} WHERE id = (SELECT building_id FROM {H} WHERE id = {house}))"


def _born(row: str, vendor: str) -> str:
    """The "born" key of resident `row`: gender and year of birth ("female:1952"), for the age pyramid."""
    year = f"substr({row}.birth_date, 1, 4)" if vendor == "sqlite" else f"to_char({row}.birth_date, 'YYYY')"
    return f"{row}.gender || ':' || {year}"


def _direct(vendor: str) -> str:
    born = _born("r", vendor)
    return (
        f"{DIRECT} UNION ALL SELECT r.grid_id, 'born', {born}, COUNT(*) FROM {R} r WHERE r.status = 'active' "
        f"GROUP BY r.grid_id, {born}"
    )


def _sqlite_triggers() -> dict[str, str]:
    active_old, active_new = "OLD.status = 'active'", "NEW.status = 'active'"
    moved = "(OLD.grid_id IS NOT NEW.grid_id OR OLD.status IS NOT NEW.status)"
    resident_grid = f"(SELECT grid_id FROM {R} WHERE id = {{}}.resident_id AND status = 'active')"
    old_grid, new_grid = resident_grid.format("OLD"), resident_grid.format("NEW")
    house_grid = f"(SELECT grid_id FROM {B} WHERE id = {{}}.building_id)"
    old_house_grid, new_house_grid = house_grid.format("OLD"), house_grid.format("NEW")
    households_of = f"(SELECT COUNT(*) FROM {HH} WHERE house_id = {{}}.id)"
    return {
        "resident_insert": (
            f"AFTER INSERT ON {R} WHEN {active_new} BEGIN\n"
            + _add("NEW.grid_id", "type", "NEW.residence_type")
            + _add("NEW.grid_id", "born", _born("NEW", "sqlite"))
            + _tags("NEW", "NEW.grid_id", "+", "1")
        ),
        "resident_delete": (
            f"AFTER DELETE ON {R} WHEN {active_old} BEGIN\n"
            + _sub("OLD.grid_id", "type", "OLD.residence_type")
            + _sub("OLD.grid_id", "born", _born("OLD", "sqlite"))
            + _tags("OLD", "OLD.grid_id", "-", "1")
        ),
        "resident_update": (
            f"AFTER UPDATE OF status, grid_id, residence_type, gender, birth_date ON {R} "
            f"WHEN ({active_old} OR {active_new}) AND ({moved} OR OLD.residence_type IS NOT NEW.residence_type "
            "OR OLD.gender IS NOT NEW.gender OR OLD.birth_date IS NOT NEW.birth_date) BEGIN\n"
            + _sub("OLD.grid_id", "type", "OLD.residence_type", cond=active_old)
            + _add("NEW.grid_id", "type", "NEW.residence_type", cond=active_new)
            + _sub("OLD.grid_id", "born", _born("OLD", "sqlite"), cond=active_old)
            + _add("NEW.grid_id", "born", _born("NEW", "sqlite"), cond=active_new)
            + _tags("OLD", "OLD.grid_id", "-", f"{active_old} AND {moved}")
            + _tags("NEW", "NEW.grid_id", "+", f"{active_new} AND {moved}")
        ),
        "tag_insert": f"AFTER INSERT ON {L} BEGIN\n" + _add(new_grid, "tag", "CAST(NEW.tag_id AS TEXT)"),
        "tag_delete": f"AFTER DELETE ON {L} BEGIN\n" + _sub(old_grid, "tag", "CAST(OLD.tag_id AS TEXT)"),
        "tag_update": (
            f"AFTER UPDATE OF resident_id, tag_id ON {L} "
            "WHEN OLD.resident_id IS NOT NEW.resident_id OR OLD.tag_id IS NOT NEW.tag_id BEGIN\n"
            + _sub(old_grid, "tag", "CAST(OLD.tag_id AS TEXT)")
            + _add(new_grid, "tag", "CAST(NEW.tag_id AS TEXT)")
        ),
        "house_insert": f"AFTER INSERT ON {H} BEGIN\n" + _add(new_house_grid, "house", "NEW.use"),
        "house_delete": f"AFTER DELETE ON {H} BEGIN\n" + _sub(old_house_grid, "house", "OLD.use"),
        "house_update": (
            f"AFTER UPDATE OF use, building_id ON {H} "
            "WHEN OLD.use IS NOT NEW.use OR OLD.building_id IS NOT NEW.building_id BEGIN\n"
            + _sub(old_house_grid, "house", "OLD.use")
            + _add(new_house_grid, "house", "NEW.use")
            + _sub(
                old_house_grid,
                "household",
                "''",
                households_of.format("OLD"),
                "OLD.building_id IS NOT NEW.building_id",
            )
            + _add(
                new_house_grid,
                "household",
                "''",
                households_of.format("NEW"),
                "OLD.building_id IS NOT NEW.building_id",
            )
        ),
        "household_insert": f"AFTER INSERT ON {HH} BEGIN\n"
        + _add(_grid_of_house("NEW.house_id"), "household", "''"),
        "household_delete": f"AFTER DELETE ON {HH} BEGIN\n"
        + _sub(_grid_of_house("OLD.house_id"), "household", "''"),
        "household_update": (
            f"AFTER UPDATE OF house_id ON {HH} WHEN OLD.house_id IS NOT NEW.house_id BEGIN\n"
            + _sub(_grid_of_house("OLD.house_id"), "household", "''")
            + _add(_grid_of_house("NEW.house_id"), "household", "''")
        ),
        "building_update": (
            f"AFTER UPDATE OF grid_id ON {B} WHEN OLD.grid_id IS NOT NEW.grid_id BEGIN\n"
            + _building_contents("NEW.id", "OLD.grid_id", "-", "1")
            + _building_contents("NEW.id", "NEW.grid_id", "+", "1")
        ),
    }


# --- PostgreSQL: statement triggers appending each statement's net change ------------------------------


def _pg_rows(table: str, rows: str, sign: str) -> str:
    """(grid, kind, key, ±1) for each counted thing the changed rows `rows` of `table` stand for."""
    s = f"{sign}1"
    return {
        R: (
            f"SELECT r.grid_id, 'type'::text, r.residence_type::text, {s} FROM {rows} r WHERE r.status = 'active' "
            f"UNION ALL SELECT r.grid_id, 'born', {_born('r', 'postgresql')}, {s} FROM {rows} r "
            "WHERE r.status = 'active' "
            f"UNION ALL SELECT r.grid_id, 'tag', l.tag_id::text, {s} FROM {rows} r "
            f"JOIN {L} l ON l.resident_id = r.id WHERE r.status = 'active'"
        ),
        L: (
            f"SELECT r.grid_id, 'tag'::text, t.tag_id::text, {s} FROM {rows} t "
            f"JOIN {R} r ON r.id = t.resident_id WHERE r.status = 'active'"
        ),
        H: (
            f"SELECT b.grid_id, 'house'::text, h.use::text, {s} FROM {rows} h JOIN {B} b ON b.id = h.building_id "
            f"UNION ALL SELECT b.grid_id, 'household', '', {s} FROM {rows} h JOIN {B} b ON b.id = h.building_id "
            f"JOIN {HH} hh ON hh.house_id = h.id"
        ),
        HH: (
            f"SELECT b.grid_id, 'household'::text, ''::text, {s} FROM {rows} hh JOIN {H} h ON h.id = hh.house_id "
            f"JOIN {B} b ON b.id = h.building_id"
        ),
        B: (
            f"SELECT b.grid_id, 'house'::text, h.use::text, {s} FROM {rows} b JOIN {H} h ON h.building_id = b.id "
            f"UNION ALL SELECT b.grid_id, 'household', '', {s} FROM {rows} b JOIN {H} h ON h.building_id = b.id "
            f"JOIN {HH} hh ON hh.house_id = h.id"
        ),
    }[table]


COUNTS = RunningCounts(
    table=TABLE,
    area_col="grid_id",
    direct_sql=_direct,
    writers=(R, L, H, HH, B),
    sqlite=_sqlite_triggers,
    postgres={R: ALL, L: ALL, H: ALL, HH: ALL, B: ("UPDATE",)},
    rows=_pg_rows,
)
mismatches, rebuild, compact = COUNTS.mismatches, COUNTS.rebuild, COUNTS.compact


def totals(user: Any, area: str, kind: str) -> dict[str, int]:
    """key → count over the grids in `user`'s scope (under `area`), for one kind."""
    from django.db.models import Sum

    from linli.registry.models import RegisterCount

    rows = RegisterCount.objects.visible_to(user).under(area).filter(kind=kind)
    found = rows.order_by().values("key").annotate(total=Sum("n"))
    return {key: int(n) for key, n in found.values_list("key", "total") if n}


def by_grid(user: Any, area: str = "", kinds: tuple[str, ...] = ()) -> dict[int, dict[tuple[str, str], int]]:
    """grid id → {(kind, key): count} for the grids in `user`'s scope (under `area`, if given)."""
    from django.db.models import Sum

    from linli.registry.models import RegisterCount

    rows = RegisterCount.objects.visible_to(user).under(area)
    if kinds:
        rows = rows.filter(kind__in=kinds)
    found: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for grid, kind, key, n in (
        rows.order_by()
        .values_list("grid_id", "kind", "key")
        .annotate(total=Sum("n"))
        .values_list("grid_id", "kind", "key", "total")
    ):
        if n:
            found[grid][(kind, key)] = int(n)
    return found
