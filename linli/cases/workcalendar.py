"""Working time: Chinese statutory holidays and make-up workdays, plus admin overrides.

chinese-calendar knows the State Council's schedule up to the last year it has been
published for; beyond that a day is a workday Monday to Friday unless an override
(`CalendarOverride`, edited by street admins or `linli holiday`) says otherwise.
Deadlines counted in working days end at the close of the last working day; those in
working hours run only within the working periods of `LINLI_WORKING_HOURS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from functools import cached_property

import chinese_calendar
from django.conf import settings
from django.utils import timezone

Period = tuple[time, time]


def parse_working_hours(spec: str) -> list[Period]:
    """ "08:30-12:00,13:30-17:30" → [(08:30, 12:00), (13:30, 17:30)]; refuses overlaps and empty periods."""
    periods: list[Period] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            start_s, end_s = part.split("-")
            start, end = time.fromisoformat(start_s.strip()), time.fromisoformat(end_s.strip())
        except ValueError as exc:
            raise ValueError(f"working hours '{part}' should look like 08:30-12:00") from exc
        if end <= start:
            raise ValueError(f"working hours '{part}' end before they start")
        if periods and start < periods[-1][1]:
            raise ValueError(f"working hours '{part}' overlap or are out of order")
        periods.append((start, end))
    if not periods:
        raise ValueError("no working hours given")
    return periods


def statutory_year_known(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """Working-day and working-time arithmetic. Build one per request or sweep (it reads the overrides once)."""

    def __init__(self, overrides: Mapping[date, bool] | None = None, periods: Iterable[Period] | None = None):
        if overrides is None:
            from linli.cases.models import CalendarOverride

            overrides = dict(CalendarOverride.objects.values_list("day", "is_workday"))
        self.overrides = dict(overrides)
        self.periods = (
            list(periods) if periods is not None else parse_working_hours(settings.LINLI_WORKING_HOURS)
        )
        # Memos for this calendar's life (a request or a sweep): chinese-calendar's own check costs
        # ~20 µs a day, and deadlines ask about the same few weeks over and over. `limits` holds the
        # categories' stage limits read meanwhile (see deadlines.limits_of).
        self._workdays: dict[date, bool] = {}
        self.limits: dict[int, dict[str, tuple[int, str]]] = {}

    @cached_property
    def minutes_per_day(self) -> int:
        return sum(_minutes(end) - _minutes(start) for start, end in self.periods)

    def is_workday(self, day: date) -> bool:
        known = self._workdays.get(day)
        if known is None:
            known = self._workdays[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return day.weekday() < 5

    def _at(self, day: date, moment: time) -> datetime:
        return timezone.make_aware(datetime.combine(day, moment), timezone.get_current_timezone())

    def end_of_workdays(self, start: datetime, days: int) -> datetime:
        """Close of the `days`-th working day after the day of `start` (the start day is not counted)."""
        day = timezone.localtime(start).date()
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return self._at(day, self.periods[-1][1])

    def add_working_minutes(self, start: datetime, minutes: int) -> datetime:
        """The moment `minutes` of working time after `start`."""
        local = timezone.localtime(start)
        day, now = local.date(), local.time()
        remaining = minutes
        for _ in range(3660):  # ten years of days: a bound, not a limit anyone meets
            if self.is_workday(day):
                for p_start, p_end in self.periods:
                    if now >= p_end:
                        continue
                    begin = max(now, p_start)
                    available = _minutes(p_end) - _minutes(begin)
                    if remaining <= available:
                        return self._at(day, begin) + timedelta(minutes=remaining)
                    remaining -= available
            day += timedelta(days=1)
            now = time(0, 0)
        raise ValueError("working time beyond ten years")

    def working_minutes_between(self, start: datetime, end: datetime) -> int:
        """Working minutes in [start, end); 0 if end is not after start."""
        if end <= start:
            return 0
        a, b = timezone.localtime(start), timezone.localtime(end)
        total = 0
        day = a.date()
        while day <= b.date():
            if self.is_workday(day):
                for p_start, p_end in self.periods:
                    lo = self._at(day, p_start)
                    hi = self._at(day, p_end)
                    lo, hi = max(lo, a), min(hi, b)
                    if hi > lo:
                        total += int((hi - lo).total_seconds() // 60)
            day += timedelta(days=1)
        return total

    def deadline(self, start: datetime, amount: int, unit: str, factor: float = 1.0) -> datetime:
        """The deadline of a stage that started at `start`: `amount` working hours or days, times `factor`."""
        if unit == "days" and factor == 1.0:
            return self.end_of_workdays(start, amount)
        per_unit = 60 if unit == "hours" else self.minutes_per_day
        return self.add_working_minutes(start, max(1, round(amount * per_unit * factor)))


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute
