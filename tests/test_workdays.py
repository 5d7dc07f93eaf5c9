import random
from datetime import date, timedelta

import pytest

from app.services.workdays import WorkCalendar, deadline_alert

# Sample data only: the product's calendar is maintained by an admin.
# 2026 国庆: 10-01..10-07 off; 调休 working days Sunday 09-20 and Saturday 10-10.
CN_2026_HOLIDAYS = {date(2026, 10, d) for d in range(1, 8)} | {date(2026, 1, 1), date(2026, 1, 2)}
CN_2026_EXTRA_WORKDAYS = {date(2026, 9, 20), date(2026, 10, 10), date(2026, 1, 4)}


@pytest.fixture
def cal():
    return WorkCalendar(CN_2026_HOLIDAYS, CN_2026_EXTRA_WORKDAYS)


def D(m, d):
    return date(2026, m, d)


def brute_between(cal, start, end):
    sign, a, b = (1, start, end) if end >= start else (-1, end, start)
    n, d = 0, a
    while d < b:
        d += timedelta(days=1)
        n += cal.is_workday(d)
    return sign * n


def test_is_workday(cal):
    assert cal.is_workday(D(9, 30))  # Wednesday
    assert not cal.is_workday(D(10, 1))  # holiday on a weekday
    assert not cal.is_workday(D(10, 3))  # holiday on a Saturday
    assert not cal.is_workday(D(10, 5))  # Monday inside the holiday
    assert cal.is_workday(D(10, 8))
    assert cal.is_workday(D(10, 10))  # 调休 Saturday
    assert cal.is_workday(D(9, 20))  # 调休 Sunday
    assert not cal.is_workday(D(10, 11))  # ordinary Sunday
    assert not cal.is_workday(D(9, 26))  # ordinary Saturday


def test_add_workdays_across_national_day(cal):
    assert cal.add_workdays(D(9, 30), 1) == D(10, 8)
    assert cal.add_workdays(D(9, 30), 3) == D(10, 10)  # Thu, Fri, 调休 Sat
    assert cal.add_workdays(D(9, 30), 4) == D(10, 12)
    assert cal.add_workdays(D(10, 8), -1) == D(9, 30)
    assert cal.add_workdays(D(10, 12), -2) == D(10, 9)
    assert cal.add_workdays(D(10, 3), 0) == D(10, 3)
    assert cal.add_workdays(D(9, 18), 1) == D(9, 20)  # Friday → 调休 Sunday


def test_workdays_between_definition(cal):
    assert cal.workdays_between(D(9, 30), D(9, 30)) == 0
    assert cal.workdays_between(D(9, 30), D(10, 7)) == 0  # start excluded, all days off
    assert cal.workdays_between(D(9, 30), D(10, 8)) == 1  # end included
    assert cal.workdays_between(D(9, 30), D(10, 12)) == 4
    assert cal.workdays_between(D(10, 12), D(9, 30)) == -4
    assert cal.workdays_between(D(9, 19), D(9, 21)) == 2  # 调休 Sunday + Monday
    # 2026 has 261 weekdays; 01-01 is excluded (start); 6 weekday holidays left; 3 调休 days
    assert cal.workdays_between(D(1, 1), D(12, 31)) == 261 - 1 - 6 + 3


def test_between_and_add_agree_with_brute_force(cal):
    rng = random.Random(2026)
    for _ in range(400):
        a = D(1, 1) + timedelta(days=rng.randrange(0, 365))
        b = a + timedelta(days=rng.randrange(-60, 61))
        assert cal.workdays_between(a, b) == brute_between(cal, a, b), (a, b)
        n = rng.randrange(0, 40)
        r = cal.add_workdays(a, n)
        assert cal.workdays_between(a, r) == n
        if n:
            assert cal.is_workday(r)


def test_plain_calendar_without_holidays():
    cal = WorkCalendar(set(), set())
    assert cal.workdays_between(date(2026, 10, 2), date(2026, 10, 5)) == 1  # Fri → Mon
    assert cal.add_workdays(date(2026, 10, 2), 1) == date(2026, 10, 5)


def test_conflicting_calendar_is_rejected():
    with pytest.raises(ValueError, match="2026-10-10"):
        WorkCalendar({D(10, 10)}, {D(10, 10)})


def test_workdays_overdue(cal):
    assert cal.workdays_overdue(D(9, 30), D(9, 29)) == 0
    assert cal.workdays_overdue(D(9, 30), D(9, 30)) == 0
    assert cal.workdays_overdue(D(9, 30), D(10, 7)) == 0  # past the date, no working day lost
    assert cal.workdays_overdue(D(9, 30), D(10, 8)) == 1
    assert cal.workdays_overdue(D(9, 30), D(10, 11)) == 3
    assert cal.workdays_overdue(D(9, 30), D(10, 12)) == 4
    # a deadline on a holiday is met on the next working day (10-08)
    assert cal.effective_deadline(D(10, 3)) == D(10, 8)
    assert cal.workdays_overdue(D(10, 3), D(10, 8)) == 0
    assert cal.workdays_overdue(D(10, 3), D(10, 9)) == 1


@pytest.mark.parametrize(
    "today, expected",
    [
        (D(9, 28), "none"),
        (D(9, 29), "none"),  # 3 working days left (09-30, 10-08, 10-09)
        (D(9, 30), "near"),  # 2 left
        (D(10, 5), "near"),  # inside the holiday: 2 left
        (D(10, 8), "near"),  # 1 left
        (D(10, 9), "near"),  # the deadline day itself
        (D(10, 10), "overdue"),  # 1 working day past (调休 Saturday)
        (D(10, 11), "overdue"),  # Sunday: still 1
        (D(10, 12), "overdue"),  # 2
        (D(10, 13), "escalated"),  # 3 == escalate_workdays
        (D(11, 30), "escalated"),
    ],
)
def test_deadline_alert_boundaries(cal, today, expected):
    assert deadline_alert(D(10, 9), today, cal, near_days=2, escalate_workdays=3, done=False) == expected


def test_deadline_alert_special_cases(cal):
    assert deadline_alert(D(10, 9), D(11, 30), cal, 2, 3, done=True) == "none"
    assert deadline_alert(None, D(10, 9), cal, 2, 3, done=False) == "none"
    # near_days=0: only the deadline day itself
    assert deadline_alert(D(10, 9), D(10, 8), cal, 0, 3, False) == "none"
    assert deadline_alert(D(10, 9), D(10, 9), cal, 0, 3, False) == "near"
    # deadline on a holiday rolls to 10-08: one working day left on 10-05, none overdue
    assert deadline_alert(D(10, 3), D(10, 5), cal, 0, 3, False) == "none"
    assert deadline_alert(D(10, 3), D(10, 5), cal, 1, 3, False) == "near"
    assert deadline_alert(D(10, 3), D(10, 8), cal, 0, 3, False) == "near"
    assert deadline_alert(D(10, 3), D(10, 9), cal, 0, 3, False) == "overdue"
    # escalate after 1 working day: Saturday after a Friday deadline is overdue, not escalated
    plain = WorkCalendar()
    assert deadline_alert(date(2026, 11, 6), date(2026, 11, 7), plain, 0, 1, False) == "overdue"
    assert deadline_alert(date(2026, 11, 6), date(2026, 11, 9), plain, 0, 1, False) == "escalated"


def test_deadline_alert_rejects_bad_thresholds(cal):
    with pytest.raises(ValueError):
        deadline_alert(D(10, 9), D(10, 9), cal, -1, 3, False)
    with pytest.raises(ValueError):
        deadline_alert(D(10, 9), D(10, 9), cal, 2, 0, False)
