"""Working-day arithmetic for deadlines (办理时限) and tiered deadline alerts.

Chinese offices count deadlines in working days, and the working calendar is not just
Monday–Friday: 法定节假日 are off and some weekend days are 调休 working days. The calendar
is maintained by an admin in the app; this module only does the arithmetic, so pages, the
REST API and ``flask items remind`` agree on what is "overdue".

Conventions (all functions):

* ``is_workday(d)``: ``d`` in ``extra_workdays`` → True; ``d`` in ``holidays`` → False;
  otherwise Monday–Friday.
* ``workdays_between(start, end)``: for ``end >= start`` the number of working days in the
  half-open interval (start, end] — ``start`` itself never counts, ``end`` does. For
  ``end < start`` it is ``-workdays_between(end, start)``. So it is antisymmetric and
  ``workdays_between(d, d) == 0``.
* ``add_workdays(d, n)``: ``n > 0`` → the n-th working day after ``d``; ``n < 0`` → the
  |n|-th working day before ``d``; ``n == 0`` → ``d`` unchanged (even on a holiday).
  For ``n >= 0``: ``workdays_between(d, add_workdays(d, n)) == n``.
* Deadlines falling on a day off roll forward to the next working day, as for procedural
  time limits (民事诉讼法: 期间届满的最后一日是法定休假日的，以法定休假日后的第一日为期间
  届满的日期). See :meth:`WorkCalendar.effective_deadline`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, timedelta

__all__ = [
    "WorkCalendar",
    "ALERT_NONE",
    "ALERT_NEAR",
    "ALERT_OVERDUE",
    "ALERT_ESCALATED",
    "ALERT_LEVELS",
    "deadline_alert",
]

_ONE_DAY = timedelta(days=1)


def _weekdays_in(start: date, end: date) -> int:
    """Mon–Fri days in (start, end], for start <= end, in O(1)."""
    def upto(d: date) -> int:  # Mon–Fri days in (epoch, d] where epoch is a Sunday
        n = d.toordinal()  # ordinal 7 is a Sunday (0001-01-07)
        weeks, rem = divmod(n - 7, 7)  # rem: 0 Sun, 1 Mon … 6 Sat
        return weeks * 5 + min(rem, 5)

    return upto(end) - upto(start)


class WorkCalendar:
    """Working-day calendar: weekends and ``holidays`` off, ``extra_workdays`` (调休) on.

    A date in both sets is a data error and raises ValueError (Chinese) so the admin page
    that maintains the calendar can show it.
    """

    def __init__(self, holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()):
        self.holidays: frozenset[date] = frozenset(holidays)
        self.extra_workdays: frozenset[date] = frozenset(extra_workdays)
        both = sorted(self.holidays & self.extra_workdays)
        if both:
            days = "、".join(d.isoformat() for d in both)
            raise ValueError(f"日期不能同时是法定节假日和调休工作日：{days}")
        # Only the exceptions that change the Mon–Fri rule matter for counting.
        self._off_weekdays = sorted(d for d in self.holidays if d.weekday() < 5)
        self._on_weekends = sorted(d for d in self.extra_workdays if d.weekday() >= 5)

    def __repr__(self) -> str:
        return (
            f"WorkCalendar({len(self.holidays)} holidays, "
            f"{len(self.extra_workdays)} extra workdays)"
        )

    def is_workday(self, d: date) -> bool:
        """True when ``d`` is a working day under this calendar."""
        if d in self.extra_workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative (antisymmetric) when end < start."""
        if end < start:
            return -self.workdays_between(end, start)

        def count(sorted_days: list[date]) -> int:
            return bisect_right(sorted_days, end) - bisect_right(sorted_days, start)

        return _weekdays_in(start, end) - count(self._off_weekdays) + count(self._on_weekends)

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th working day after (n > 0) or before (n < 0) ``d``; ``d`` when n == 0."""
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        remaining = abs(n)
        current = d
        while remaining:
            current += step
            if self.is_workday(current):
                remaining -= 1
        return current

    def next_workday(self, d: date) -> date:
        """``d`` itself when it is a working day, else the first working day after it."""
        while not self.is_workday(d):
            d += _ONE_DAY
        return d

    def effective_deadline(self, deadline: date) -> date:
        """A deadline on a day off is met by acting on the next working day."""
        return self.next_workday(deadline)

    def workdays_overdue(self, deadline: date, today: date) -> int:
        """Working days past the (effective) deadline; 0 when not past.

        Deadline Friday, today Monday → 1. Deadline Friday, today Saturday → 0 (past the date,
        but no working day lost yet; :func:`deadline_alert` still says "overdue").
        """
        return max(0, self.workdays_between(self.effective_deadline(deadline), today))


ALERT_NONE = "none"
ALERT_NEAR = "near"
ALERT_OVERDUE = "overdue"
ALERT_ESCALATED = "escalated"
#: In increasing severity.
ALERT_LEVELS = (ALERT_NONE, ALERT_NEAR, ALERT_OVERDUE, ALERT_ESCALATED)


def deadline_alert(
    deadline: date | None,
    today: date,
    calendar: WorkCalendar,
    near_days: int,
    escalate_workdays: int,
    done: bool,
) -> str:
    """Tier of a deadline alert: "none", "near", "overdue" or "escalated".

    With ``eff = calendar.effective_deadline(deadline)``:

    * ``done`` or no deadline → "none";
    * ``today > eff`` and ``calendar.workdays_overdue(deadline, today) >= escalate_workdays``
      → "escalated";
    * ``today > eff`` otherwise → "overdue";
    * ``today <= eff`` and ``calendar.workdays_between(today, eff) <= near_days`` → "near"
      (so the deadline day itself is always "near", and ``near_days=2`` also flags the two
      working days before it);
    * otherwise "none".

    ``near_days >= 0`` and ``escalate_workdays >= 1`` (ValueError otherwise).
    """
    if near_days < 0:
        raise ValueError("临期提醒天数不能为负数")
    if escalate_workdays < 1:
        raise ValueError("升级督办的超期工作日数至少为1")
    if done or deadline is None:
        return ALERT_NONE
    eff = calendar.effective_deadline(deadline)
    if today > eff:
        if calendar.workdays_overdue(deadline, today) >= escalate_workdays:
            return ALERT_ESCALATED
        return ALERT_OVERDUE
    if calendar.workdays_between(today, eff) <= near_days:
        return ALERT_NEAR
    return ALERT_NONE
