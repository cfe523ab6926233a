"""The `linli` command, run in-process against the test database, plus one real subprocess run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from linli.accounts.models import ApiToken, User
from linli.accounts.services import token_authenticate
from linli.areas.models import Area, GridAssignment
from linli.core.cli import main
from linli.core.models import AuditEntry
from tests.factories import make_id_number


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_area_add_and_list(world, capsys):
    code, out, _ = run(capsys, "area", "add", "grid", "G03", "第三网格", "--parent", "S01/C01")
    assert code == 0
    assert "S01/C01/G03" in out
    code, out, _ = run(capsys, "area", "list", "S01/C01")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == [
        "S01/C01",
        "S01/C01/G01",
        "S01/C01/G02",
        "S01/C01/G03",
    ]
    entry = AuditEntry.objects.filter(object_repr__contains="S01/C01/G03").get()
    assert entry.via == "cli"
    assert entry.actor_label.startswith("cli")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["area", "add", "grid", "G01", "x", "--parent", "S01/C01"], "已存在"),
        (["area", "add", "grid", "G09", "x", "--parent", "S01/C09"], "不存在"),
        (["area", "add", "grid", "G09", "x"], "网格不能建在顶层"),
        (["area", "add", "grid", "G 9", "x", "--parent", "S01/C01"], "编码只能包含"),
        (["user", "add", "zhao", "--role", "grid_worker", "--area", "S01/C01"], "网格员只能绑定到网格"),
        (["user", "add", "c01g01", "--role", "viewer", "--area", "S01"], "已存在"),
        (["user", "add", "wu", "--role", "viewer", "--area", "S01", "--password", "123"], "密码"),
        (["token", "create", "nobody"], "no user named"),
        (["token", "revoke", "linli_nothing"], "no token matches"),
        (["area", "assign", "S01/C01/G01", "c01-worker", "--start", "2026-02-30"], "not a date"),
        (["restore", "/nonexistent/backup.gz", "--yes"], "no such file"),
        (["backup", "/nonexistent/dir/backup.gz"], "does not exist"),
    ],
)
def test_user_errors_are_one_line_and_exit_1(world, capsys, argv, message):
    before = (Area.objects.count(), User.objects.count(), AuditEntry.objects.count())
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert err.startswith("linli: error: ")
    assert err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err
    assert (Area.objects.count(), User.objects.count(), AuditEntry.objects.count()) == before


def test_usage_errors_exit_2_with_one_line(db, capsys):
    with pytest.raises(SystemExit) as info:
        main(["area", "add", "planet", "P1", "x"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "invalid choice" in err


def test_user_add_generates_a_password_when_none_is_given(world, capsys):
    code, out, _ = run(
        capsys, "user", "add", "Zhao.Lei", "--role", "grid_worker", "--area", "S01/C02/G01", "--name", "赵磊"
    )
    assert code == 0
    password = out.strip().splitlines()[-1].removeprefix("password: ")
    user = User.objects.get(username="zhao.lei")
    assert user.check_password(password)
    assert user.full_name == "赵磊"
    assert GridAssignment.objects.filter(user=user, grid__path="S01/C02/G01").exists()


def test_user_bound_to_several_areas(world, capsys):
    code, _, _ = run(
        capsys, "user", "add", "inspector", "--role", "viewer", "--area", "S01/C01", "--area", "S01/C02"
    )
    assert code == 0
    assert User.objects.get(username="inspector").scope_paths() == ["S01/C01", "S01/C02"]


def test_token_create_prints_a_working_token_and_revoke_kills_it(world, capsys):
    code, out, _ = run(capsys, "token", "create", "c01-worker", "--name", "对接系统")
    raw = out.strip()
    assert code == 0
    assert token_authenticate(raw) == world.c01_worker
    prefix = ApiToken.objects.get().lookup_prefix
    code, out, _ = run(capsys, "token", "list", "c01-worker")
    assert prefix in out
    assert "active" in out
    code, out, _ = run(capsys, "token", "revoke", prefix)
    assert code == 0
    assert token_authenticate(raw) is None


def test_area_assign_makes_a_grid_leader(world, capsys):
    code, out, _ = run(
        capsys, "area", "assign", "S01/C01/G02", "c01-worker", "--duty", "leader", "--start", "2026-03-01"
    )
    assert code == 0
    assert GridAssignment.objects.filter(user=world.c01_worker, grid=world.c01_g02, duty="leader").exists()


def test_user_passwd_disable_enable(world, capsys):
    code, out, _ = run(capsys, "user", "passwd", "c01g01", "--password", "brand-new-pass-1")
    assert code == 0
    world.grid_worker_c01_g01.refresh_from_db()
    assert world.grid_worker_c01_g01.check_password("brand-new-pass-1")
    assert run(capsys, "user", "disable", "c01g01")[0] == 0
    assert not User.objects.get(username="c01g01").is_active
    assert run(capsys, "user", "enable", "c01g01")[0] == 0
    assert User.objects.get(username="c01g01").is_active


def test_check_passes_on_a_migrated_database(db, capsys):
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert "FAIL" not in out
    assert "migrations applied" in out


def test_demo_builds_a_real_looking_street_once(db, capsys):
    code, out, _ = run(capsys, "demo", "--seed", "7", "--residents", "400")
    assert code == 0
    assert "linli-demo-2026" in out
    assert "c01g01" in out
    communities = Area.objects.filter(kind="community")
    grids = Area.objects.filter(kind="grid")
    assert communities.count() >= 3
    assert grids.count() >= 12
    leaves = grids.filter(children__isnull=True)
    staffed = GridAssignment.objects.current().filter(duty="worker").values("grid")
    assert not leaves.exclude(pk__in=staffed).exists(), "every leaf grid has a grid worker"
    names = set(User.objects.exclude(full_name="").values_list("full_name", flat=True))
    assert len(names) == User.objects.count(), "every demo user has a distinct Chinese name"
    assert all("\u4e00" <= n[0] <= "\u9fff" for n in names)
    code, _, err = run(capsys, "demo")
    assert code == 1
    assert "already exists" in err
    code, out, _ = run(capsys, "demo", "--if-empty")
    assert code == 0
    assert "nothing to do" in out
    assert "c01-leader" in out  # the logins are shown again on every start


def test_backup_and_restore_round_trip(world, capsys, tmp_path: Path):
    from linli.registry.models import Building, House, Household, Resident
    from linli.registry.services import resident_create, resident_update

    house = House.objects.create(
        building=Building.objects.create(grid=world.c01_g01, number="3"), room_number="201"
    )
    household = Household.objects.create(house=house)
    head = resident_create(
        actor=None, grid=world.c01_g01, name="户主", id_number=make_id_number(seq=21), house=house
    )
    resident_update(actor=None, resident=head, household=household)
    Household.objects.filter(pk=household.pk).update(head=head)  # household ↔ resident: a foreign-key cycle
    target = tmp_path / "linli-backup.jsonl.gz"
    code, out, _ = run(capsys, "backup", str(target))
    assert code == 0
    assert target.stat().st_size > 0
    areas_before = sorted(Area.objects.values_list("path", "name"))
    users_before = sorted(User.objects.values_list("username", "password"))
    # Change things after the backup: restore must undo them.
    run(capsys, "area", "add", "grid", "G07", "备份后新建", "--parent", "S01/C01")
    Area.objects.filter(path="S01/C01").update(name="改过的名字")
    code, out, err = run(capsys, "restore", str(target), "--yes")
    assert code == 0, err
    assert sorted(Area.objects.values_list("path", "name")) == areas_before
    assert sorted(User.objects.values_list("username", "password")) == users_before
    assert Household.objects.get().head == Resident.objects.get(name="户主")
    assert AuditEntry.objects.filter(action="restore").exists()
    # New rows after a restore get fresh ids (sequences were reset on PostgreSQL).
    assert run(capsys, "area", "add", "grid", "G08", "恢复后新建", "--parent", "S01/C01")[0] == 0


def test_restore_refuses_a_file_that_is_not_a_backup(world, capsys, tmp_path: Path):
    junk = tmp_path / "junk.gz"
    junk.write_bytes(b"not gzip at all")
    before = Area.objects.count()
    code, _, err = run(capsys, "restore", str(junk), "--yes")
    assert code == 1
    assert "not a readable Linli backup" in err
    assert Area.objects.count() == before


def test_restore_without_confirmation_is_refused_when_not_interactive(
    world, capsys, tmp_path: Path, monkeypatch
):
    target = tmp_path / "b.gz"
    run(capsys, "backup", str(target))
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115
    code, _, err = run(capsys, "restore", str(target))
    assert code == 1
    assert "--yes" in err


def _console(var_dir: Path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["LINLI_VAR_DIR"] = str(var_dir)
    linli = Path(sys.executable).with_name("linli")

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(linli), *args], env=env, capture_output=True, text=True, timeout=300)

    return call


def test_console_script_on_fresh_sqlite_directories_with_a_reproducible_demo(tmp_path: Path):
    """The installed `linli` entry point, as an operator runs it: init, demo, check; twice, same seed."""
    first = _console(tmp_path / "one")
    missing = first("demo")
    assert missing.returncode == 1
    assert "linli init" in missing.stderr
    assert first("init").returncode == 0
    assert (tmp_path / "one" / "linli.sqlite3").exists()
    demo = first("demo", "--seed", "5", "--residents", "150")
    assert demo.returncode == 0, demo.stderr
    assert "admin" in demo.stdout
    assert first("check").returncode == 0

    second = _console(tmp_path / "two")
    assert second("init").returncode == 0
    assert second("demo", "--seed", "5", "--residents", "150").returncode == 0
    assert first("user", "list").stdout == second("user", "list").stdout

    # An upgrade that adds an index refreshes the planner's statistics, so the index is costed, not guessed.
    # The migration that added the case list's indexes (and any after it) is undone as Django undoes it,
    # so `init` applies it again as an upgrade would.
    back = subprocess.run(
        [sys.executable, "-m", "django", "migrate", "cases", "0013_case_event_relocate"],
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "LINLI_VAR_DIR": str(tmp_path / "one"),
            "DJANGO_SETTINGS_MODULE": "linli.settings",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert back.returncode == 0, back.stderr
    with sqlite3.connect(tmp_path / "one" / "linli.sqlite3") as raw:
        raw.execute("DELETE FROM sqlite_stat1")
    assert first("init").returncode == 0
    with sqlite3.connect(tmp_path / "one" / "linli.sqlite3") as raw:
        stats = {idx for (idx,) in raw.execute("SELECT idx FROM sqlite_stat1")}
    assert "case_deadline_list_idx" in stats


def test_tags_are_configurable_from_the_console(db, capsys):
    from linli.registry.models import Tag

    code, out, _ = run(
        capsys, "tag", "add", "hearing_impaired", "听障人士", "--group", "care", "--aliases", "听障、聋人"
    )
    assert code == 0
    tag = Tag.objects.get(code="hearing_impaired")
    assert (tag.name, tag.sensitive, tag.aliases) == ("听障人士", False, "听障、聋人")
    assert run(capsys, "tag", "set", "hearing_impaired", "--sensitive", "yes")[0] == 0
    tag.refresh_from_db()
    assert tag.sensitive
    code, _, err = run(capsys, "tag", "add", "x_1", "低保", "--group", "care")
    assert code == 1
    assert "已存在" in err
    code, _, err = run(capsys, "tag", "add", "new_tag", "新标签", "--group", "nope")
    assert code == 1
    assert "标签分组" in err
    code, out, _ = run(capsys, "tag", "list")
    assert "听障人士 (sensitive)" in out
    assert AuditEntry.objects.filter(object_type="registry.tag").count() == 2


def test_demo_assessment_has_a_closed_unsaturated_quarter_and_an_open_round(db, capsys):
    """Issue #21 item 10: last quarter closed with realistic results (not the ~100 % of indiscriminate
    invitations), this quarter open with part of the answers in and the rest invited by text message."""
    from linli.assessment import selectors
    from linli.assessment.models import CaseReview, Rating, Round, SampleEntry

    code, out, _ = run(capsys, "demo", "--seed", "7", "--residents", "1500", "--cases", "200")
    assert code == 0
    closed = Round.objects.get(status="closed", kind="quarter")
    current = Round.objects.get(status="open", kind="quarter")
    assert closed.period_end < current.period_start
    assert closed.seed
    assert current.seed
    scores = selectors.scores(closed)
    rated = [s for s in scores if s.valid]
    assert len(rated) == len(scores) >= 5, "every worker of the community has residents' ratings"
    good = sum(s.counts["excellent"] + s.counts["good"] for s in rated)
    assert 0.6 < good / sum(s.valid for s in rated) < 0.92, "not saturated"
    shares = [s.good_share or 0 for s in rated]
    assert max(shares) - min(shares) > 0.05, "workers differ"
    assert all(s.ci is not None and s.ci[1] - s.ci[0] > 0.15 for s in rated), "intervals, not bare shares"
    invited = sum(s.invited for s in scores)
    responded = sum(s.responded for s in scores)
    assert 0.5 < responded / invited < 0.95
    assert SampleEntry.objects.filter(round=closed, replaces__isnull=False).exists(), (
        "non-respondents replaced"
    )
    ratings = Rating.objects.filter(round=closed)
    assert ratings.filter(validity="no_reason").exists()
    assert ratings.filter(validity="untrue").exists()
    pay = selectors.pay_spread(closed, scores)
    assert pay.spread_percent is not None
    assert 5 < pay.spread_percent < 35
    # This quarter: some answered, the others invited with a one-time link.
    assert SampleEntry.objects.filter(round=current, state="responded").exists()
    assert SampleEntry.objects.filter(round=current, state="sent").exists()
    assert CaseReview.objects.exists(), "departments have case-level reviews to read"
