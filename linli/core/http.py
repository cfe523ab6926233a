from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest as DjangoHttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    # django-stubs reads this alias as the configured user model (AUTH_USER_MODEL), so core names no app.
    from django.contrib.auth.models import _User as User


class HttpRequest(DjangoHttpRequest):
    """The request as our middleware leaves it, for type checking."""

    htmx: HtmxDetails


def acting_user(request: DjangoHttpRequest) -> User:
    """The signed-in user of a view or API call (the API puts the token's user in request.auth)."""
    from django.contrib.auth import get_user_model

    user = getattr(request, "auth", None) or request.user
    if not isinstance(user, get_user_model()) or not user.is_active:
        raise PermissionDenied
    return user


def photo_response(photos: Any, pk: int) -> Any:
    """A stored photo from an already scoped queryset (404 outside scope), with the type checked at upload."""
    from django.http import FileResponse
    from django.shortcuts import get_object_or_404

    item = get_object_or_404(photos, pk=pk)
    return FileResponse(item.file.open("rb"), content_type=item.content_type)


def paginate(
    request: DjangoHttpRequest, items: Any, size: int, *, count_cap: int | None = None
) -> tuple[Any, str]:
    """The requested page of `items`, and the query string without `page` (for the pager's links).

    `count_cap`: count no further than this (a table of millions, e.g. the audit log, would otherwise be
    counted in full on every page); the page's paginator then says `capped` and offers no page beyond."""
    params = request.GET.copy()
    params.pop("page", None)
    paginator = Paginator(items, size) if count_cap is None else CappedPaginator(items, size, cap=count_cap)
    return paginator.get_page(request.GET.get("page")), params.urlencode()


class CappedPaginator(Paginator):
    """A paginator whose count stops at `cap`: `SELECT COUNT(*) FROM (… LIMIT cap + 1)` reads at most
    cap + 1 index entries however large the table. `capped` says there were more; they are not listed."""

    def __init__(self, object_list: Any, per_page: int, *, cap: int) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def _head_count(self) -> int:
        head: Any = self.object_list[: self.cap + 1]
        return int(head.count())

    @cached_property
    def count(self) -> int:
        return min(self._head_count, self.cap)

    @property
    def capped(self) -> bool:
        return self._head_count > self.cap
