"""Reads of notices: open questions (the menu badge and the home to-do list), and the public board."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from linli.areas.models import Area
from linli.core.scoping import PATH_SEPARATOR
from linli.notices.models import Notice, Question, QuestionStatus

TODO_LIMIT = 10


def _open_questions(user: Any) -> Any:
    return Question.objects.visible_to(user).filter(status=QuestionStatus.OPEN)


def open_question_count(user: Any) -> int:
    if not user.can("write"):
        return 0
    return _open_questions(user).count()


def todo(user: Any) -> dict[str, Any]:
    now = timezone.now()
    qs = _open_questions(user).select_related("notice").order_by("due_at", "pk")
    return {
        "overdue": list(qs.filter(due_at__lt=now)[:TODO_LIMIT]),
        "overdue_count": qs.filter(due_at__lt=now).count(),
        "open": list(qs.filter(due_at__gte=now)[:TODO_LIMIT]),
        "open_count": qs.count(),
    }


def board_areas(community: Area) -> list[str]:
    """The community and the areas above it: a street's notice is on every community's board."""
    parts = community.path.split(PATH_SEPARATOR)
    return [PATH_SEPARATOR.join(parts[:n]) for n in range(1, len(parts) + 1)]


def board(community: Area) -> list[Notice]:
    """What the public board of `community` shows today: notices on it, newest first."""
    return list(
        Notice.objects.on_board()
        .filter(area__path__in=board_areas(community))
        .select_related("area")
        .order_by("-publish_from", "-pk")
    )


def public_questions(notice: Notice) -> list[Question]:
    """The questions of every version of the notice, oldest first; shown without names."""
    return list(
        Question.objects.filter(Q(notice__series_id=notice.series_id) | Q(notice=notice)).order_by("asked_at")
    )


def versions(notice: Notice) -> list[Notice]:
    return list(Notice.objects.filter(series_id=notice.series_id).order_by("version", "pk"))
