"""Open311 GeoReport v2 at /open311/v2/, so existing civic apps can file into Linli.

Formats: XML (required by the spec) and JSON, by the extension of each path. Errors are
lists of {code, description} with the matching HTTP status. `jurisdiction_id` is the
code path of a street or community (`S01`, `S01/C01`). Linli's states map to open/closed;
the Chinese state goes in `status_notes`.

Privacy: without an api_key, requests are listed without description or reporter and
with coordinates rounded to about 100 m; with a valid api_key (a Linli API token) the
caller sees the cases in its user's data scope in full.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from linli.accounts.roles import Capability
from linli.accounts.services import token_authenticate
from linli.areas.models import Area
from linli.cases import services
from linli.cases.forms import leaf_categories
from linli.cases.models import OPEN_STATUSES, Case, Category, Channel
from linli.core.errors import DomainError, NotFound
from linli.core.middleware import xml_safe_query
from linli.core.validation import clean_text, parse_id, xml_safe
from linli.registry.models import Building

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-22T00:00:00+08:00"
MAX_REQUESTS = 1000
DEFAULT_DAYS = 90
EARLIEST_YEAR, LATEST_YEAR = 1970, 9000
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# --- rendering --------------------------------------------------------------------------


def _xml_value(parent: ET.Element, key: str, value: Any, item_names: dict[str, str]) -> None:
    node = ET.SubElement(parent, key)
    if isinstance(value, dict):
        for k, v in value.items():
            _xml_value(node, k, v, item_names)
    elif isinstance(value, list):
        for item in value:
            _xml_value(node, item_names.get(key, "item"), item, item_names)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        # Text stored before intake cleaned it (or any text at all) must not make the document malformed.
        node.text = xml_safe(str(value))


# Element names of list items, as the spec writes them.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


def render(fmt: str, root: str, data: Any, status: int = 200) -> HttpResponse:
    if fmt == "json":
        import json

        body = json.dumps(data, ensure_ascii=False)
    else:
        element = ET.Element(root)
        if isinstance(data, list):
            for item in data:
                _xml_value(element, ITEM_NAMES[root], item, ITEM_NAMES)
        else:
            for k, v in data.items():
                _xml_value(element, k, v, ITEM_NAMES)
        body = '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="unicode")
    return HttpResponse(body.encode(), status=status, content_type=CONTENT_TYPES[fmt])


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return render(fmt, "errors", [{"code": status, "description": description}], status=status)


def w3c(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def endpoint(view: Any) -> Any:
    """Turn Open311Error and DomainError into spec-shaped errors in the requested format."""

    def wrapped(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        # Civic apps post forms: their fields (and ids in the path) lose what XML cannot carry before
        # anything reads them, as query strings do in CleanQueryMiddleware.
        if request.method == "POST":
            request.POST = xml_safe_query(request.POST)  # type: ignore[assignment]  # immutable, as Django makes it
        kwargs = {k: xml_safe(v) if isinstance(v, str) else v for k, v in kwargs.items()}
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as exc:
            return error(fmt, exc.status, exc.description)
        except NotFound as exc:
            return error(fmt, 404, exc.message)
        except DomainError as exc:
            return error(fmt, 403 if exc.code == "forbidden" else 400, exc.message)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


# --- inputs -----------------------------------------------------------------------------


def _jurisdiction(request: HttpRequest, *, required: bool) -> Area | None:
    raw = (
        (request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or "")
        .strip()
        .strip("/")
        .upper()
    )
    if not raw:
        roots = list(Area.objects.filter(kind=Area.Kind.STREET)[:2])
        if len(roots) == 1:
            return roots[0]
        if required:
            raise Open311Error(
                400, "jurisdiction_id is required: the code of a street or community, e.g. S01 or S01/C01"
            )
        return None
    area = Area.objects.filter(path=raw, kind__in=[Area.Kind.STREET, Area.Kind.COMMUNITY]).first()
    if area is None:
        raise Open311Error(404, f"jurisdiction_id '{raw}' is not a street or community served here")
    return area


def _api_key(request: HttpRequest) -> str:
    """The key from `Authorization: Bearer <key>` or `X-API-Key: <key>`, else the spec's `api_key` parameter.

    The headers keep the key out of URLs, and so out of access logs, proxies and browser histories.
    """
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return (
        request.headers.get("X-API-Key") or request.POST.get("api_key") or request.GET.get("api_key") or ""
    ).strip()


def _api_user(request: HttpRequest, *, required: bool) -> Any:
    key = _api_key(request)
    if not key:
        if required:
            raise Open311Error(403, "api_key is required to submit a request")
        return None
    user = token_authenticate(key)
    if user is None:
        raise Open311Error(403, "api_key is invalid or revoked")
    return user


def _category(code: str) -> Category:
    category = leaf_categories().filter(code=code.strip().upper()).first()
    if category is None:
        raise Open311Error(404, f"service_code '{code}' not found")
    return category


# --- endpoints ----------------------------------------------------------------------------


@endpoint
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt})).rsplit("/", 1)[0]
    data = {
        "changeset": CHANGESET,
        "contact": "社区服务中心 / community service centre",
        "key_service": "API keys are Linli API tokens, issued by the street administrator (linli token create).",
        "endpoints": [
            {
                "specification": SPEC,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", data)


def _service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or str(category),
        "metadata": bool(category.questions),
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.parent.name if category.parent_id and category.parent else "",
    }


@endpoint
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    _jurisdiction(request, required=False)
    return render(fmt, "services", [_service(c) for c in leaf_categories()])


DATATYPE_HELP = {
    "string": "text, one line",
    "number": "a number",
    "datetime": "W3C date and time",
    "text": "text, several lines",
    "singlevaluelist": "one of the values' keys",
    "multivaluelist": "one or more of the values' keys",
}


@endpoint
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    _jurisdiction(request, required=False)
    category = _category(code)
    attributes = [
        {
            "variable": True,
            "code": q["code"],
            "datatype": q["datatype"],
            "required": bool(q.get("required")),
            "datatype_description": DATATYPE_HELP.get(q["datatype"], ""),
            "order": q.get("order", i),
            "description": q.get("label") + (f"：{q['description']}" if q.get("description") else ""),
            "values": [{"key": v["key"], "name": v["name"]} for v in q.get("values", [])],
        }
        for i, q in enumerate(category.questions, start=1)
    ]
    return render(fmt, "service_definition", {"service_code": category.code, "attributes": attributes})


def _attributes(request: HttpRequest) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for key in request.POST:
        if key.startswith("attribute[") and "]" in key:
            code = key[len("attribute[") : key.index("]")]
            values = request.POST.getlist(key)
            answers[code] = values if key.endswith("[]") or len(values) > 1 else values[0]
    return answers


@endpoint
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _submit(request, fmt)
    if request.method != "GET":
        raise Open311Error(405, "use GET or POST")
    return _list(request, fmt)


def _submit(request: HttpRequest, fmt: str) -> HttpResponse:
    user = _api_user(request, required=True)
    if not user.can(Capability.WRITE):
        raise Open311Error(403, "this api_key may not submit requests")
    post = request.POST
    code = post.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code is required")
    category = _category(code)
    lat, lng = post.get("lat", "").strip(), post.get("long", "").strip()
    address, address_id = post.get("address_string", "").strip(), post.get("address_id", "").strip()
    if not (lat and lng) and not address and not address_id:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    building = None
    if address_id:
        if (building_id := parse_id(address_id)) is None:
            raise Open311Error(400, "address_id must be a building id")
        building = Building.objects.visible_to(user).filter(pk=building_id).first()
        if building is None:
            raise Open311Error(404, f"address_id {address_id} not found")
    area = _jurisdiction(request, required=building is None)
    description = post.get("description", "").strip()
    name = " ".join(p for p in (post.get("last_name", "").strip(), post.get("first_name", "").strip()) if p)
    extra = [f"{k}: {post[k]}" for k in ("email", "device_id", "account_id", "media_url") if post.get(k)]
    # Echoed in the 201 answer, so it is cleaned like any free text first.
    account_id = clean_text(post.get("account_id", ""), field="account_id", label="account_id", limit=200)
    try:
        with transaction.atomic():
            case = services.case_create(
                actor=user,
                category=category,
                channel=Channel.API,
                title=(description.splitlines()[0][:60] if description else category.name) or category.name,
                description=(description or category.name) + ("\n" + "\n".join(extra) if extra else ""),
                area=None if building else area,
                building=building,
                address=address,
                latitude=lat or None,
                longitude=lng or None,
                reporter_name=name,
                reporter_phone=post.get("phone", ""),
                attributes=_attributes(request),
            )
            case.token = secrets.token_urlsafe(18)
            Case.objects.filter(pk=case.pk).update(token=case.token)
    except DomainError as exc:
        raise Open311Error(403 if exc.code in ("forbidden", "not_found") else 400, _plain(exc)) from exc
    body = [
        {
            "service_request_id": case.number,
            "token": case.token,
            "service_notice": f"已受理，编号 {case.number}；立案时限 {timezone.localtime(case.stage_due_at):%Y-%m-%d %H:%M}",
            "account_id": account_id,
        }
    ]
    return render(fmt, "service_requests", body, status=201)


def _plain(exc: DomainError) -> str:
    field = (
        exc.field.replace("reporter_phone", "phone").replace("latitude", "lat").replace("longitude", "long")
        if exc.field
        else ""
    )
    return f"{field}: {exc.message}" if field else exc.message


def _parse_date(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(
            400, f"{name} must be a W3C date and time, e.g. 2026-11-01T00:00:00+08:00"
        ) from exc
    # Year 1 or 9999 parses, then overflows the 90-day arithmetic (and means nothing for a case anyway).
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise Open311Error(400, f"{name} must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _visible(user: Any, area: Area | None) -> Any:
    cases = Case.objects.visible_to(user) if user is not None else Case.objects.all()
    if area is not None:
        from linli.core.scoping import subtree_q

        cases = cases.filter(subtree_q([area.path], "area__path"))
    return cases.select_related("category", "area", "department")


def _list(request: HttpRequest, fmt: str) -> HttpResponse:
    user = _api_user(request, required=False)
    area = _jurisdiction(request, required=False)
    cases = _visible(user, area)
    ids = [i.strip() for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        cases = cases.filter(number__in=ids)  # overrides all other filters, as the spec says
    else:
        codes = [c.strip().upper() for c in request.GET.get("service_code", "").split(",") if c.strip()]
        if codes:
            cases = cases.filter(category__code__in=codes)
        start_raw, end_raw = request.GET.get("start_date", ""), request.GET.get("end_date", "")
        end = _parse_date(end_raw, "end_date") if end_raw else timezone.now()
        start = _parse_date(start_raw, "start_date") if start_raw else end - timedelta(days=DEFAULT_DAYS)
        if end < start:
            raise Open311Error(400, "end_date is before start_date")
        if end - start > timedelta(days=DEFAULT_DAYS):
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
        cases = cases.filter(received_at__gte=start, received_at__lte=end)
        statuses = {s.strip().lower() for s in request.GET.get("status", "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status must be open, closed or both")
        if statuses == {"open"}:
            cases = cases.filter(status__in=OPEN_STATUSES)
        elif statuses == {"closed"}:
            cases = cases.exclude(status__in=OPEN_STATUSES)
    rows = cases.order_by("-received_at", "-pk")[:MAX_REQUESTS]
    return render(fmt, "service_requests", [_request(c, full=user is not None) for c in rows])


def _round(value: Decimal | None, full: bool) -> float | None:
    if value is None:
        return None
    return float(value) if full else round(float(value), 3)


def _request(case: Case, *, full: bool) -> dict[str, Any]:
    closed = case.status not in OPEN_STATUSES
    notes = case.get_status_display()
    if case.is_overdue:
        notes += "（已超期）"
    if closed and case.result and full:
        notes += f"：{case.result}"
    agency = case.department.name if case.department_id and case.department else case.area.name
    return {
        "service_request_id": case.number,
        "status": "closed" if closed else "open",
        "status_notes": notes,
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description if full else "",
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": w3c(case.received_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.close_due_at or case.stage_due_at) if not closed else None,
        "address": (case.address or case.area.name) if full else case.area.name,
        "address_id": case.building_id if full and case.building_id else None,
        "zipcode": None,
        "lat": _round(case.latitude, full),
        "long": _round(case.longitude, full),
        "media_url": None,
    }


@endpoint
def request_detail(request: HttpRequest, fmt: str, number: str) -> HttpResponse:
    user = _api_user(request, required=False)
    case = _visible(user, _jurisdiction(request, required=False)).filter(number=number).first()
    if case is None:
        raise Open311Error(404, f"service_request_id '{number}' not found")
    return render(fmt, "service_requests", [_request(case, full=user is not None)])


@endpoint
def token_detail(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    case = Case.objects.filter(token=token).exclude(token="").first() if token else None
    if case is None:
        raise Open311Error(404, "token not found")
    return render(fmt, "service_requests", [{"service_request_id": case.number, "token": token}])
