"""Importing resident ledgers.

A job keeps the original file and the outcome of every row. Rows are written in
batches; each batch is one transaction, so a crash leaves no half-written rows,
and because an import is idempotent (same ID → update or unchanged) simply
running it again resumes where it stopped.

A batch holds the database's write lock for a fraction of a second, and a dry run
rolls back each batch as it goes rather than holding one transaction for the whole
file: on SQLite that transaction held the lock for minutes, and sign-in (which
writes the session) waited out its 20 s busy timeout and failed. A batch that finds
the database busy is rolled back and tried again.
"""

from __future__ import annotations

import itertools
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core.audit import Action, audit_record
from linli.core.context import current_origin
from linli.core.db import JsonText, insert_rows, is_busy, one_of, refresh_statistics
from linli.core.errors import DomainError
from linli.core.permissions import require, require_path_in_scope
from linli.core.scoping import path_in_scope
from linli.registry import counts as register_counts
from linli.registry.models import (
    Building,
    Entrance,
    House,
    Household,
    HouseUse,
    NameGram,
    Resident,
    ResidentChange,
    ResidentTag,
)
from linli.registry.services import index_names, refresh_search_keys
from linli.transfers import ledger
from linli.transfers.models import ImportJob, ImportRow, RowOutcome
from linli.transfers.planner import Plans, read_plans
from linli.transfers.resident_rows import RowContext, RowPlan, plain

if TYPE_CHECKING:
    from linli.accounts.models import User

BATCH_SIZE = 1000
BUSY_RETRIES = 8  # a batch that finds the database busy is tried again, waiting 0.5, 1, 2 … 10 s between
HEARTBEAT_SECONDS = 10
# What an import compares and may change on an existing resident.
COMPARED = (
    "name",
    "gender",
    "birth_date",
    "phone",
    "residence_type",
    "ethnicity",
    "education",
    "political_status",
    "relation_to_head",
    "notes",
)


class _DryRun(Exception):
    def __init__(self, outcomes: dict[int, tuple[str, int | None]]) -> None:
        self.outcomes = outcomes


class _Superseded(Exception):
    """The job was resumed elsewhere while this runner was away: it stops without writing more."""


def _store(path: Path) -> Path:
    target_dir = Path(settings.MEDIA_ROOT) / "imports" / uuid.uuid4().hex
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    shutil.copyfile(path, target)
    return target


def import_job_create(
    *, actor: User | None, community: Area, path: Path, original_name: str = "", dry_run: bool = False
) -> ImportJob:
    """Register an import of `path` into `community`: the file is copied next to the job and kept.
    An import registers and changes residents: it is registry keeping, not a department handler's."""
    require(actor, Capability.KEEP_REGISTRY)
    require_path_in_scope(actor, community.path)
    if community.kind != Area.Kind.COMMUNITY:
        raise DomainError("请选择要导入到的社区。", field="community")
    if not path.is_file():
        raise DomainError(f"{path}: 文件不存在。", field="file")
    return ImportJob.objects.create(
        community=community,
        original_name=original_name or path.name,
        stored_file=str(_store(path)),
        dry_run=dry_run,
        created_by=actor,
        created_by_label=getattr(actor, "username", "") or current_origin().operator,
    )


