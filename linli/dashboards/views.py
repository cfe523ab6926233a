from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from linli.areas import services as area_services
from linli.areas.geometry import contains_point
from linli.areas.models import Area
from linli.core import pdf
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError
from linli.core.http import HttpRequest, acting_user
from linli.core.middleware import CONTENT_SECURITY_POLICY
from linli.core.permissions import Capability
from linli.core.xlsx import open_workbook
from linli.dashboards import selectors, services
from linli.dashboards.models import BuildingPoint
from linli.registry.models import Building


def _area(request: HttpRequest) -> Area | None:
    user = acting_user(request)
    raw = request.GET.get("area", "")
    area = selectors.chosen_area(user, raw)
    if raw.strip() and area is None:
        from django.http import Http404

        raise Http404
    return area


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    area = _area(request)
    context = selectors.dashboard(user, area=area)
    context["area_choices"] = selectors.area_choices(user)
    return render(request, "dashboards/dashboard.html", context)


@login_required
def screen(request: HttpRequest) -> HttpResponse:
    """数据大屏: the street's figures for a wall screen (1920×1080); the figures reload every minute."""
    user = acting_user(request)
    area = _area(request)
    context = selectors.dashboard(user, area=area)
    context["refresh_seconds"] = 60
    context["scope"] = _scope_line(user, area)
    template = "dashboards/screen.html#figures" if request.htmx else "dashboards/screen.html"
    return render(request, template, context)


# --- the map ---------------------------------------------------------------------------------------


def map_config() -> dict[str, Any]:
    return {
        "tile_url": settings.LINLI_MAP_TILE_URL,
        "tile_coords": settings.LINLI_MAP_TILE_COORDS,
        "attribution": settings.LINLI_MAP_TILE_ATTRIBUTION,
        "max_zoom": settings.LINLI_MAP_MAX_ZOOM,
    }


def _with_tiles(response: HttpResponse) -> HttpResponse:
    """Let the page load the configured tile service's images (and nothing else from elsewhere)."""
    url = settings.LINLI_MAP_TILE_URL
    if url:
        parts = urlsplit(url.replace("{s}", "a"))
        origin = f"{parts.scheme}://{parts.netloc}".replace("://a.", "://*.") if parts.netloc else ""
        if origin:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
                "img-src 'self' data: blob:", f"img-src 'self' data: blob: {origin}"
            )
    return response


