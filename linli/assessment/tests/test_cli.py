"""`linli assessment list` and `linli assessment draw ROUND --seed S`."""

from __future__ import annotations

from linli.assessment import services
from linli.core.cli import main
from linli.core.models import AuditEntry


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_has_a_header_then_one_round_a_line_id_first(aw, capsys):
    first = aw.new_round()
    second = aw.new_round(title="第二轮")
    code, out, _ = run(capsys, "assessment", "list")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split()[0] == "id"
    assert [line.split()[0] for line in lines[1:]] == [str(first.pk), str(second.pk)]


def test_draw_prints_the_same_sample_every_time(aw, capsys):
    round_ = aw.new_round(min_sample=5)
    code, preview, _ = run(capsys, "assessment", "draw", str(round_.pk), "--seed", "s1")
    assert code == 0
    assert preview.count(" sample ") == 5
    assert preview.count(" reserve ") == 19
    lines = preview.splitlines()
    assert lines[0] == f"round {round_.pk} seed s1 min_sample 5"
    # One resident a line: worker id, the worker's name (never the login), rank, sample|reserve, grid, id.
    worker, name, rank, drawn, grid, resident = lines[2].split()
    assert (worker, name, rank, drawn) == (str(aw.worker.pk), aw.worker.full_name, "1", "sample")
    assert grid.startswith(aw.w.c01.path + "/")
    assert int(resident) in {r.pk for r in aw.g01_residents + aw.g02_residents}
    assert run(capsys, "assessment", "draw", str(round_.pk), "--seed", "s1")[1] == preview
    assert run(capsys, "assessment", "draw", str(round_.pk), "--seed", "s2")[1] != preview
    services.round_open(actor=aw.w.street_admin, round=round_, seed="s1")
    # After opening, the frozen frame with the published seed gives the same order as the preview.
    assert run(capsys, "assessment", "draw", str(round_.pk), "--seed", "s1")[1] == preview


def test_draw_with_another_seed_after_publication_is_refused_and_audited(aw, capsys):
    round_ = services.round_open(actor=aw.w.street_admin, round=aw.new_round(), seed="pub")
    code, out, err = run(capsys, "assessment", "draw", str(round_.pk), "--seed", "mine")
    assert code == 1
    assert "pub" in err
    assert out == ""
    refusal = AuditEntry.objects.get(changes__refused="seed_changed")
    assert refusal.object_id == str(round_.pk)
    assert refusal.changes["seed"] == ["pub", "mine"]
    # The published seed is still accepted after the refusal, and nothing was written by it.
    assert run(capsys, "assessment", "draw", str(round_.pk), "--seed", "pub")[0] == 0
    code, _, err = run(capsys, "assessment", "draw", "999", "--seed", "x")
    assert code == 1
    assert "no assessment round 999" in err
