"""The server log carries no personal data: the notification channel and the sweep log masked phones."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest

from linli.accounts.services import user_update
from linli.cases import services
from linli.cases.tests.conftest import SHANGHAI, CaseWorld, new_case


@pytest.fixture
def phones(cw: CaseWorld) -> CaseWorld:
    user_update(actor=cw.w.grid_worker_c01_g01, user=cw.w.grid_worker_c01_g01, phone="13912345678")
    user_update(actor=cw.grid_leader, user=cw.grid_leader, phone="13798765432")
    return cw


def _notify_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "linli.notify"]


def test_the_console_channel_logs_masked_phones(
    phones: CaseWorld, caplog, django_capture_on_commit_callbacks
):
    w = phones.w
    caplog.set_level(logging.INFO, logger="linli.notify")
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_register(actor=w.c01_worker, case=new_case(phones))
        services.case_dispatch(actor=w.c01_worker, case=case, assignee=w.grid_worker_c01_g01)
    lines = _notify_lines(caplog)
    assert any("c01g01 (139****5678)" in line for line in lines)
    assert not any("13912345678" in line for line in lines)


def test_the_sweep_logs_masked_phones_even_inside_free_text(
    phones: CaseWorld, clock, caplog, django_capture_on_commit_callbacks
):
    w = phones.w
    caplog.set_level(logging.INFO, logger="linli.notify")
    with django_capture_on_commit_callbacks(execute=True):
        case = new_case(phones, title="请回电 13600136000 或身份证 370502199001011234 的家属")
        case = services.case_register(actor=w.c01_worker, case=case)
        services.case_dispatch(actor=w.c01_worker, case=case, assignee=w.grid_worker_c01_g01)
    with django_capture_on_commit_callbacks(execute=True):
        clock.move_to(datetime(2026, 11, 19, 18, 0, tzinfo=SHANGHAI))
        assert services.tick().overdue == 1
    lines = _notify_lines(caplog)
    assert any("已超期" in line for line in lines)
    text = "\n".join(lines)
    for secret in ("13912345678", "13798765432", "13600136000", "370502199001011234"):
        assert secret not in text
    assert "136****6000" in text
