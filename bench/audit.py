"""`linli bench --only audit`: the audit log at city scale (issue #24, item 8).

Two years of a deployment's audit log (200,000 / 2,000,000 / 20,000,000 entries by scale) are loaded into
the scratch database as the application would have written them over time (ids follow time; the actions,
object kinds, names and areas in the proportions a street produces). Then the audit page's searches run
through `core.audit.audit_search`, the function the page calls, with the page's capped count, its first
page and the names the page shows (`core.ledger.ledger`), as a street admin and as a street admin who is
also the deployment's operator (the audit page is theirs alone). The limit is 200 ms at p95 per kind of
search; the baseline is the newest 50 entries read by id in raw SQL (what no filter costs on the table).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from bench.harness import pct as _pct

ENTRIES = {"small": 200_000, "street": 2_000_000, "city": 20_000_000}
STREETS = {"small": 1, "street": 1, "city": 10}
COMMUNITIES = 10
GRIDS = 8
STAFF_PER_COMMUNITY = 12
LIMIT_MS = 200
RUNS = 5  # each search kind runs over several values, each value this often

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰凤英梅文辉鹏飞宇浩然子涵欣怡梓轩"
# (action, share, object type, how the object is named)
ACTIONS = [
    ("update", 30, "registry.resident", "person"),
    ("create", 14, "cases.case", "case"),
    ("update", 12, "cases.case", "case"),
    ("create", 8, "visits.visit", "person"),
    ("reveal", 8, "registry.resident", "person"),
    ("login", 9, "accounts.user", "user"),
    ("logout", 7, "accounts.user", "user"),
    ("search_digits", 4, "registry.resident", "digits"),
    ("export", 3, "registry.resident", "export"),
    ("import", 1, "transfers.importjob", "export"),
    ("login_failed", 2, "accounts.user", "user"),
    ("create", 2, "volunteers.volunteer", "person"),
    ("delete", 0.5, "registry.resident", "person"),
    ("backup", 0.05, "", "backup"),
    ("restore", 0.002, "", "backup"),
    ("locked_out", 0.2, "accounts.user", "user"),
    ("token_create", 0.05, "accounts.apitoken", "user"),
]


def build_world(scale: str, street: Any) -> dict[str, Any]:
    """The bench street gets nine more communities (and, at city scale, nine more streets like it), each
    with its grids and its staff, so that scopes and names are as varied as a district's."""
    from linli.accounts.models import User
    from linli.accounts.services import user_create
    from linli.areas.models import Area
    from linli.areas.services import area_create

    streets = [street]
    for s in range(2, STREETS[scale] + 1):
        streets.append(area_create(actor=None, kind="street", code=f"B{s:02d}", name=f"基准街道{s}"))
    for st in streets:
        have = Area.objects.filter(parent=st, kind="community").count()
        for c in range(have + 1, COMMUNITIES + 1):
            community = area_create(
                actor=None, kind="community", code=f"C{c:02d}", name=f"第{c}社区", parent=st
            )
            for g in range(1, GRIDS + 1):
                area_create(actor=None, kind="grid", code=f"G{g:02d}", name=f"第{g}网格", parent=community)
    operator, _ = user_create(
        actor=None,
        username="audit-operator",
        role="street_admin",
        areas=[street],
        full_name="运维人员",
        password="bench-pass-2026",  # noqa: S106
    )
    User.objects.filter(pk=operator.pk).update(is_operator=True)
    rng = random.Random(11)  # noqa: S311  (bench data)
    communities = list(Area.objects.filter(kind="community").order_by("path"))
    staff = [
        User(
            username=f"audit-{c.pk}-{i}",
            full_name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN) * (i % 2),
            role="grid_worker",
            password="!",  # noqa: S106  (unusable: Django never matches "!")
        )
        for c in communities
        for i in range(STAFF_PER_COMMUNITY)
    ]
    User.objects.bulk_create(staff, batch_size=1000)
    return {"operator": User.objects.get(pk=operator.pk)}


