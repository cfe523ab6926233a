from django.db import connection
from django.http import HttpRequest
from ninja import Router, Status

from linli import __version__
from linli.accounts.roles import Role
from linli.api.schemas import AreaRef, HealthOut, MeOut
from linli.areas.models import Area
from linli.core.http import acting_user

router = Router(tags=["core"])


@router.get(
    "/health", auth=None, response={200: HealthOut, 503: HealthOut}, summary="Liveness and database check"
)
def health(request: HttpRequest) -> Status[HealthOut]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        db = "ok"
    except Exception:  # any driver error means "not healthy"; the details go to the log, not the caller
        db = "unavailable"
    status = 200 if db == "ok" else 503
    return Status(
        status, HealthOut(status="ok" if status == 200 else "degraded", database=db, version=__version__)
    )


@router.get("/me", response=MeOut, summary="The signed-in user, their role, areas and capabilities")
def me(request: HttpRequest) -> MeOut:
    user = acting_user(request)
    areas = Area.objects.filter(pk__in=user.bindings.values("area")).order_by("path")
    return MeOut(
        id=user.pk,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        role_label=str(Role(user.role).label),
        areas=[AreaRef.from_orm(a) for a in areas],
        capabilities=sorted(user.capabilities),
    )
