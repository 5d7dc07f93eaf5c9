"""Deadline alerts in SQL: the date bounds of each alert tier for one day, so that pages count,
filter and sort thousands of matters by alert in the database instead of loading them.

`deadline_alert` is monotonic in the deadline (a later deadline is never more urgent), so for a
given day and calendar each tier is "deadline on or before some date". The bounds are found by
bisection over `deadline_alert` itself — one definition of the alert, in Python; the SQL only
compares dates. Rows shown on a page still get their alert from `AlertContext` (the same answer).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import case, literal

from app.services.workdays import ALERT_ESCALATED, ALERT_LEVELS, ALERT_NEAR, ALERT_OVERDUE

SPAN_DAYS = 3660  # bounds are searched within ten years either side of today
SEVERITY = {level: index for index, level in enumerate(ALERT_LEVELS)}


@dataclass(frozen=True)
class AlertBounds:
    today: dt.date
    escalated_until: Optional[dt.date]   # deadline <= this → escalated
    overdue_until: Optional[dt.date]     # deadline <= this → overdue or escalated
    near_until: Optional[dt.date]        # deadline <= this → near, overdue or escalated

    def at_least(self, column, level: str):
        """SQL condition: the alert of `column` (an open item's deadline) is `level` or worse."""
        bound = {ALERT_ESCALATED: self.escalated_until, ALERT_OVERDUE: self.overdue_until,
                 ALERT_NEAR: self.near_until}[level]
        if bound is None:
            return literal(False)
        return column <= bound

    def severity(self, column):
        """SQL expression 0..3 (none, near, overdue, escalated) for an open item's deadline."""
        whens = [(column.is_(None), 0)]
        for level, bound in ((ALERT_ESCALATED, self.escalated_until), (ALERT_OVERDUE, self.overdue_until),
                             (ALERT_NEAR, self.near_until)):
            if bound is not None:
                whens.append((column <= bound, SEVERITY[level]))
        return case(*whens, else_=0)


def _last_date_at_least(ctx, level: str) -> Optional[dt.date]:
    """The latest deadline whose alert is `level` or worse (None if there is none in the span)."""
    wanted = SEVERITY[level]

    def urgent(offset: int) -> bool:
        return SEVERITY[ctx(ctx.today + dt.timedelta(days=offset), False)] >= wanted

    lo, hi = -SPAN_DAYS, SPAN_DAYS
    if not urgent(lo):
        return None
    if urgent(hi):
        return ctx.today + dt.timedelta(days=hi)
    while hi - lo > 1:  # invariant: urgent(lo) and not urgent(hi)
        mid = (lo + hi) // 2
        if urgent(mid):
            lo = mid
        else:
            hi = mid
    return ctx.today + dt.timedelta(days=lo)


def alert_bounds(ctx) -> AlertBounds:
    """Bounds for an `AlertContext` (today, calendar and thresholds already read)."""
    return AlertBounds(ctx.today, _last_date_at_least(ctx, ALERT_ESCALATED), _last_date_at_least(ctx, ALERT_OVERDUE),
                       _last_date_at_least(ctx, ALERT_NEAR))
