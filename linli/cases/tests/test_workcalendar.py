from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from linli.cases.workcalendar import WorkCalendar, parse_working_hours, statutory_year_known

TZ = ZoneInfo("Asia/Shanghai")
PERIODS = parse_working_hours("08:30-12:00,13:30-17:30")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def cal(overrides: dict[date, bool] | None = None) -> WorkCalendar:
    return WorkCalendar(overrides=overrides or {}, periods=PERIODS)


def test_statutory_holidays_and_make_up_workdays_come_from_chinese_calendar() -> None:
    c = cal()
    assert not c.is_workday(date(2026, 10, 1))  # National Day
    assert c.is_workday(date(2026, 10, 10))  # a Saturday made a workday
    assert c.is_workday(date(2026, 9, 20))  # a Sunday made a workday
    assert not c.is_workday(date(2026, 11, 21))  # an ordinary Saturday


def test_working_days_skip_the_national_day_holiday() -> None:
    # Received on Wednesday 30 September: three working days are 8 Oct (Thu), 9 Oct (Fri), 10 Oct (make-up Sat).
    assert cal().end_of_workdays(at(2026, 9, 30, 10), 3) == at(2026, 10, 10, 17, 30)


def test_working_hours_run_only_inside_working_periods() -> None:
    c = cal()
    # 11:00 + 2 working hours: one hour before lunch, one after.
    assert c.add_working_minutes(at(2026, 11, 16, 11), 120) == at(2026, 11, 16, 14, 30)
    # Friday 17:00 + 2 hours: half an hour on Friday, the rest on Monday morning.
    assert c.add_working_minutes(at(2026, 11, 20, 17), 120) == at(2026, 11, 23, 10, 0)
    # Received at night: the clock starts with the next working period.
    assert c.add_working_minutes(at(2026, 11, 16, 22), 60) == at(2026, 11, 17, 9, 30)


def test_urgency_factor_shortens_a_day_limit_into_working_time() -> None:
    c = cal()
    assert c.minutes_per_day == 450
    # Half of one working day = 225 working minutes from Monday 09:00 → 13:30 + 45 min (lunch skipped).
    assert c.deadline(at(2026, 11, 16, 9), 1, "days", 0.5) == at(2026, 11, 16, 14, 15)


def test_overrides_win_over_the_statutory_calendar() -> None:
    c = cal({date(2026, 11, 23): False, date(2026, 11, 21): True})
    assert not c.is_workday(date(2026, 11, 23))
    assert c.end_of_workdays(at(2026, 11, 20, 10), 1) == at(2026, 11, 21, 17, 30)


def test_years_the_statutory_calendar_does_not_know_fall_back_to_weekdays() -> None:
    assert statutory_year_known(2026)
    if statutory_year_known(2027):
        pytest.skip("chinese-calendar already knows 2027")
    c = cal({date(2027, 1, 1): False})
    assert not c.is_workday(date(2027, 1, 1))  # an override, as an admin would enter it
    assert c.is_workday(date(2027, 1, 4))
    assert not c.is_workday(date(2027, 1, 9))


def test_working_minutes_between_counts_only_working_time() -> None:
    assert cal().working_minutes_between(at(2026, 11, 16, 11), at(2026, 11, 16, 14, 30)) == 120


@pytest.mark.parametrize("spec", ["", "9-12", "12:00-08:00", "08:00-12:00,11:00-13:00"])
def test_bad_working_hours_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="working hours"):
        parse_working_hours(spec)


def test_period_boundary() -> None:
    assert PERIODS[0] == (time(8, 30), time(12, 0))
