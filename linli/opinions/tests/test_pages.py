from __future__ import annotations

from datetime import date, time

from django.test import Client

from linli.opinions import services
from linli.opinions.models import Opinion


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_ledger_entry_detail_report_and_export(world, cw):
    w = world
    client = login(w.c01_worker)
    response = client.post(
        "/opinions/new/",
        {
            "area": w.c01_g01.pk,
            "channel": "hotline",
            "topics": ["traffic"],
            "summary": "停车难",
            "speaker_name": "孙先生",
        },
    )
    assert response.status_code == 302
    opinion = Opinion.objects.get()
    assert "停车难" in client.get(f"/opinions/{opinion.pk}/").content.decode()
    response = client.post(
        f"/opinions/{opinion.pk}/case/",
        {"category": cw.dept_category.pk, "title": "停车难", "urgency": "normal"},
    )
    assert response.status_code == 302
    opinion.refresh_from_db()
    assert opinion.case is not None
    assert opinion.case.number in client.get(f"/opinions/{opinion.pk}/").content.decode()
    # The case page links back (contributed by the opinions module; cases imports nothing of it).
    case_page = client.get(f"/cases/{opinion.case.pk}/").content.decode()
    assert f"/opinions/{opinion.pk}/" in case_page
    assert login(w.department).get(f"/cases/{opinion.case.pk}/").status_code == 404  # not dispatched to them
    assert "停车难" in client.get("/opinions/").content.decode()
    report = client.get("/opinions/report/?month=2026-11").content.decode()
    assert "100.0%" in report  # one opinion, turned into a case
    xlsx = client.get("/opinions/?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get("/opinions/report/?month=2026-11&format=xlsx").status_code == 200
    # Another community's grid worker: 404.
    assert login(w.grid_worker_c02_g01).get(f"/opinions/{opinion.pk}/").status_code == 404


def test_open_day_fast_entry_repeats_the_form(world, cw):
    w = world
    day = services.open_day_create(
        actor=w.c01_worker, area=w.c01, held_on=date(2026, 11, 16), start_time=time(9), place="服务大厅"
    )
    client = login(w.c01_worker)
    for text in ("加装电梯", "垃圾分类"):
        response = client.post(
            f"/opinions/open-days/{day.pk}/entry/",
            {"area": w.c01.pk, "topics": ["facilities"], "summary": text},
        )
        assert response.status_code == 302
    assert Opinion.objects.filter(open_day=day, channel="open_day").count() == 2
    bad = client.post(f"/opinions/open-days/{day.pk}/entry/", {"area": w.c01.pk, "summary": "无议题"})
    assert bad.status_code == 400
    assert "请至少选择一个议题" in bad.content.decode()
    page = client.get(f"/opinions/open-days/{day.pk}/").content.decode()
    assert "加装电梯" in page
    assert "共 2 条" in page
    assert client.get("/opinions/open-days/").status_code == 200
