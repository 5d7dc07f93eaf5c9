"""协调事项 lists and alerts: the deadline alert of a matter or part, the unit's inbox, the 督办台
(board) with its per-unit counts, and the escalated matters listed for bulletins and meetings.

The alert tiers are computed in SQL from date bounds (app/services/alert_sql.py) so lists are
filtered, sorted and paged in the database; `AlertContext` computes a row's alert in Python with
the calendar and thresholds read once.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Date, and_, case, cast, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, lazyload

from app import models as m
from app.models.supervision import ACTIVE_STATUSES, OPEN_MATTER_STATUSES
from app.security.scope import scope_clause, scoped
from app.services import caching, calendar, settings
from app.services.alert_sql import SEVERITY, alert_bounds
from app.services.workdays import ALERT_LEVELS, deadline_alert


class AlertContext:
    """Alert computation with the calendar and thresholds read once (lists call it per row)."""

    def __init__(self, on: Optional[dt.date] = None):
        self.today = on or calendar.today()
        self.calendar = calendar.work_calendar()
        self.near = settings.get_int("near_deadline_workdays")
        self.escalate = max(1, settings.get_int("escalate_workdays"))

    def __call__(self, deadline: Optional[dt.date], done: bool) -> str:
        return deadline_alert(deadline, self.today, self.calendar, max(0, self.near), self.escalate, done)

    def of_matter(self, matter: m.Matter) -> str:
        return self(matter.deadline, matter.status not in OPEN_MATTER_STATUSES)

    def of_part(self, part: m.MatterAssignment) -> str:
        matter = part.matter
        return self(matter.deadline, part.status == "replied" or matter.status not in ACTIVE_STATUSES)

    def overdue_workdays(self, deadline: Optional[dt.date]) -> int:
        return self.calendar.workdays_overdue(deadline, self.today) if deadline else 0


def alert_of(matter: m.Matter) -> str:
    return calendar.alert_for(matter.deadline, matter.status not in OPEN_MATTER_STATUSES)


def escalated_matters(session, user, on: Optional[dt.date] = None, limit: Optional[int] = None) -> list[m.Matter]:
    """Open matters N working days past the deadline (setting escalate_workdays): listed for the
    next bulletin / joint meeting (通报、转相关职能部门). Scoped to what `user` may see."""
    bounds = alert_bounds(AlertContext(on))
    query = scoped(session.query(m.Matter).filter(m.Matter.status.in_(OPEN_MATTER_STATUSES),
                                                  bounds.at_least(m.Matter.deadline, "escalated")), m.Matter, user)
    query = query.options(lazyload(m.Matter.assignments), lazyload(m.Matter.category)).order_by(m.Matter.deadline, m.Matter.id)
    return query.limit(limit).all() if limit else query.all()


def count_escalated(session, user, on: Optional[dt.date] = None) -> int:
    bounds = alert_bounds(AlertContext(on))
    query = session.query(func.count(m.Matter.id)).filter(m.Matter.status.in_(OPEN_MATTER_STATUSES),
                                                          bounds.at_least(m.Matter.deadline, "escalated"))
    return scoped(query, m.Matter, user).scalar()


def _nulls_last(column):
    return case((column.is_(None), 1), else_=0)


def _inbox_query(session, user, unit_id: int):
    return scoped(session.query(m.MatterAssignment).join(m.Matter, m.Matter.id == m.MatterAssignment.matter_id)
                  .filter(m.MatterAssignment.unit_id == unit_id, m.MatterAssignment.status != "replied",
                          m.Matter.status.in_(ACTIVE_STATUSES)), m.Matter, user)


def unit_inbox(session, user, on: Optional[dt.date] = None, limit: Optional[int] = None,
               offset: int = 0) -> list[tuple[m.MatterAssignment, str]]:
    """本单位待办: the unit's parts not yet replied, most urgent first, with their alert.

    Sorted in SQL (alert tier from `alert_bounds`, then 待签收 first, deadline, matter), so a page
    of `limit` rows reads only those rows."""
    unit_id = getattr(user, "unit_id", None)
    if unit_id is None:
        return []
    ctx = AlertContext(on)
    severity = alert_bounds(ctx).severity(m.Matter.deadline)
    query = (_inbox_query(session, user, unit_id)
             .options(contains_eager(m.MatterAssignment.matter).lazyload(m.Matter.assignments),
                      contains_eager(m.MatterAssignment.matter).lazyload(m.Matter.category))
             .order_by(severity.desc(), case((m.MatterAssignment.status == "pending", 0), else_=1),
                       _nulls_last(m.Matter.deadline), m.Matter.deadline, m.MatterAssignment.matter_id))
    if limit:
        query = query.limit(limit).offset(offset)
    return [(part, ctx.of_part(part)) for part in query]


def count_unit_inbox(session, user) -> int:
    unit_id = getattr(user, "unit_id", None)
    if unit_id is None:
        return 0
    return _inbox_query(session, user, unit_id).with_entities(func.count(m.MatterAssignment.id)).scalar()


BOARD_STATUSES = OPEN_MATTER_STATUSES + ("replied",)


def board(session, user, *, unit_id: Optional[int] = None, status: Optional[str] = None,
          alert: Optional[str] = None, on: Optional[dt.date] = None, limit: Optional[int] = None,
          offset: int = 0) -> dict:
    """督办台: open matters (and replies waiting to be closed) with alerts, and per-unit counts.

    Filtered, sorted (alert tier, deadline) and paged in SQL; `total` is the number of rows
    matching the filters. The per-unit counts are aggregates (see `unit_counts`)."""
    ctx = AlertContext(on)
    bounds = alert_bounds(ctx)
    severity = case((m.Matter.status.in_(OPEN_MATTER_STATUSES), bounds.severity(m.Matter.deadline)), else_=0)
    query = scoped(session.query(m.Matter).filter(m.Matter.status.in_(BOARD_STATUSES)), m.Matter, user)
    if status in BOARD_STATUSES:
        query = query.filter(m.Matter.status == status)
    if unit_id:
        query = query.filter(m.Matter.assignments.any(m.MatterAssignment.unit_id == unit_id))
    if alert in ALERT_LEVELS:
        query = query.filter(severity == SEVERITY[alert])
    escalated = scoped(select(func.count(m.Matter.id)).where(
        m.Matter.status.in_(OPEN_MATTER_STATUSES), bounds.at_least(m.Matter.deadline, "escalated")), m.Matter, user)
    total, escalated_total = query.with_entities(func.count(m.Matter.id), escalated.scalar_subquery()).one()
    query = query.options(lazyload(m.Matter.category), lazyload(m.Matter.case),
                          joinedload(m.Matter.assignments)).order_by(
        severity.desc(), _nulls_last(m.Matter.deadline), m.Matter.deadline, m.Matter.id)
    if limit:
        query = query.limit(limit).offset(offset)
    rows = [(matter, ctx.of_matter(matter)) for matter in query]
    return {"rows": rows, "total": total, "escalated_total": escalated_total or 0,
            "units": unit_counts(session, user, ctx), "today": ctx.today}


def _date_of(column):
    """The calendar day of a timestamp column, comparable with a DATE on both backends."""
    from app.extensions import db

    if db.engine.dialect.name == "sqlite":
        return func.date(column)
    return cast(column, Date)


def _days_after(column, days: int):
    from app.extensions import db

    if db.engine.dialect.name == "sqlite":
        return func.date(column, f"+{int(days)} days")
    return column + int(days)


LATE_WINDOW_DAYS = 31  # a deadline on a holiday moves to the next working day: never this far


REPLY_STATS_TTL = 60  # seconds; "按期函复" on the 督办台 may be this old


def _reply_stats(session, user, ctx: AlertContext) -> dict[int, dict]:
    """Per unit, over every sent matter: parts replied, and replied on time (the reply day not after
    the effective deadline — a deadline on a holiday moves to the next working day). A scan of all
    parts ever sent, so for the whole-county scope it is kept in the app's cache for a minute."""
    if scope_clause(m.Matter, user) is not None:
        return _load_reply_stats(session, user, ctx)
    key = "reply_stats:" + caching.digest(ctx.today, sorted(ctx.calendar.holidays), sorted(ctx.calendar.extra_workdays))
    return caching.cached(key, lambda: _load_reply_stats(session, user, ctx), REPLY_STATS_TTL)