def import_job_run(
    *, actor: User | None, job: ImportJob, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Run a registered job; returns the summary (also kept on the job). A file that cannot be read, or
    that goes over a limit (LINLI_IMPORT_*), fails the job with the reason; so does any other error. A
    failed job is audited too, with what it had written (its earlier batches stay)."""
    claimed = ImportJob.objects.filter(
        pk=job.pk, status=ImportJob.Status.PENDING, attempt=job.attempt
    ).update(status=ImportJob.Status.RUNNING, error="", heartbeat_at=timezone.now())
    if not claimed:
        # Another runner has it (a resumed job's old task, a second worker): nothing to do here.
        job.refresh_from_db()
        return {"skipped": True, "job": job.pk, "status": job.status}
    job.status, job.error = ImportJob.Status.RUNNING, ""
    beat = _Heartbeat(job)
    bounds = ledger.Bounds.from_settings(tick=beat)
    counts = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0, "errors": 0, "warnings": 0}
    plans: Plans | None = None
    try:
        may_sensitive = actor is None or actor.can(Capability.VIEW_SENSITIVE)
        ctx = RowContext(job.community, may_set_sensitive=may_sensitive)
        # Rows are read, checked and written a batch at a time: a large ledger is never all in memory
        # (and a large file is read in a second process while this one writes: transfers/planner.py).
        plans = read_plans(Path(job.stored_file), bounds, ctx, BATCH_SIZE)
        job.rows_total = plans.total_hint
        ImportJob.objects.filter(pk=job.pk).update(rows_total=job.rows_total)
        _write_all(actor, job, plans.batches, counts, progress, bounds)
    except _Superseded:
        return {"skipped": True, "job": job.pk, "status": "resumed elsewhere"}
    except Exception as exc:
        reason = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        _fail(actor, job, reason, counts)
        raise
    finally:
        if plans is not None:
            plans.close()
    summary = {
        **counts,
        "blank_rows": plans.blank_rows(),
        "unknown_columns": plans.unknown_columns,
        "dry_run": job.dry_run,
        "job": job.pk,
    }
    job.summary = summary
    _finish(job, ImportJob.Status.DONE)
    if not job.dry_run and counts["created"] + counts["updated"]:
        refresh_statistics(*WRITTEN_TABLES)
        register_counts.compact()  # the batches' appended count rows, one per key again (PostgreSQL)
    with transaction.atomic():
        audit_record(actor=actor, action=Action.IMPORT, obj=job, changes=summary)
    return summary


def import_job_resume(*, actor: User | None, job: ImportJob) -> ImportJob:
    """Queue a stalled or failed job again (the caller enqueues the task on commit). It starts over from
    the first row: the rows already written come back unchanged, which is what resuming means here."""
    require(actor, Capability.KEEP_REGISTRY)
    require_path_in_scope(actor, job.community.path)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("community").get(pk=job.pk)
        if not (job.status == ImportJob.Status.FAILED or job.stalled):
            raise DomainError("这个导入正在进行或已完成，不能继续导入。")
        before = job.status
        job.rows.all().delete()
        job.status, job.error, job.rows_done, job.summary = ImportJob.Status.PENDING, "", 0, {}
        job.attempt += 1
        job.heartbeat_at, job.finished_at = timezone.now(), None
        job.save(
            update_fields=[
                "status",
                "error",
                "rows_done",
                "summary",
                "attempt",
                "heartbeat_at",
                "finished_at",
            ]
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=job,
            changes={"status": [before, job.status], "resumed": True, "attempt": job.attempt},
        )
    return job


class _Heartbeat:
    """Tells the world the job's runner is alive: at most every HEARTBEAT_SECONDS, from the runner's own
    thread between batches and while reading (a thread of its own would need a second connection, and on
    SQLite would queue for the lock behind the very batches it vouches for)."""

    def __init__(self, job: ImportJob) -> None:
        self.job, self.last = job, time.monotonic()

    def __call__(self) -> None:
        if time.monotonic() - self.last < HEARTBEAT_SECONDS or connection.in_atomic_block:
            return
        self.last = time.monotonic()
        try:
            alive = ImportJob.objects.filter(pk=self.job.pk, attempt=self.job.attempt).update(
                heartbeat_at=timezone.now()
            )
        except OperationalError as exc:
            if not is_busy(exc):
                raise
            return  # a missed beat; the next one will do
        if not alive:
            raise _Superseded


def _finish(job: ImportJob, status: str, error: str = "") -> None:
    job.status, job.error, job.finished_at = status, error, timezone.now()
    _retrying(lambda: job.save(update_fields=["status", "error", "finished_at", "summary"]))


def _fail(actor: User | None, job: ImportJob, reason: str, counts: dict[str, int]) -> None:
    """Fail the job with `reason` and audit it: what was asked, why it stopped, how much was written."""
    job.rows_done = ImportJob.objects.filter(pk=job.pk).values_list("rows_done", flat=True).first() or 0
    _finish(job, ImportJob.Status.FAILED, error=reason)

    def audit() -> None:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=Action.IMPORT,
                obj=job,
                changes={
                    "status": "failed",
                    "error": reason[:500],
                    "dry_run": job.dry_run,
                    "rows_written": 0 if job.dry_run else job.rows_done,
                    **{k: v for k, v in counts.items() if v},
                },
            )

    _retrying(audit)


def _retrying(write: Callable[[], Any]) -> Any:
    """Run `write` (a transaction of its own), again after a pause while the database is busy."""
    for attempt in range(BUSY_RETRIES + 1):
        try:
            return write()
        except OperationalError as exc:
            if not is_busy(exc) or attempt == BUSY_RETRIES or connection.in_atomic_block:
                raise
            time.sleep(min(10.0, 0.5 * 2**attempt))
    raise AssertionError("unreachable")


def _write_all(
    actor: User | None,
    job: ImportJob,
    batches: Iterable[list[RowPlan]],
    counts: dict[str, int],
    progress: Callable[[int, int], None] | None,
    bounds: ledger.Bounds,
) -> None:
    places = _PlaceCache(job.community)
    done = 0
    for batch in batches:
        bounds.check_time()

        def write(batch: list[RowPlan] = batch) -> dict[int, tuple[str, int | None]]:
            return _commit_batch(actor, job, batch, places, counts)

        outcomes = _retrying(write)
        if job.dry_run:
            # The per-row outcomes of a dry run are kept as a preview (the residents were rolled back),
            # a batch at a time as well: 60,000 rows written at the end kept sign-in waiting 21 s.
            preview: dict[int, tuple[str, int | None]] = {n: (o, None) for n, (o, _) in outcomes.items()}

            def keep(batch: list[RowPlan] = batch, preview: dict[int, Any] = preview) -> None:
                with transaction.atomic():
                    insert_rows(ImportRow, ROW_FIELDS, _row_records(job, batch, preview))

            _retrying(keep)
        done += len(batch)
        counts["rows"] = done

        def record(done: int = done) -> None:
            ImportJob.objects.filter(pk=job.pk).update(rows_done=done)

        _retrying(record)
        if progress:
            progress(done, max(done, job.rows_total))


def _commit_batch(
    actor: User | None, job: ImportJob, batch: list[RowPlan], places: _PlaceCache, counts: dict[str, int]
) -> dict[int, tuple[str, int | None]]:
    """One batch in one transaction (rolled back again in a dry run). If it fails, what it changed in
    memory — the counts, the places it cached, the errors it added to rows — is put back, so it can be
    tried again."""
    saved_counts, mark, errors = dict(counts), places.mark(), [len(p.errors) for p in batch]
    try:
        with transaction.atomic():
            # Still this runner's job? (A resumed job's old runner must not write beside the new one.)
            if not ImportJob.objects.filter(pk=job.pk, attempt=job.attempt).update(
                heartbeat_at=timezone.now()
            ):
                raise _Superseded
            outcomes = _write_batch(actor, job, batch, places, counts)
            if job.dry_run:
                raise _DryRun(outcomes)
            insert_rows(ImportRow, ROW_FIELDS, _row_records(job, batch, outcomes))
        return outcomes
    except _DryRun as rolled_back:
        places.undo(mark)  # the places it made are gone again; the next batch makes its own
        return rolled_back.outcomes
    except BaseException:
        counts.update(saved_counts)
        places.undo(mark)
        for plan, n in zip(batch, errors, strict=True):
            del plan.errors[n:]
        raise


_EMPTY = JsonText("[]")
# What an import writes: the tables whose statistics it refreshes when it is done.
WRITTEN_TABLES = tuple(
    m._meta.db_table
    for m in (
        Building,
        Entrance,
        House,
        Household,
        Resident,
        NameGram,
        ResidentChange,
        ResidentTag,
        ImportRow,
    )
)
ROW_FIELDS = ["job_id", "row_number", "outcome", "errors", "warnings", "values", "resident_id"]


def _row_records(
    job: ImportJob, plans: list[RowPlan], outcomes: dict[int, tuple[str, int | None]]
) -> list[tuple[Any, ...]]:
    """One record per row (ROW_FIELDS); a row without an outcome was refused (its reasons are in `errors`)."""
    records = []
    for plan in plans:
        outcome, resident_id = outcomes.get(plan.number, (RowOutcome.ERROR, None))
        original = JsonText(plan.original_json) if plan.original_json else plan.original
        errors, warnings = plan.errors or _EMPTY, plan.warnings or _EMPTY
        records.append((job.pk, plan.number, outcome, errors, warnings, original, resident_id))
    return records


class _PlaceCache:
    """Buildings, units, houses and households of the community, created under a row's grid when missing.

    What exists is loaded once; what a batch needs and lacks is created in bulk, level by level, so a
    batch costs a handful of queries however many new houses it names. Only ids are kept: a model
    instance per building, unit, house and household held ~80 MB at 260,000 residents.
    """

    def __init__(self, community: Area) -> None:
        under = community.path + "/"
        self.buildings: dict[tuple[int, str], int] = {
            (grid, number): pk
            for grid, number, pk in Building.objects.filter(grid__path__startswith=under).values_list(
                "grid_id", "number", "pk"
            )
        }
        self.entrances: dict[tuple[int, str], int] = {
            (building, number): pk
            for building, number, pk in Entrance.objects.filter(
                building__grid__path__startswith=under
            ).values_list("building_id", "number", "pk")
        }
        self.houses: dict[tuple[int, int | None, str], int] = {
            (building, entrance, room): pk
            for building, entrance, room, pk in House.objects.filter(
                building__grid__path__startswith=under
            ).values_list("building_id", "entrance_id", "room_number", "pk")
        }
        self.households: dict[int, int] = {}  # house id → its household's id
        self.headed: set[int] = set()  # households that have a head
        self.headed_since_mark: set[int] = set()
        households = Household.objects.filter(house__building__grid__path__startswith=under)
        for house, pk, head in households.order_by("-pk").values_list("house_id", "pk", "head_id"):
            self.households[house] = pk  # the oldest household of a house wins
            if head is not None:
                self.headed.add(pk)

    def mark(self) -> tuple[int, ...]:
        """Where the cache stands: `undo` forgets what was added after it (a batch rolled back)."""
        self.headed_since_mark = set()
        return (len(self.buildings), len(self.entrances), len(self.houses), len(self.households))

    def undo(self, mark: tuple[int, ...]) -> None:
        # Entries are only ever added, and dicts keep insertion order: the newest are the batch's.
        caches: tuple[dict[Any, int], ...] = (self.buildings, self.entrances, self.houses, self.households)
        for cache, size in zip(caches, mark, strict=True):
            for key in list(itertools.islice(reversed(cache.keys()), len(cache) - size)):
                del cache[key]
        self.headed -= self.headed_since_mark
        self.headed_since_mark = set()

    def prepare(self, plans: list[RowPlan]) -> None:
        # Each new place is built once, not once per resident who names it (a house has ~3).
        wanted = {(p.grid.pk, *p.place) for p in plans if p.place and p.grid is not None and not p.errors}
        new: dict[Any, tuple[Any, ...]] = {}
        for g, b, _, _ in wanted:
            if (g, b) not in self.buildings:
                new[(g, b)] = (g, b, "", "")
        self._store(Building, new, self.buildings)
        new = {}
        for g, b, e, _ in wanted:
            building = self.buildings[(g, b)]
            if e and (building, e) not in self.entrances:
                new[(building, e)] = (building, e)
        self._store(Entrance, new, self.entrances)
        keys = {self._house_key(g, b, e, r) for g, b, e, r in wanted}
        new = {key: (*key, HouseUse.OWNER_OCCUPIED, None, "") for key in keys if key not in self.houses}
        self._store(House, new, self.houses)
        new = {}
        for house in {self.houses[key] for key in keys}:
            if house not in self.households:
                new[house] = (house, "", None)
        self._store(Household, new, self.households)

    def _house_key(self, grid: int, building: str, entrance: str, room: str) -> tuple[int, int | None, str]:
        b = self.buildings[(grid, building)]
        return (b, self.entrances[(b, entrance)] if entrance else None, room)

    # Each level's columns as written, the natural key first (how a just-inserted row is found again).
    COLUMNS: ClassVar[dict[Any, tuple[tuple[str, ...], int]]] = {
        Building: (("grid", "number", "name", "address"), 2),
        Entrance: (("building", "number"), 2),
        House: (("building", "entrance", "room_number", "use", "area_m2", "notes"), 3),
        Household: (("house", "number", "head"), 1),
    }

    @classmethod
    def _store(cls, model: Any, new: dict[Any, tuple[Any, ...]], cache: dict[Any, int]) -> None:
        """Insert the new rows (plain tuples, COLUMNS order), then learn their ids by natural key."""
        if not new:
            return
        fields, width = cls.COLUMNS[model]
        insert_rows(model, fields, new.values())
        meta = model._meta
        columns = [meta.get_field(f).column for f in fields[:width]]
        where, params = one_of(columns[0], list({row[0] for row in new.values()}))
        # Households have no unique key: the house's oldest one (read last) is the one cached.
        sql = (
            f"SELECT {', '.join(columns)}, id FROM {meta.db_table}"  # noqa: S608  (our own names)
            f" WHERE {where} ORDER BY id DESC"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = {tuple(k): pk for *k, pk in cursor.fetchall()}
        for cache_key, row in new.items():
            cache[cache_key] = ids[row[:width]]

    def house(self, grid: Area, building_no: str, entrance_no: str, room: str) -> int:
        """The house's id."""
        return self.houses[self._house_key(grid.pk, building_no, entrance_no, room)]

    def household(self, house: int) -> int:
        """The id of the house's household."""
        return self.households[house]


# The columns a new resident is written with (the rest are empty: status_since, merged_into).
_NEW_RESIDENT = [
    "id_number",
    *COMPARED,
    "grid",
    "house",
    "household",
    "status",
    "created_at",
    "updated_at",
    "name_pinyin",
    "name_initials",
    "id_reversed",
    "phone_reversed",
]
_CHANGE = ["resident_id", "at", "actor_id", "actor_label", "kind", "effective_date", "changes"]


def _ids_by_number(numbers: list[str]) -> dict[str, int]:
    """Residents' ids by ID number (a plain query: the ORM compiled a parameter per number)."""
    if not numbers:
        return {}
    where, params = one_of("id_number", numbers)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number, id FROM registry_resident WHERE {where}", params)  # noqa: S608
        return dict(cursor.fetchall())


def _write_batch(
    actor: User | None, job: ImportJob, batch: list[RowPlan], places: _PlaceCache, counts: dict[str, int]
) -> dict[int, tuple[str, int | None]]:
    label = job.created_by_label
    now = timezone.now()
    valid = [p for p in batch if not p.errors]
    known = _ids_by_number([p.values["id_number"] for p in valid])
    existing = (
        {r.id_number: r for r in Resident.objects.select_related("grid").filter(pk__in=known.values())}
        if known
        else {}
    )
    foreign = {
        number for number, r in existing.items() if not path_in_scope(r.grid.path, [job.community.path])
    }
    places.prepare([p for p in valid if p.values["id_number"] not in foreign])
    tags_of: dict[int, set[int]] = {}
    if existing:
        for link in ResidentTag.objects.filter(resident__in=existing.values()):
            tags_of.setdefault(link.resident_id, set()).add(link.tag_id)
    outcomes: dict[int, tuple[str, int | None]] = {}
    new: list[tuple[RowPlan, tuple[Any, ...]]] = []
    changes: list[tuple[Any, ...]] = []
    updated: list[Resident] = []
    new_links: list[tuple[int, int]] = []  # (resident id, tag id)
    heads: list[tuple[int, RowPlan]] = []  # (household id, the row naming its head)
    renamed: set[int] = set()
    actor_id = actor.pk if actor is not None and actor.pk else None

    for plan in batch:
        if plan.errors:
            counts["errors"] += 1
            continue
        assert plan.grid is not None  # noqa: S101  (a row without a grid has an error)
        if plan.values["id_number"] in foreign:
            plan.errors.append("该身份证号已在其他社区登记，请联系街道核实")
            counts["errors"] += 1
            continue
        current = existing.get(plan.values["id_number"])
        house = places.house(plan.grid, *plan.place) if plan.place else None
        household = places.household(house) if house is not None else None
        if household is not None and plan.values["relation_to_head"] == "户主":
            heads.append((household, plan))
        if plan.warnings:
            counts["warnings"] += 1
        if current is None:
            v = plan.values
            new.append(
                (
                    plan,
                    (
                        v["id_number"],
                        *(v[f] for f in COMPARED),
                        plan.grid.pk,
                        house,
                        household,
                        Resident.Status.ACTIVE,
                        now,
                        now,
                        *plan.keys,
                        v["id_number"][::-1],
                        v["phone"][::-1],
                    ),
                )
            )
            continue
        before = {f: getattr(current, f) for f in COMPARED} | {
            "grid": current.grid.path,
            "house": current.house_id,
        }
        for f in COMPARED:
            setattr(current, f, plan.values[f])
        current.grid = plan.grid
        if house is not None:
            current.house_id, current.household_id = house, household
        after = {f: getattr(current, f) for f in COMPARED} | {
            "grid": current.grid.path,
            "house": current.house_id,
        }
        delta = {k: [plain(before[k]), plain(after[k])] for k in after if before[k] != after[k]}
        added = [t for t in plan.tags if t.pk not in tags_of.get(current.pk, set())]
        if added:
            delta["tags_added"] = [t.name for t in added]
            new_links += [(current.pk, t.pk) for t in added]
        if "name" in delta or "grid" in delta:
            renamed.add(current.pk)
        if delta:
            current.updated_at = now
            refresh_search_keys(current)
            updated.append(current)
            changes.append((current.pk, now, actor_id, label, ResidentChange.Kind.IMPORT, None, delta))
            outcomes[plan.number] = (RowOutcome.UPDATED, current.pk)
            counts["updated"] += 1
        else:
            outcomes[plan.number] = (RowOutcome.UNCHANGED, current.pk)
            counts["unchanged"] += 1
    if updated:
        Resident.objects.bulk_update(
            updated,
            [
                *COMPARED,
                "grid",
                "house",
                "household",
                "updated_at",
                "name_pinyin",
                "name_initials",
                "phone_reversed",
            ],
        )
    grams: list[tuple[int, int, str]] = []
    if new:
        insert_rows(Resident, _NEW_RESIDENT, [row for _, row in new])
        ids = _ids_by_number([plan.values["id_number"] for plan, _ in new])
        for plan, _ in new:
            assert plan.grid is not None  # noqa: S101  (checked above)
            pk = ids[plan.values["id_number"]]
            outcomes[plan.number] = (RowOutcome.CREATED, pk)
            new_links += [(pk, t.pk) for t in plan.tags]
            changes.append(
                (pk, now, actor_id, label, ResidentChange.Kind.CREATE, None, JsonText(plan.snapshot_json))
            )
            grams += [(pk, plan.grid.pk, g) for g in plan.grams]
        counts["created"] += len(new)
    if new_links:
        since = timezone.localdate()
        insert_rows(
            ResidentTag,
            ["resident_id", "tag_id", "since"],
            [(pk, tag, since) for pk, tag in new_links],
            ignore_conflicts=True,
        )
    insert_rows(ResidentChange, _CHANGE, changes)
    insert_rows(NameGram, ["resident_id", "grid_id", "gram"], grams)
    index_names([r for r in updated if r.pk in renamed])
    first_heads = []
    for household, plan in heads:
        if household not in places.headed:
            places.headed.add(household)
            places.headed_since_mark.add(household)
            first_heads.append((outcomes[plan.number][1], household))
    if first_heads:
        # One statement for the batch; "still headless" keeps a head set meanwhile by someone else.
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One statement, not one per household: executemany sends each row on its own.
                cursor.execute(
                    "UPDATE registry_household h SET head_id = v.head"
                    " FROM unnest(%s::bigint[], %s::bigint[]) AS v(head, id)"
                    " WHERE h.id = v.id AND h.head_id IS NULL",
                    [[head for head, _ in first_heads], [household for _, household in first_heads]],
                )
            else:
                cursor.executemany(
                    "UPDATE registry_household SET head_id = %s WHERE id = %s AND head_id IS NULL",
                    first_heads,
                )
    return outcomes