def entries(n: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """Rows of core_auditentry, oldest first, over the two years ending now. The areas and users are read
    before the first row is asked for: the rows are written while the connection is busy with COPY."""
    return _rows(n, seed, *_people_and_places())


def _people_and_places() -> tuple[
    dict[str, list[str]], list[tuple[int, str]], dict[str, list[tuple[int, str]]]
]:

    from linli.accounts.models import User
    from linli.areas.models import Area

    grids_by_community: dict[str, list[str]] = {}
    for path, kind in Area.objects.values_list("path", "kind"):
        if kind == "grid":
            grids_by_community.setdefault(path.rsplit("/", 1)[0], []).append(path)
    communities = sorted(grids_by_community)
    staff: dict[str, list[tuple[int, str]]] = {c: [] for c in communities}
    users = list(
        User.objects.filter(username__startswith="audit-").values_list("pk", "full_name", "username")
    )
    for i, (pk, name, _username) in enumerate(users):
        staff[communities[i % len(communities)]].append((pk, name))
    return grids_by_community, [(pk, name) for pk, name, _ in users], staff


def _rows(
    n: int,
    seed: int,
    grids_by_community: dict[str, list[str]],
    users: list[tuple[int, str]],
    staff: dict[str, list[tuple[int, str]]],
) -> Iterator[tuple[Any, ...]]:
    from django.utils import timezone

    rng = random.Random(seed)  # noqa: S311  (bench data)
    communities = sorted(grids_by_community)
    kinds = list(ACTIONS)
    weights = [a[1] for a in ACTIONS]
    now = timezone.now()
    start = now - timedelta(days=730)
    step = (now - start) / n
    for i in range(n):
        action, _, object_type, naming = rng.choices(kinds, weights)[0]
        community = communities[(int(rng.paretovariate(1.2)) - 1) % len(communities)]
        actor_id, actor_label = rng.choice(staff[community] or users[:1])
        roll = rng.random()
        area = rng.choice(grids_by_community[community]) if roll < 0.75 else community
        if naming == "person":
            obj = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            object_id = str(rng.randint(1, 260_000 * len(communities) // COMMUNITIES))
        elif naming == "case":
            obj = f"案件 {(start + step * i):%Y%m%d}{i % 100000:05d}"
            object_id = str(i // 7)
        elif naming == "user":
            obj = actor_label
            object_id = str(actor_id)
        elif naming == "digits":
            obj = f"按号码查找（尾号 {rng.randint(0, 9999):04d}）"
            object_id = ""
        elif naming == "export":
            obj = f"居民台账（{rng.randint(50, 20000)} 人）"
            object_id = str(rng.randint(1, 5000))
        else:
            obj, object_id, area, actor_id, actor_label = "数据库备份", "", "", None, ""
        changes = (
            '{"phone": ["138****0000", "139****1111"]}' if action == "update" and rng.random() < 0.3 else "{}"
        )
        ip = (
            f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            if action.startswith("log")
            else None
        )
        at = start + step * i + timedelta(seconds=rng.randint(0, 59))
        yield (at, actor_id, actor_label, action, object_type, object_id, obj, area, changes, ip, "web")


COLUMNS = (
    "at, actor_id, actor_label, action, object_type, object_id, object_repr, area_path, changes, ip, via"
)


def load(n: int, seed: int) -> None:
    """Written as the log would have been, in time order; on PostgreSQL generated by the database itself
    with the table's indexes dropped and built again afterwards (the indexes are the ones the migrations
    made). In Python the rows came at ~9,000 a second, 40 minutes for the city's 20,000,000."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'core_auditentry' "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            )
            indexes = cursor.fetchall()
            with transaction.atomic():
                for name, _ in indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
                generate_in_sql(cursor, n, seed)
            # As an operator would for a one-off build: more memory for sorting the index entries.
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _, definition in indexes:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")
        else:
            batch: list[tuple[Any, ...]] = []
            sql = f"INSERT INTO core_auditentry ({COLUMNS}) VALUES ({', '.join(['%s'] * 11)})"  # noqa: S608
            with transaction.atomic():
                for row in entries(n, seed):
                    batch.append(row)
                    if len(batch) == 20_000:
                        cursor.executemany(sql, batch)
                        batch = []
                cursor.executemany(sql, batch)


# The rows of `_rows`, drawn by PostgreSQL: the same actions in the same shares, the same skew of
# communities (a Pareto draw), the same names, objects, areas, changes and addresses.
GENERATE_SQL = f"""
INSERT INTO core_auditentry ({COLUMNS})
SELECT at, CASE WHEN naming = 'backup' THEN NULL ELSE actor_id END,
       CASE WHEN naming = 'backup' THEN '' ELSE actor_label END,
       action, object_type,
       CASE naming
         WHEN 'person' THEN (1 + floor(r2 * %(residents)s))::bigint::text
         WHEN 'case' THEN (i / 7)::text
         WHEN 'user' THEN actor_id::text
         WHEN 'export' THEN (1 + floor(r2 * 5000))::int::text
         ELSE '' END,
       CASE naming
         WHEN 'person' THEN substr(%(surnames)s, 1 + floor(r3 * %(ns)s)::int, 1)
                         || substr(%(given)s, 1 + floor(r4 * %(ng)s)::int, 1)
                         || substr(%(given)s, 1 + floor(r5 * %(ng)s)::int, 1)
         WHEN 'case' THEN '案件 ' || to_char(slot, 'YYYYMMDD') || lpad((i %% 100000)::text, 5, '0')
         WHEN 'user' THEN actor_label
         WHEN 'digits' THEN '按号码查找（尾号 ' || lpad(floor(r3 * 10000)::int::text, 4, '0') || '）'
         WHEN 'export' THEN '居民台账（' || (50 + floor(r3 * 19951))::int::text || ' 人）'
         ELSE '数据库备份' END,
       CASE WHEN naming = 'backup' THEN ''
            WHEN roll < 0.75 THEN (%(grids)s::text[])[g_start + floor(r1 * g_len)::int]
            ELSE community END,
       CASE WHEN action = 'update' AND r6 < 0.3
            THEN '{{"phone": ["138****0000", "139****1111"]}}'::jsonb ELSE '{{}}'::jsonb END,
       CASE WHEN action LIKE 'log%%'
            THEN ('10.' || floor(r7 * 4)::int || '.' || floor(r8 * 256)::int || '.'
                  || (1 + floor(r9 * 254))::int)::inet END,
       'web'
FROM (
  SELECT d.*, slot + make_interval(secs => floor(r0 * 60)) AS at,
         (%(actions)s::text[])[k] AS action, (%(types)s::text[])[k] AS object_type,
         (%(namings)s::text[])[k] AS naming,
         (%(communities)s::text[])[c] AS community,
         (%(g_start)s::int[])[c] AS g_start, (%(g_len)s::int[])[c] AS g_len,
         (%(staff_ids)s::int[])[s_at] AS actor_id, (%(staff_names)s::text[])[s_at] AS actor_label
  FROM (
    SELECT e.*, (%(s_start)s::int[])[c] + floor(rs * (%(s_len)s::int[])[c])::int AS s_at
    FROM (
      SELECT i, %(start)s::timestamptz + %(step)s::interval * i AS slot,
             width_bucket(random(), %(bounds)s::float8[]) AS k,
             (floor(1 / power(1 - random(), 1 / 1.2))::bigint - 1) %% %(nc)s + 1 AS c,
             random() AS rs, random() AS roll, random() AS r0, random() AS r1, random() AS r2,
             random() AS r3, random() AS r4, random() AS r5, random() AS r6, random() AS r7,
             random() AS r8, random() AS r9
      FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
    ) e
  ) d
) x
ORDER BY i
"""  # noqa: S608  (constants and parameters)


def generate_in_sql(cursor: Any, n: int, seed: int, chunk: int = 1_000_000) -> None:
    from django.utils import timezone

    grids_by_community, users, staff = _people_and_places()
    communities = sorted(grids_by_community)
    grids: list[str] = []
    g_start, g_len, staff_ids, staff_names, s_start, s_len = [], [], [], [], [], []
    for c in communities:
        g_start.append(len(grids) + 1)
        g_len.append(len(grids_by_community[c]))
        grids += grids_by_community[c]
        people = staff[c] or users[:1]
        s_start.append(len(staff_ids) + 1)
        s_len.append(len(people))
        staff_ids += [pk for pk, _ in people]
        staff_names += [name for _, name in people]
    total = sum(a[1] for a in ACTIONS)
    bounds, acc = [], 0.0
    for a in ACTIONS:
        bounds.append(acc / total)
        acc += a[1]
    now = timezone.now()
    start = now - timedelta(days=730)
    params: dict[str, Any] = {
        "residents": 260_000 * len(communities) // COMMUNITIES,
        "surnames": SURNAMES,
        "ns": len(SURNAMES),
        "given": GIVEN,
        "ng": len(GIVEN),
        "actions": [a[0] for a in ACTIONS],
        "types": [a[2] for a in ACTIONS],
        "namings": [a[3] for a in ACTIONS],
        "bounds": bounds,
        "communities": communities,
        "nc": len(communities),
        "grids": grids,
        "g_start": g_start,
        "g_len": g_len,
        "staff_ids": staff_ids,
        "staff_names": staff_names,
        "s_start": s_start,
        "s_len": s_len,
        "start": start,
        "step": (now - start) / n,
    }
    cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
    for lo in range(0, n, chunk):
        cursor.execute(GENERATE_SQL, {**params, "lo": lo, "hi": min(n, lo + chunk) - 1})


def searches(seed: int) -> dict[str, list[dict[str, str]]]:
    """Each kind of search the page offers, over several values taken from the data."""
    from django.utils import timezone

    from linli.core.models import AuditEntry

    rng = random.Random(seed)  # noqa: S311
    sample = list(
        AuditEntry.objects.order_by("-id").values("actor_label", "object_repr", "object_id", "ip")[:5000]
    )
    people = [
        s["object_repr"] for s in sample if len(s["object_repr"]) == 3 and s["object_repr"][0] in SURNAMES
    ]
    cases = [s["object_repr"].split()[1] for s in sample if s["object_repr"].startswith("案件 ")]
    actors = [s["actor_label"] for s in sample if s["actor_label"]]
    ips = [s["ip"] for s in sample if s["ip"]]
    today = timezone.localdate()
    year_ago = today - timedelta(days=365)
    week = lambda d: {"since": d.isoformat(), "until": (d + timedelta(days=6)).isoformat()}  # noqa: E731
    return {
        "open_page": [{}],
        "page_20": [{"page": "20"}],
        "action_reveal": [{"action": "reveal"}],
        "action_rare": [{"action": "restore"}, {"action": "token_create"}],
        "actor_exact": [{"actor": a} for a in rng.sample(actors, 3)],
        "q_actor_name": [{"q": a} for a in rng.sample(actors, 3)],
        "q_resident_name": [{"q": p} for p in rng.sample(people, 3)],
        "q_two_chars": [{"q": p[:2]} for p in rng.sample(people, 3)],
        "q_case_number": [{"q": c} for c in rng.sample(cases, 3)],
        "q_object_id": [{"q": str(rng.randint(1, 200_000))} for _ in range(3)],
        "q_ip": [{"q": i} for i in rng.sample(ips, 2)],
        "week_a_year_ago": [week(year_ago - timedelta(days=d)) for d in (0, 30, 60)],
        "reveals_of_a_name_in_a_month": [
            {"q": p, "action": "reveal", "since": (today - timedelta(days=30)).isoformat()}
            for p in rng.sample(people, 3)
        ],
        "no_match": [{"q": "无此人名"}],
    }


def run_page(user: Any, params: dict[str, str]) -> int:
    """What the page does for `params`: the filtered entries, the capped count, one page, its names."""
    from linli.core.audit import audit_search
    from linli.core.http import CappedPaginator
    from linli.core.ledger import ledger
    from linli.core.views import AUDIT_COUNT_CAP

    entries, _ = audit_search(user, params)
    page = CappedPaginator(entries, 50, cap=AUDIT_COUNT_CAP).get_page(params.get("page"))
    ledger(list(page.object_list), reveal=False)
    return page.paginator.count


def workload(
    scale: str, seed: int, street: Any, timed: Callable[[Callable[[], Any]], tuple[float, Any]]
) -> dict[str, Any]:
    from linli.core.db import refresh_statistics

    n = ENTRIES[scale]
    world_s, world = timed(lambda: build_world(scale, street))
    load_s, _ = timed(lambda: load(n, seed))
    analyze_s, _ = timed(refresh_statistics)
    result: dict[str, Any] = {
        "workload": "audit",
        "scale": scale,
        "entries": n,
        "load_s": round(load_s + world_s, 1),
        "rows_per_s": round(n / load_s),
        "analyze_s": round(analyze_s, 1),
    }
    return {**result, **measure(seed, world["operator"], timed)}


def measure(
    seed: int, operator: Any, timed: Callable[[Callable[[], Any]], tuple[float, Any]]
) -> dict[str, Any]:
    """The searches on a loaded log (apart from the load, so a kept database can be measured again)."""
    from django.db import connection

    from linli.accounts.models import User

    users = {"street_admin": User.objects.get(username="bench-admin"), "operator": operator}
    result: dict[str, Any] = {"limit_ms": LIMIT_MS}
    with connection.cursor() as cursor:
        base = []
        for _ in range(20):
            t = time.perf_counter()
            cursor.execute("SELECT * FROM core_auditentry ORDER BY id DESC LIMIT 50")
            cursor.fetchall()
            base.append((time.perf_counter() - t) * 1000)
    result["raw_sql_newest_50_p50_ms"] = round(_pct(base, 50), 2)
    # What the page cost before the cap: it counted every entry the user may read, on every load.
    from linli.core.audit import audit_search

    everything, _ = audit_search(users["street_admin"], {})
    count_s, total = timed(everything.count)
    result["uncapped_count"] = {"entries": total, "ms": round(count_s * 1000, 1)}
    worst = 0.0
    kinds = searches(seed)
    for role, user in users.items():
        per_kind: dict[str, Any] = {}
        for kind, values in kinds.items():
            times = []
            counts = []
            for params in values:
                for _ in range(RUNS):
                    t = time.perf_counter()
                    counts.append(run_page(user, params))
                    times.append((time.perf_counter() - t) * 1000)
            p95 = _pct(times, 95)
            worst = max(worst, p95)
            per_kind[kind] = {
                "p50_ms": round(_pct(times, 50), 1),
                "p95_ms": round(p95, 1),
                "rows": max(counts),
            }
        result[role] = per_kind
    result["worst_p95_ms"] = round(worst, 1)
    result["ratio_to_limit"] = round(worst / LIMIT_MS, 2)
    return result
