import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from linli.api import (
    areas,
    assessment,
    cases,
    core,
    notices,
    opinions,
    party,
    residents,
    surveys,
    timebank,
    visits,
    volunteers,
)
from linli.api.auth import BearerToken, Session
from linli.api.parser import CleanParser
from linli.core.errors import DomainError, Forbidden, NotFound, RateLimited

logger = logging.getLogger("linli.api")

api = NinjaAPI(
    title="Linli 邻里 API",
    version="1",
    description="Community and grid management. All data is limited to the caller's data scope; "
    "authenticate with `Authorization: Bearer <token>` (see `linli token create`).",
    auth=[BearerToken(), Session()],
    urls_namespace="api_v1",
    docs_url="/docs",
    parser=CleanParser(),
)
api.add_router("", core.router)
api.add_router("", areas.router)
api.add_router("", residents.router)
api.add_router("", cases.router)
api.add_router("", visits.router)
api.add_router("", assessment.router)
api.add_router("", surveys.router)
api.add_router("", opinions.router)
api.add_router("", notices.router)
api.add_router("", volunteers.router)
api.add_router("", timebank.router)
api.add_router("", party.router)


def _error(
    request: HttpRequest, status: int, detail: str, code: str, field: str | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "field": field, "code": code}, status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    statuses = {NotFound: 404, Forbidden: 403, RateLimited: 429}
    status = next((code for kind, code in statuses.items() if isinstance(exc, kind)), 400)
    return _error(request, status, exc.message, exc.code, exc.field)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "Not found, or outside your data scope.", "not_found")


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request, 401, "Authentication required: send 'Authorization: Bearer <token>'.", "unauthenticated"
    )


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or "Not allowed.", "forbidden")


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A bug is still a bug (logged with its traceback, and the generated-request test fails on any 5xx),
    # but an API client gets the API's JSON error shape, not the site's HTML error page.
    logger.error("Internal Server Error: %s", request.path, exc_info=exc)
    return _error(request, 500, "Internal error; it has been logged.", "server_error")