def _load_reply_stats(session, user, ctx: AlertContext) -> dict[int, dict]:
    part, matter = m.MatterAssignment, m.Matter
    reply_day = _date_of(part.replied_at)
    on_deadline = or_(matter.deadline.is_(None), and_(part.replied_at.is_not(None), reply_day <= matter.deadline))
    base = scoped(session.query(part.unit_id).join(matter, matter.id == part.matter_id)
                  .filter(matter.status.not_in(("draft", "cancelled")), part.status == "replied"), m.Matter, user)
    # replies after the nominal deadline but within the window come back grouped by (deadline,
    # reply day) and are checked against the calendar; all others are summed per unit
    late = and_(part.replied_at.is_not(None), reply_day > matter.deadline,
                reply_day <= _days_after(matter.deadline, LATE_WINDOW_DAYS))
    late_deadline = case((late, matter.deadline), else_=None)
    late_day = case((late, reply_day), else_=None)
    rows = base.with_entities(part.unit_id, late_deadline, late_day, func.count(),
                              func.sum(case((on_deadline, 1), else_=0))).group_by(part.unit_id, late_deadline, late_day)
    stats: dict[int, dict] = {}
    for uid, deadline, day, n, on_time in rows:
        row = stats.setdefault(uid, {"replied": 0, "on_time": 0})
        row["replied"] += int(n)
        row["on_time"] += int(on_time or 0)
        if deadline is not None and day is not None:
            deadline = deadline if isinstance(deadline, dt.date) else dt.date.fromisoformat(str(deadline)[:10])
            day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
            if day <= ctx.calendar.effective_deadline(deadline):
                row["on_time"] += int(n)
    return stats


def unit_counts(session, user, ctx: AlertContext) -> list[dict]:
    """Per unit: open parts, overdue open parts (now, one aggregate over open matters), parts
    replied and replied on time (all sent matters, `_reply_stats`)."""
    bounds = alert_bounds(ctx)
    part, matter = m.MatterAssignment, m.Matter
    current = (session.query(part.unit_id).join(matter, matter.id == part.matter_id)
               .filter(matter.status.in_(OPEN_MATTER_STATUSES), part.status != "replied"))
    current = scoped(current, m.Matter, user).with_entities(
        part.unit_id, func.count(), func.sum(case((bounds.at_least(matter.deadline, "overdue"), 1), else_=0))
    ).group_by(part.unit_id)
    stats = {uid: {"open": int(n_open or 0), "overdue": int(n_overdue or 0), "replied": 0, "on_time": 0}
             for uid, n_open, n_overdue in current}
    for uid, row in _reply_stats(session, user, ctx).items():
        stats.setdefault(uid, {"open": 0, "overdue": 0, "replied": 0, "on_time": 0}).update(row)
    if not stats:
        return []
    units = {u.id: u for u in session.query(m.Unit).filter(m.Unit.id.in_(list(stats)))}
    result = [{"unit": units[uid], **row} for uid, row in stats.items() if uid in units]
    result.sort(key=lambda r: (-r["overdue"], -r["open"], r["unit"].sort_order, r["unit"].id))
    return result
