"""The register's running counts (registry/counts.py) equal a direct count after every kind of write: the
services, an import, plain ORM bulk updates and deletes, a restore — and the dashboards' figures read them."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from linli.core.backup import backup, restore
from linli.core.checks import run_checks
from linli.registry import counts
from linli.registry.dashboard import house_counts, household_count
from linli.registry.models import (
    Building,
    House,
    Household,
    RegisterCount,
    Resident,
    ResidentTag,
    Tag,
    TagGroup,
)
from linli.registry.selectors import population_counts
from linli.registry.services import (
    house_create,
    household_create,
    resident_create,
    resident_merge,
    resident_move,
    resident_set_status,
    resident_set_tags,
    resident_update,
)
from tests.factories import make_id_number
from tests.test_cli import run


def agree() -> None:
    assert counts.mismatches() == []


def tag(code: str, name: str, sensitive: bool) -> Tag:  # noqa: FBT001
    """A default tag (seeded by a migration; a transactional test's flush empties the table before the next)."""
    group, _ = TagGroup.objects.get_or_create(code="care", defaults={"name": "关爱对象"})
    found, _ = Tag.objects.get_or_create(
        code=code, defaults={"name": name, "group": group, "sensitive": sensitive}
    )
    return found


@pytest.fixture
def people(world):
    """Four residents in two grids of C01 and one in C02, with tags; houses and households."""
    admin = world.street_admin
    h1 = house_create(actor=admin, grid=world.c01_g01, building="1", room="101")
    h2 = house_create(actor=admin, grid=world.c01_g02, building="2", room="201", use="rented")
    h3 = house_create(actor=admin, grid=world.c02_g01, building="3", room="301", use="vacant")
    household_create(actor=admin, house=h1)
    household_create(actor=admin, house=h2)
    elderly, low_income = tag("elderly_alone", "独居老人", False), tag("dibao", "低保", True)
    made = []
    for i, (grid, house, kind) in enumerate(
        [
            (world.c01_g01, h1, "registered"),
            (world.c01_g01, h1, "floating"),
            (world.c01_g02, h2, "permanent"),
            (world.c01_g02, h2, "registered"),
            (world.c02_g01, h3, "registered"),
        ]
    ):
        r = resident_create(
            actor=admin,
            grid=grid,
            name=f"居民{'甲乙丙丁戊'[i]}",
            id_number=make_id_number("19400101", 11 + 2 * i),
            residence_type=kind,
            house=house,
        )
        resident_set_tags(actor=admin, resident=r, tags=[elderly] + ([low_income] if i % 2 else []))
        made.append(r)
    return made


def test_the_services_keep_the_counts_exact(world, people):
    admin = world.street_admin
    agree()
    a, b, c, d, e = people
    assert population_counts(admin)[1].total == 5
    resident_update(actor=admin, resident=a, residence_type="permanent")
    agree()
    resident_set_tags(actor=admin, resident=b, tags=[])
    agree()
    resident_set_status(actor=admin, resident=c, status="moved_out", effective_date=date(2026, 1, 2))
    agree()
    resident_set_status(actor=admin, resident=c, status="active", effective_date=date(2026, 1, 3))
    agree()
    house = House.objects.get(room_number="301")
    resident_move(actor=admin, resident=d, grid=world.c02_g01, house=house)
    agree()
    resident_merge(actor=admin, survivor=e, duplicate=a)
    agree()
    total = population_counts(admin)[1]
    assert total.total == 4  # the duplicate is 已合并, no longer on the register
    assert total.by_residence_type == {"registered": 2, "permanent": 1, "floating": 1}


def test_figures_equal_a_direct_count_per_scope(world, people):
    """What the dashboards show for each role equals counting the residents, houses and households."""
    for user in (world.street_admin, world.c01_leader, world.grid_worker_c01_g02, world.department):
        rows, total = population_counts(user)
        residents = Resident.objects.visible_to(user).filter(status="active")
        assert total.total == residents.count()
        assert {r.path: r.total for r in rows} == {
            g.path: residents.filter(grid=g).count() for g in {r.grid for r in residents}
        }
        visible_tags = ResidentTag.objects.visible_to(user).filter(resident__status="active")
        visible_tags = visible_tags.exclude(Tag.hidden_q(user, "tag__"))
        assert sum(total.by_tag.values()) == visible_tags.count()
        houses = House.objects.visible_to(user)
        assert house_counts(user, "")["total"] == houses.count()
        assert house_counts(user, "").get("rented", 0) == houses.filter(use="rented").count()
        assert household_count(user, "") == Household.objects.visible_to(user).count()
    # a community leader's community only, and a grid narrowed to
    assert population_counts(world.street_admin, area="S01/C01")[1].total == 4
    assert household_count(world.street_admin, "S01/C01/G02") == 1
    # the low-income tag is sensitive: a viewer's counts leave it out
    assert "低保" in population_counts(world.street_admin)[1].by_tag
    assert "低保" not in population_counts(world.viewer)[1].by_tag


def test_bulk_orm_writes_and_raw_deletes_keep_them_exact(world, people):
    """Paths that bypass the services (a data fix in the shell, a migration's bulk update) are seen too."""
    Resident.objects.filter(grid=world.c01_g01).update(grid=world.c01_g02)
    agree()
    Resident.objects.filter(residence_type="registered").update(status="moved_out")
    agree()
    Resident.objects.update(status="active")
    agree()
    Resident.objects.filter(grid=world.c01_g02).update(birth_date=date(1990, 5, 1), gender="female")
    agree()
    Building.objects.filter(number="1").update(grid=world.c02_g01)
    agree()
    House.objects.filter(room_number="201").update(use="business")
    agree()
    Household.objects.filter(house__room_number="201").update(house=House.objects.get(room_number="301"))
    agree()
    ResidentTag.objects.filter(tag__name="低保").update(tag=tag("disabled", "残疾人", True))
    agree()
    ResidentTag.objects.filter(tag__name="独居老人").delete()
    agree()
    Household.objects.all().delete()
    Resident.objects.all().delete()
    agree()
    House.objects.all().delete()
    agree()
    assert counts.COUNTS.kept() == {}


@pytest.mark.django_db(transaction=True)
def test_a_restore_rebuilds_them_from_its_own_writes(world, people, tmp_path: Path):
    path = tmp_path / "b.jsonl.gz"
    backup(path)
    Resident.objects.filter(pk=people[0].pk).update(status="moved_out")
    restore(path)
    agree()
    assert population_counts(world.street_admin)[1].total == 5
    keys = list(RegisterCount.objects.values_list("grid_id", "kind", "key"))
    assert len(keys) == len(set(keys))  # folded at the end of the restore (one row a key on PostgreSQL too)


def test_compact_folds_each_key_and_keeps_the_sums(world, people):
    admin = world.street_admin
    for kind in ("floating", "permanent", "registered"):  # each a statement of its own: rows on PostgreSQL
        resident_update(actor=admin, resident=people[0], residence_type=kind)
    before = counts.COUNTS.kept()
    counts.compact()
    assert counts.COUNTS.kept() == before
    keys = list(RegisterCount.objects.values_list("grid_id", "kind", "key"))
    assert len(keys) == len(set(keys))  # one row a key
    assert not RegisterCount.objects.filter(n=0).exists()
    agree()


def test_check_reports_a_difference_and_recount_mends_it(world, people, capsys):
    RegisterCount.objects.filter(kind="type").delete()
    assert counts.mismatches()
    failed = [m for ok, m in run_checks() if not ok]
    assert any("linli registry recount" in m for m in failed)
    code, out, _ = run(capsys, "registry", "recount")
    assert code == 0
    assert "rows" in out
    agree()
    assert any(ok and m.startswith("register counts") for ok, m in run_checks())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps one row a key: nothing to fold")
def test_check_warns_when_the_changes_are_not_folded(world, people, monkeypatch):
    """Changes appended and never folded (a deployment without the sweep) make `linli check` say so; a fold
    clears it. Appended here by hand: +1 and -1 pairs, so the counts stay right and only the rows pile up."""
    from linli.core import running_counts

    monkeypatch.setattr(running_counts, "UNFOLDED_WARN", 50)
    some = RegisterCount.objects.order_by("pk").first()
    RegisterCount.objects.bulk_create(
        RegisterCount(grid_id=some.grid_id, kind=some.kind, key=some.key, n=n)
        for _ in range(300)
        for n in (1, -1)
    )
    assert not counts.mismatches()
    failed = [m for ok, m in run_checks() if not ok]
    assert any(m.startswith("register counts") and "wait to be folded" in m for m in failed), failed
    counts.compact()
    assert any(ok and m.startswith("register counts") for ok, m in run_checks())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers exist on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_writers_in_the_same_grid_never_wait_for_each_other(world):
    """A resident registered in a grid while another transaction, not yet committed, registers one in the
    same grid with the same residence type: no counter row is locked, so the second does not wait."""
    held, done = threading.Event(), threading.Event()
    errors: list[str] = []

    def first() -> None:
        try:
            with transaction.atomic():
                resident_create(
                    actor=None, grid=world.c01_g01, name="先来", id_number=make_id_number("19500101", 201),
                    residence_type="registered",
                )  # fmt: skip
                held.set()
                done.wait(20)
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(repr(exc))
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    assert held.wait(20)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        resident_create(
            actor=None, grid=world.c01_g01, name="后到", id_number=make_id_number("19500101", 203),
            residence_type="registered",
        )  # fmt: skip
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
        done.set()
        thread.join(30)
    assert errors == []
    agree()
    assert population_counts(world.street_admin)[1].total == 2


def test_the_age_pyramid_from_the_counts_is_exact_on_the_days_a_band_changes(world):
    """Born on each band's edge, a day either side, on 1 January and 31 December of the edges' years, and
    on 29 February: the pyramid (kept years plus the edges' partial years counted live) equals the resident
    list's age filter for every gender and band."""
    from datetime import timedelta

    import time_machine

    from linli.registry.dashboard import age_bands
    from linli.registry.forms import AGE_BANDS, _years_ago

    today = date(2026, 12, 6)
    days = {date(2008, 2, 29), date(1964, 2, 29)}
    for years in (18, 60, 80):
        edge = _years_ago(today, years)
        days |= {edge, edge - timedelta(days=1), edge + timedelta(days=1)}
        days |= {edge.replace(month=1, day=1), edge.replace(month=12, day=31)}
    days |= {today, today.replace(month=1, day=1)}
    with time_machine.travel(datetime(2026, 12, 6, 10, 0, tzinfo=UTC), tick=False):
        for i, born in enumerate(sorted(days)):
            resident_create(
                actor=None,
                grid=world.c01_g01 if i % 2 else world.c02_g01,
                name=f"边界{i}",
                id_number=make_id_number(born.strftime("%Y%m%d"), 101 + i),  # odd and even: both genders
            )
        agree()
        for user in (world.street_admin, world.c01_leader):
            bands = age_bands(user, "", today)
            active = Resident.objects.visible_to(user).filter(status="active")
            for gender in ("male", "female"):
                for band, _ in AGE_BANDS:
                    low, _, high = band.partition("-")
                    people = active.filter(gender=gender, birth_date__lte=_years_ago(today, int(low)))
                    if high:
                        people = people.filter(birth_date__gt=_years_ago(today, int(high) + 1))
                    assert bands[(gender, band)] == people.count(), (user.username, gender, band)
