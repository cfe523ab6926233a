"""What `linli check` verifies for cases (CasesConfig.operator_checks)."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings


def calendar_checks() -> Iterator[tuple[bool, str]]:
    """Case deadlines need valid working hours and a known holiday schedule for this year."""
    from django.utils import timezone

    from linli.cases.models import CalendarOverride
    from linli.cases.workcalendar import parse_working_hours, statutory_year_known

    try:
        parse_working_hours(settings.LINLI_WORKING_HOURS)
        yield True, f"working hours {settings.LINLI_WORKING_HOURS}"
    except ValueError as exc:
        yield False, f"LINLI_WORKING_HOURS: {exc}"
    year = timezone.localdate().year
    for y in (year, year + 1):
        known = statutory_year_known(y) or CalendarOverride.objects.filter(day__year=y).exists()
        if known:
            yield True, f"{y} holiday schedule known"
        elif y == year:
            yield (
                False,
                f"{y} holiday schedule unknown: enter it with 'linli holiday set' (deadlines count Mon–Fri)",
            )
        else:
            # Published each November or December; an operator note, not a fault.
            yield (
                True,
                f"{y} holiday schedule not published yet: enter it with 'linli holiday set' when it is",
            )