@login_required
def map_view(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    area = _area(request)
    path = area.path if area else ""
    grids = selectors.grids_in(user, path)
    context = {
        "area": area,
        "area_choices": selectors.area_choices(user),
        "config": map_config()
        | {"data_url": reverse("dashboards:map_data") + (f"?area={path}" if path else "")},
        "unmapped": [g for g in grids if not g.boundary],
        "measures": selectors.measures(user, path),
        "can_draw": user.can(Capability.MANAGE_AREAS),
    }
    return _with_tiles(render(request, "dashboards/map.html", context))


@login_required
def map_data(request: HttpRequest) -> JsonResponse:
    user = acting_user(request)
    area = _area(request)
    path = area.path if area else ""
    areas = Area.objects.visible_to(user).filter(boundary__isnull=False).exclude(kind=Area.Kind.DISTRICT)
    if path:
        areas = areas.filter(path__startswith=path)
    found = list(areas.order_by("path"))
    Area.qualify(found)
    may_draw = user.can(Capability.MANAGE_AREAS)
    residents = reverse("registry:residents")
    buildings = BuildingPoint.objects.visible_to(user).select_related("building", "building__grid")
    if path:
        buildings = buildings.filter(building__grid__path__startswith=path)
    data = {
        "measures": [
            {"key": m.key, "label": m.label, "percent": m.percent, "values": m.values}
            for m in selectors.measures(user, path)
        ],
        "areas": [
            {
                "path": a.path,
                "name": a.qualified_name,
                "kind": a.kind,
                "kind_label": a.get_kind_display(),
                "boundary": a.boundary,
                "links": [
                    ["区域详情", reverse("areas:detail", args=[a.pk])],
                    ["工单", reverse("cases:list") + f"?area={a.path}"],
                    *([["居民", f"{residents}?grid={a.pk}"]] if a.kind == Area.Kind.GRID else []),
                    *([["画边界", reverse("dashboards:boundary", args=[a.pk])]] if may_draw else []),
                ],
            }
            for a in found
        ],
        "layers": [
            {
                "title": title,
                "points": [
                    {
                        "lat": p.latitude,
                        "lng": p.longitude,
                        "label": p.label,
                        "url": p.url,
                        "group": p.group,
                        "detail": p.detail,
                    }
                    for p in pts
                ],
            }
            for title, pts in selectors.points(user, path)
        ],
        "buildings": [
            {
                "lat": float(b.latitude),
                "lng": float(b.longitude),
                "label": f"{b.building.number}号楼 {b.building.name}".strip(),
                "url": f"{residents}?grid={b.building.grid_id}&building={b.building.number}",
            }
            for b in buildings[:5000]
        ],
    }
    return JsonResponse(data)


@login_required
def locate(request: HttpRequest) -> JsonResponse:
    """The deepest grid in the user's scope whose boundary holds the point (?lat=&lng=): the map picker's
    answer to "which grid is this?", so a case placed on the map is routed by its point."""
    user = acting_user(request)
    try:
        lat, lng = float(request.GET.get("lat", "")), float(request.GET.get("lng", ""))
    except ValueError:
        return JsonResponse({"error": "请提供经纬度。"}, status=400)
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return JsonResponse({"error": "经纬度超出范围。"}, status=400)
    candidates = Area.objects.visible_to(user).filter(boundary__isnull=False).exclude(kind=Area.Kind.DISTRICT)
    hits = [a for a in candidates.order_by("-depth", "path") if contains_point(a.boundary, lng, lat)]
    if not hits:
        return JsonResponse({"area": None, "message": "该位置不在任何已落图的网格内，请手动选择。"})
    best = hits[0]
    return JsonResponse({"area": best.pk, "path": best.path, "name": best.qualified_name, "kind": best.kind})


def _drawable(request: HttpRequest, pk: int) -> Area:
    user = acting_user(request)
    if not user.can(Capability.MANAGE_AREAS):
        raise PermissionDenied("只有街道管理员可以绘制边界。")
    return get_object_or_404(Area.objects.visible_to(user), pk=pk)


@login_required
def boundary(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Draw or edit an area's boundary on the map (the GeoJSON text stays, under 高级), and its buildings' points."""
    user = acting_user(request)
    area = _drawable(request, pk)
    error = ""
    text = json.dumps(area.boundary, ensure_ascii=False) if area.boundary else ""
    if request.method == "POST":
        text = request.POST.get("boundary", "").strip()
        try:
            value = json.loads(text) if text else None
        except ValueError:
            error = "边界不是有效的 GeoJSON。"
        else:
            try:
                saved = area_services.area_update(actor=user, area=area, boundary=value)
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(request, "边界已保存。" if saved.boundary else "边界已清除。")
                for other in area_services.boundary_overlaps(saved):
                    messages.warning(request, f"提醒：边界与{other.name}重叠，请核对。")
                return redirect("dashboards:boundary", pk=pk)
    siblings = Area.objects.filter(parent_id=area.parent_id, boundary__isnull=False).exclude(pk=area.pk)
    context_areas = [a for a in [area.parent, *siblings] if a is not None and a.boundary]
    buildings = (
        list(Building.objects.visible_to(user).filter(grid=area).order_by("number")) if area.is_grid else []
    )
    points = {p.building_id: p for p in BuildingPoint.objects.filter(building__in=buildings)}
    context = {
        "area": area,
        "text": text,
        "error": error,
        "config": map_config(),
        "editor": {
            "boundary": area.boundary,
            "context": [
                {"name": a.name, "boundary": a.boundary, "parent": a.pk == area.parent_id}
                for a in context_areas
            ],
            "centre": [float(area.latitude), float(area.longitude)]
            if area.latitude and area.longitude
            else None,
            "buildings": [
                {
                    "pk": b.pk,
                    "label": f"{b.number}号楼",
                    "lat": float(points[b.pk].latitude) if b.pk in points else None,
                    "lng": float(points[b.pk].longitude) if b.pk in points else None,
                }
                for b in buildings
            ],
        },
        "buildings": [(b, points.get(b.pk)) for b in buildings],
    }
    return _with_tiles(render(request, "dashboards/boundary.html", context, status=400 if error else 200))


@login_required
@require_POST
def building_point(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    if not user.can(Capability.MANAGE_AREAS):
        raise PermissionDenied("只有街道管理员可以标注楼栋位置。")
    building = get_object_or_404(Building.objects.visible_to(user).select_related("grid"), pk=pk)
    try:
        if request.POST.get("clear"):
            services.building_point_clear(actor=user, building=building)
            messages.success(request, f"已清除{building.number}号楼的位置。")
        else:
            services.building_point_set(
                actor=user,
                building=building,
                latitude=request.POST.get("latitude", ""),
                longitude=request.POST.get("longitude", ""),
            )
            messages.success(request, f"已标注{building.number}号楼的位置。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("dashboards:boundary", pk=building.grid_id)


# --- the community profile ------------------------------------------------------------------------


def _scope_line(user: Any, area: Area | None) -> str:
    if area is not None:
        return area.qualified_name
    tops = Area.objects.visible_to(user).order_by("depth", "path")
    first = tops.first()
    return first.qualified_name if first else "—"


@login_required
def profile(request: HttpRequest) -> HttpResponseBase:
    """社区概况: the figures every report opens with, per community or for the scope, on one page and on
    paper (PDF) or in Excel — the dashboards' own figures, so the two agree to the person."""
    user = acting_user(request)
    area = _area(request)
    path = area.path if area else ""
    sections = selectors.profile(user, path)
    scope = _scope_line(user, area)
    title = f"{area.name if area else scope}概况"
    fmt = request.GET.get("format", "")
    if fmt in ("xlsx", "pdf"):
        if not user.can(Capability.EXPORT):
            raise PermissionDenied("导出需要导出权限。")
        audit_record(
            actor=user,
            action=Action.EXPORT,
            object_type="dashboards.profile",
            object_repr=f"{title}（{fmt.upper()}）",
            area_path=path or user.audit_area_path,
        )
        stamp = timezone.localdate().strftime("%Y%m%d")
        return (
            _profile_pdf(title, scope, sections, f"{title}-{stamp}.pdf")
            if fmt == "pdf"
            else _profile_xlsx(title, scope, sections, f"profile-{stamp}.xlsx")
        )
    context = {
        "area": area,
        "area_choices": selectors.area_choices(user),
        "sections": sections,
        "title": title,
        "scope": scope,
        "can_export": user.can(Capability.EXPORT),
        "as_of": timezone.localtime(),
    }
    return render(request, "dashboards/profile.html", context)


def _profile_pdf(
    title: str, scope: str, sections: list[tuple[str, list[Any]]], filename: str
) -> HttpResponse:
    doc = pdf.Document(title, scope=scope)
    for name, figures in sections:
        doc.heading(name)
        doc.fields([(f.label, f.text) for f in figures], label_width=60)
    return pdf.response(doc, filename)


def _profile_xlsx(
    title: str, scope: str, sections: list[tuple[str, list[Any]]], filename: str
) -> HttpResponse:
    buffer = io.BytesIO()
    book = open_workbook(buffer)
    sheet = book.add_worksheet("概况")
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0.0%"})
    sheet.write_string(0, 0, title, bold)
    sheet.write_string(1, 0, f"数据范围：{scope}　统计时间：{timezone.localtime():%Y-%m-%d %H:%M}")
    row = 3
    for name, figures in sections:
        sheet.write_string(row, 0, name, bold)
        row += 1
        for f in figures:
            sheet.write_string(row, 0, f.label)
            if f.value is None:
                sheet.write_blank(row, 1, None)
            else:
                sheet.write_number(row, 1, f.value, percent if f.percent else None)
            row += 1
        row += 1
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 14)
    book.close()
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
