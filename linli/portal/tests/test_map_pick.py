"""The map pick when filing a case: the point chooses the community, and the case lands in the grid there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.areas.models import Area
from linli.cases.models import Case

pytestmark = pytest.mark.django_db


def _square(lng: float, lat: float, size: float) -> dict:
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _draw(pw) -> None:
    Area.objects.filter(pk=pw.w.c01.pk).update(boundary=_square(117.00, 36.60, 0.02))
    Area.objects.filter(pk=pw.w.c01_g02.pk).update(boundary=_square(117.01, 36.61, 0.005))


def test_the_point_picked_chooses_the_community_and_the_grid(pw, portal_client):
    _draw(pw)
    client = portal_client(pw.fang)
    page = client.get("/portal/cases/new/").content.decode()
    assert "data-map-picker" in page
    assert "leaflet.js" in page
    areas = client.get("/portal/map/areas/").json()["areas"]
    assert {a["kind"] for a in areas} == {"community", "grid"}
    found = client.get("/portal/map/locate/", {"lat": "36.612", "lng": "117.012"}).json()
    assert found["area"] == pw.w.c01.pk
    outside = client.get("/portal/map/locate/", {"lat": "30.0", "lng": "110.0"}).json()
    assert outside["area"] is None
    assert "请选择社区" in outside["message"]
    assert client.get("/portal/map/locate/", {"lat": "x", "lng": "1"}).status_code == 400
    r = client.post(
        "/portal/cases/new/",
        {
            "category": pw.cw.dept_category.pk,
            "title": "路灯不亮",
            "description": "小区东门路灯坏了",
            "where": "address",
            "community": pw.w.c01.pk,
            "address": "小区东门",
            "latitude": "36.612",
            "longitude": "117.012",
        },
    )
    assert r.status_code == 302
    case = Case.objects.get(title="路灯不亮")
    assert case.area_id == pw.w.c01_g02.pk
    assert str(case.latitude).startswith("36.612")
    # A point out of range is refused with the cases service's message, and nothing is filed.
    r = client.post(
        "/portal/cases/new/",
        {
            "category": pw.cw.dept_category.pk,
            "title": "坏坐标",
            "description": "x",
            "where": "address",
            "community": pw.w.c01.pk,
            "address": "东门",
            "latitude": "136.6",
            "longitude": "117.0",
        },
    )
    assert r.status_code == 400
    assert "地图选点无效：纬度超出范围" in r.content.decode()
    assert not Case.objects.filter(title="坏坐标").exists()


def test_the_sign_in_page_loads_no_map(pw, client):
    page = client.get("/portal/signin/").content.decode()
    assert "leaflet" not in page
    assert "map-pick" not in page


def test_the_staff_case_form_keeps_its_picker(pw, client_for):
    """The one copy of the picker serves the staff form too, with the dashboards' endpoints."""
    page = client_for(pw.w.c01_worker).get(f"/cases/{pw.neighbour_case.pk}/").content.decode()
    assert "data-map-picker" in page
    assert f'data-locate="{reverse("dashboards:locate")}"' in page
    assert f'data-areas="{reverse("dashboards:map_data")}"' in page
    assert 'data-area-field="area"' in page
    assert "data-check" not in page
