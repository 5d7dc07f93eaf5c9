"""The alert tiers in SQL (date bounds) agree with `deadline_alert` day by day, and the 督办台's
per-unit "on time" counts a reply on the working day after a holiday deadline as on time."""
from __future__ import annotations

import datetime as dt

from app import models as m
from app.extensions import db
from app.services import calendar
from app.services import matters as svc
from app.services.alert_sql import SEVERITY, alert_bounds
from tests.supervision_support import frozen  # noqa: F401

D = dt.date


def _holidays():
    # a three-day holiday (Wed–Fri) and a Sunday made a working day (调休)
    for day, kind in ((D(2026, 4, 29), "holiday"), (D(2026, 4, 30), "holiday"), (D(2026, 5, 1), "holiday"),
                      (D(2026, 5, 3), "workday")):
        db.session.add(m.Holiday(day=day, kind=kind, name="测试"))
    db.session.commit()
    calendar.invalidate()


def test_bounds_match_deadline_alert_every_day(app, frozen):
    with app.app_context():
        _holidays()
        for today in (D(2026, 4, 27), D(2026, 4, 30), D(2026, 5, 6), D(2026, 5, 11)):
            frozen(today)
            ctx = svc.AlertContext()
            bounds = alert_bounds(ctx)
            seen = set()
            for offset in range(-40, 41):
                deadline = today + dt.timedelta(days=offset)
                expected = ctx(deadline, False)
                got = (3 if bounds.escalated_until and deadline <= bounds.escalated_until else
                       2 if bounds.overdue_until and deadline <= bounds.overdue_until else
                       1 if bounds.near_until and deadline <= bounds.near_until else 0)
                assert got == SEVERITY[expected], (today, deadline, expected, bounds)
                seen.add(expected)
            assert seen == {"none", "near", "overdue", "escalated"}


def test_board_sql_order_and_counts_with_a_holiday_deadline(app, factory, frozen):
    with app.app_context():
        _holidays()
        tax = factory.unit("县税务局")
        holiday_deadline = D(2026, 4, 30)           # effective deadline: Sun 05-03, the 调休 working day
        on_time = factory.matter(deadline=holiday_deadline, status="closed")
        late = factory.matter(deadline=holiday_deadline, status="closed")
        for matter, replied in ((on_time, dt.datetime(2026, 5, 3, 16, 0)), (late, dt.datetime(2026, 5, 4, 9, 0))):
            part = matter.assignments[0]
            part.status, part.replied_at = "replied", replied
        open_late = factory.matter(deadline=D(2026, 5, 6))
        open_calm = factory.matter(deadline=D(2026, 6, 30))
        db.session.commit()
        frozen(D(2026, 5, 8))
        office = factory.user("office")
        data = svc.board(db.session, office, limit=1)
        assert data["total"] == 2 and [mt.id for mt, _ in data["rows"]] == [open_late.id]
        assert [mt.id for mt, _ in svc.board(db.session, office, limit=1, offset=1)["rows"]] == [open_calm.id]
        row = next(r for r in data["units"] if r["unit"].id == tax.id)
        assert (row["open"], row["overdue"], row["replied"], row["on_time"]) == (2, 1, 2, 1)
        inbox = svc.unit_inbox(db.session, factory.user("tax"), limit=10)
        assert [(p.matter_id, alert) for p, alert in inbox] == [(open_late.id, "overdue"), (open_calm.id, "none")]
        assert svc.count_unit_inbox(db.session, factory.user("tax")) == 2
