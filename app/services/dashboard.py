"""The numbers on each role's home page (工作台), computed with the same scope as the lists.

Every query goes through `scoped(...)` with the viewing user, so a number never counts a record the
user could not open from the corresponding list. Deadline alerts are computed now (never stored):
the tiers' date bounds come from `alert_sql.alert_bounds` (bisection over the same
`deadline_alert` the lists use), so the counts are one aggregate statement and each short list is
one LIMITed statement, whatever the number of matters (issue 8).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload, lazyload

from app import models as m
from app.extensions import db
from app.models.supervision import OPEN_MATTER_STATUSES
from app.security.permissions import acts_for_own_unit_only, can, sees_all_units, sees_own_cases
from app.security.scope import scope_clause, scoped, unit_id_of
from app.services import caching
from app.services.alert_sql import alert_bounds
from app.services.matter_queries import AlertContext

HIGH_RISK_LEVELS = ("高", "重大")
PLAN_DONE_STATUSES = ("approved", "in_effect")
LIST_LIMIT = 10


@dataclass
class Card:
    key: str
    label: str
    value: int
    endpoint: str = ""            # the list page it counts, for url_for
    colour: str = "default"
    args: dict = field(default_factory=dict)


@dataclass
class Home:
    kind: str                     # office / unit / convener / viewer
    cards: list[Card] = field(default_factory=list)
    lists: dict[str, list] = field(default_factory=dict)
    chart: dict | None = None
    notices: list[str] = field(default_factory=list)

    def number(self, key: str) -> int:
        return next(c.value for c in self.cards if c.key == key)


def _count(model, *where, user):
    """A scalar subquery counting `model` rows in the user's scope (combined into one SELECT)."""
    query = select(func.count()).select_from(model)
    if where:
        query = query.where(*where)
    return scoped(query, model, user).scalar_subquery()


def _counts(table=None, **subqueries) -> dict[str, int]:
    """One SELECT: the columns of `table` (an aggregate subquery) and one scalar subquery per count."""
    columns = list(table.c) if table is not None else []
    query = select(*columns, *[q.label(k) for k, q in subqueries.items()])
    if table is not None:
        query = query.select_from(table)
    row = db.session.execute(query).one()
    return {k: int(v or 0) for k, v in row._mapping.items()}


def home_kind(user) -> str:
    """Which home page: chosen by what the user's roles may do, so an admin-made role gets the
    page that fits its permissions (issue 11)."""
    if acts_for_own_unit_only(user):
        return "unit" if unit_id_of(user) is not None else "viewer"
    if not sees_all_units(user) and sees_own_cases(user):
        return "cases"  # 承办法官, 破产管理人: their cases and requests (issue 14)
    if can(user, "send", "Matter"):
        return "office"
    if can(user, "issue", "Minutes"):
        return "convener"
    return "viewer"


# --- matters ---------------------------------------------------------------------------------------

def _context(on: dt.date | None):
    ctx = AlertContext(on)
    return ctx, alert_bounds(ctx)


def _matters(query, user, limit: int = LIST_LIMIT) -> list[m.Matter]:
    """A short list of matters: what the home tables show (number, title, lead unit, deadline)."""
    query = query.options(lazyload("*"), joinedload(m.Matter.lead_unit)).limit(limit)
    return list(db.session.execute(scoped(query, m.Matter, user)).scalars())


CHART_TTL = 60  # seconds


def unit_bars(user, bounds) -> dict:
    """Per member unit: its open parts (not yet replied) and how many of them are overdue.

    An aggregate over every open part (tens of thousands at province scale, ~100 ms); for the
    whole-county scope (office, convener, viewer) it is kept in the app's cache for a minute. The
    cards beside it are always live."""
    if scope_clause(m.MatterAssignment, user) is not None:
        return _unit_bars(user, bounds)
    key = "unit_bars:" + caching.digest(bounds, scope_clause(m.Unit, user) is None)
    return caching.cached(key, lambda: _unit_bars(user, bounds), CHART_TTL)


def _unit_bars(user, bounds) -> dict:
    overdue = bounds.at_least(m.Matter.deadline, "overdue")
    query = (select(m.Unit.id, m.Unit.name, m.Unit.short_name, m.Unit.sort_order, func.count(),
                    func.sum(case((overdue, 1), else_=0)))
             .select_from(m.MatterAssignment)
             .join(m.Matter, m.Matter.id == m.MatterAssignment.matter_id)
             .join(m.Unit, m.Unit.id == m.MatterAssignment.unit_id)
             .where(m.Matter.status.in_(OPEN_MATTER_STATUSES), m.MatterAssignment.status != "replied")
             .group_by(m.Unit.id, m.Unit.name, m.Unit.short_name, m.Unit.sort_order))
    query = scoped(scoped(scoped(query, m.MatterAssignment, user), m.Matter, user), m.Unit, user)
    rows = sorted(db.session.execute(query).all(), key=lambda r: (-r[4], r[3]))
    return {"units": [short or name for _, name, short, *_ in rows],
            "open": [int(n) - int(late or 0) for *_, n, late in rows],
            "overdue": [int(late or 0) for *_, late in rows]}


# --- unit inbox -------------------------------------------------------------------------------------

def week_end(on: dt.date) -> dt.date:
    return on + dt.timedelta(days=6 - on.weekday())


def _unit_parts(user):
    """The unit's own parts of open matters not yet replied (the inbox), as a query over Matter."""
    return (select(m.Matter).join(m.MatterAssignment, m.MatterAssignment.matter_id == m.Matter.id)
            .where(m.MatterAssignment.unit_id == unit_id_of(user), m.MatterAssignment.status != "replied",
                   m.Matter.status.in_(OPEN_MATTER_STATUSES)))


def _scoped_parts(query, user):
    return scoped(scoped(query, m.MatterAssignment, user), m.Matter, user)


def unit_inbox(user, on: dt.date | None = None) -> dict:
    """Counts of the unit's open parts by state and alert, and the first few of each list."""
    ctx, bounds = _context(on)
    end = week_end(ctx.today)
    overdue = bounds.at_least(m.Matter.deadline, "overdue")
    due_week = and_(~overdue, m.Matter.deadline >= ctx.today, m.Matter.deadline <= end)
    pending = m.MatterAssignment.status == "pending"
    counts = (select(func.count(), func.sum(case((pending, 1), else_=0)), func.sum(case((overdue, 1), else_=0)),
                     func.sum(case((due_week, 1), else_=0)))
              .select_from(m.MatterAssignment).join(m.Matter, m.Matter.id == m.MatterAssignment.matter_id)
              .where(m.MatterAssignment.unit_id == unit_id_of(user), m.MatterAssignment.status != "replied",
                     m.Matter.status.in_(OPEN_MATTER_STATUSES)))
    total, n_pending, n_overdue, n_week = db.session.execute(_scoped_parts(counts, user)).one()
    order = (m.Matter.deadline, m.Matter.id)

    def first(condition):
        query = _scoped_parts(_unit_parts(user).where(condition).order_by(*order), user)
        return list(db.session.execute(query.options(lazyload("*")).limit(LIST_LIMIT)).scalars())

    return {"counts": {"pending": int(n_pending or 0), "in_progress": int(total or 0) - int(n_pending or 0),
                       "due_week": int(n_week or 0), "overdue": int(n_overdue or 0)},
            "pending": first(pending), "due_week": first(due_week), "overdue": first(overdue)}


# --- meetings, cases, bulletins, minutes, evaluations -------------------------------------------------

def _upcoming_where():
    return (m.Meeting.status == "scheduled", m.Meeting.start_at >= dt.datetime.now())


def upcoming_meetings(user, limit: int = LIST_LIMIT) -> list[m.Meeting]:
    query = select(m.Meeting).where(*_upcoming_where()).order_by(m.Meeting.start_at, m.Meeting.id)
    return list(db.session.execute(scoped(query, m.Meeting, user).options(lazyload("*")).limit(limit)).scalars())


def _risky_where():
    """Cases whose latest assessment is 高 or 重大 and that have no approved or in-effect plan."""
    latest = (select(m.Assessment.level).where(m.Assessment.case_id == m.Case.id)
              .order_by(m.Assessment.assessed_on.desc(), m.Assessment.id.desc()).limit(1).scalar_subquery())
    has_plan = (select(m.DisposalPlan.id).where(m.DisposalPlan.case_id == m.Case.id,
                                                m.DisposalPlan.status.in_(PLAN_DONE_STATUSES)).exists())
    # the first condition only narrows the cases to probe (a latest level in HIGH implies one)
    ever_high = m.Case.id.in_(select(m.Assessment.case_id).where(m.Assessment.level.in_(HIGH_RISK_LEVELS)))
    return ever_high, latest.in_(HIGH_RISK_LEVELS), ~has_plan


def high_risk_cases_without_plan(user, limit: int = LIST_LIMIT) -> list[m.Case]:
    query = select(m.Case).where(*_risky_where()).order_by(m.Case.id.desc())
    return list(db.session.execute(scoped(query, m.Case, user).options(lazyload("*")).limit(limit)).scalars())


def last_quarter(on: dt.date) -> tuple[dt.date, dt.date, str]:
    q = (on.month - 1) // 3  # current quarter index 0..3
    year, q = (on.year - 1, 3) if q == 0 else (on.year, q - 1)
    start = dt.date(year, 3 * q + 1, 1)
    end = (dt.date(year + 1, 1, 1) if q == 3 else dt.date(year, 3 * q + 4, 1)) - dt.timedelta(days=1)
    return start, end, f"{year}年第{q + 1}季度"


def _bulletin_where(on: dt.date):
    start, end, _label = last_quarter(on)
    return (m.Bulletin.kind == "quarter", m.Bulletin.status == "issued",
            m.Bulletin.period_start <= end, m.Bulletin.period_end >= start)


def _minutes_where():
    return (m.Minutes.status == "draft",)


def _evaluations_where():
    return (m.Evaluation.status.in_(("draft", "approved")),)


def _pending_extensions_where():
    return (m.ExtensionRequest.status == "pending",)


def _proposals_where():
    return (m.Meeting.status == "proposed",)


def pending_extensions(user, limit: int = LIST_LIMIT) -> list[m.ExtensionRequest]:
    """Extension requests waiting for the office's decision, oldest first (the unit waits longest)."""
    query = (select(m.ExtensionRequest).where(*_pending_extensions_where())
             .order_by(m.ExtensionRequest.requested_at, m.ExtensionRequest.id))
    query = scoped(query, m.ExtensionRequest, user).options(joinedload(m.ExtensionRequest.matter), lazyload("*"),
                                                            joinedload(m.ExtensionRequest.unit))
    return list(db.session.execute(query.limit(limit)).scalars().unique())


def minutes_waiting(user, limit: int = LIST_LIMIT) -> list[m.Minutes]:
    query = select(m.Minutes).where(*_minutes_where()).order_by(m.Minutes.id.desc())
    return list(db.session.execute(scoped(query, m.Minutes, user).options(lazyload("*")).limit(limit)).scalars())


def evaluations_waiting(user, limit: int = LIST_LIMIT) -> list[m.Evaluation]:
    query = select(m.Evaluation).where(*_evaluations_where()).order_by(m.Evaluation.year.desc())
    return list(db.session.execute(scoped(query, m.Evaluation, user).options(lazyload("*")).limit(limit)).scalars())


# --- the home pages ---------------------------------------------------------------------------------

def overview(user, home: Home, on: dt.date | None = None, convener: bool = False, office: bool = False) -> None:
    ctx, bounds = _context(on)
    is_open = m.Matter.status.in_(OPEN_MATTER_STATUSES)
    deadline = m.Matter.deadline
    extra = {}
    if office or convener:  # what waits for the office's (or the convener's) decision
        extra["proposals"] = _count(m.Meeting, *_proposals_where(), user=user)
    if office:
        extra["extensions"] = _count(m.ExtensionRequest, *_pending_extensions_where(), user=user)
    if convener:
        extra.update(minutes_waiting=_count(m.Minutes, *_minutes_where(), user=user),
                     evaluations_waiting=_count(m.Evaluation, *_evaluations_where(), user=user))
    # the matter numbers in one pass over open and replied matters (index on status, deadline)
    overdue = bounds.at_least(deadline, "overdue")

    def share(*conditions):
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    matters = scoped(select(share(is_open).label("open"), share(is_open, overdue).label("overdue"),
                            share(is_open, bounds.at_least(deadline, "escalated")).label("escalated"),
                            share(is_open, bounds.at_least(deadline, "near"), ~overdue).label("near"),
                            share(m.Matter.status == "replied").label("replied"))
                     .where(m.Matter.status.in_(OPEN_MATTER_STATUSES + ("replied",))), m.Matter, user).subquery()
    n = _counts(
        matters,
        meetings=_count(m.Meeting, *_upcoming_where(), user=user),
        risky=_count(m.Case, *_risky_where(), user=user),
        major=_count(m.Case, m.Case.is_major_sensitive.is_(True), user=user),
        bulletins=_count(m.Bulletin, *_bulletin_where(ctx.today), user=user),
        **extra)
    home.cards += [
        Card("open_matters", "办理中的协调事项", n["open"], "MatterView.list", "primary"),
        Card("overdue_matters", "逾期未办结", n["overdue"], "MatterView.list", "danger"),
        Card("escalated_matters", "严重逾期（升级督办）", n["escalated"], "MatterView.list", "danger"),
        Card("near_matters", "临期", n["near"], "MatterView.list", "warning"),
        Card("replied_matters", "已函复待办结", n["replied"], "MatterView.list", "info", {"_flt_0_status": "replied"}),
        Card("upcoming_meetings", "待召开会议", n["meetings"], "MeetingView.list", "info", {"_flt_0_status": "scheduled"}),
        Card("risky_cases", "高风险案件无处置方案", n["risky"], "CaseView.list", "warning"),
        Card("major_cases", "重大敏感案件", n["major"], "CaseView.list", "default", {"_flt_0_is_major_sensitive": "y"}),
    ]
    home.lists["overdue"] = _matters(select(m.Matter).where(is_open, bounds.at_least(deadline, "overdue"))
                                     .order_by(deadline, m.Matter.id), user)
    home.lists["meetings"] = upcoming_meetings(user)
    home.lists["risky_cases"] = high_risk_cases_without_plan(user)
    home.chart = unit_bars(user, bounds)
    if not n["bulletins"]:
        home.notices.append(f"{last_quarter(ctx.today)[2]}工作通报尚未印发")
    if office:
        home.cards += [
            Card("pending_extensions", "待审批的延期申请", n["extensions"], "HomeIndexView.index", "warning",
                 {"_anchor": "pending-extensions"}),
        ]
        home.lists["extensions"] = pending_extensions(user)
    if office or convener:
        home.cards += [
            Card("pending_proposals", "待安排的专题会议提议", n["proposals"], "MeetingView.list", "warning",
                 {"_flt_0_status": "proposed"}),
        ]
    if convener:
        home.cards += [
            Card("minutes_waiting", "纪要待签发", n["minutes_waiting"], "MinutesView.list", "warning",
                 {"_flt_0_status": "draft"}),
            Card("evaluations_waiting", "评价通报待审定/印发", n["evaluations_waiting"], "EvaluationView.list", "warning"),
        ]
        home.lists["minutes"] = minutes_waiting(user)
        home.lists["evaluations"] = evaluations_waiting(user)


def request_queue(user, home: Home) -> None:
    """The office's queue of 协调申请 waiting for review: counts by kind and the oldest ones."""
    from app.services import requests as request_service

    if not can(user, "accept", "CoordinationRequest"):
        return
    counts, oldest = request_service.waiting_queue(db.session, user)
    home.cards.insert(0, Card("requests_waiting", "协调申请待审核", sum(counts.values()), "RequestView.list", "warning",
                              {"_flt_0_status": "submitted"}))
    home.lists["request_counts"] = counts
    home.lists["requests"] = oldest


def requester_home(user, home: Home, on: dt.date | None = None) -> None:
    """承办法官, 破产管理人: their cases, their requests, and the matters answering them."""
    from app.services import requests as request_service

    ctx, bounds = _context(on)
    is_open = m.Matter.status.in_(OPEN_MATTER_STATUSES)
    mine = m.CoordinationRequest.requester_id == user.id
    n = _counts(cases=_count(m.Case, user=user),
                waiting=_count(m.CoordinationRequest, mine, m.CoordinationRequest.status == "submitted", user=user),
                answered=_count(m.CoordinationRequest, mine, m.CoordinationRequest.status.in_(("accepted", "merged")),
                                user=user),
                open=_count(m.Matter, is_open, user=user),
                overdue=_count(m.Matter, is_open, bounds.at_least(m.Matter.deadline, "overdue"), user=user),
                replied=_count(m.Matter, m.Matter.status.in_(("replied", "closed")), user=user))
    home.cards += [
        Card("my_cases", "我的案件", n["cases"], "CaseView.list", "primary"),
        Card("my_waiting", "待审核的申请", n["waiting"], "RequestView.list", "warning", {"_flt_0_status": "submitted"}),
        Card("my_answered", "已受理的申请", n["answered"], "RequestView.list", "success"),
        Card("open_matters", "办理中的协调事项", n["open"], "MatterView.list", "info"),
        Card("overdue_matters", "逾期未办结", n["overdue"], "MatterView.list", "danger"),
        Card("replied_matters", "已函复的事项", n["replied"], "MatterView.list", "success"),
    ]
    home.lists["my_requests"] = request_service.my_requests(db.session, user)
    home.lists["my_cases"] = request_service.my_cases(db.session, user)


def home_data(user, on: dt.date | None = None) -> Home:
    kind = home_kind(user)
    home = Home(kind=kind)
    if kind == "cases":
        requester_home(user, home, on)
        return home
    if kind == "unit":
        inbox = unit_inbox(user, on)
        meetings = _counts(n=_count(m.Meeting, *_upcoming_where(), user=user))["n"]
        home.cards += [
            Card("pending", "待签收", inbox["counts"]["pending"], "MatterView.list", "warning"),
            Card("in_progress", "办理中（已签收未函复）", inbox["counts"]["in_progress"], "MatterView.list", "primary"),
            Card("due_week", "本周到期", inbox["counts"]["due_week"], "MatterView.list", "warning"),
            Card("overdue", "已逾期", inbox["counts"]["overdue"], "MatterView.list", "danger"),
            Card("upcoming_meetings", "待参加会议", meetings, "MeetingView.list", "info"),
        ]
        home.lists["due_week"] = inbox["due_week"]
        home.lists["overdue"] = inbox["overdue"]
        home.lists["pending"] = inbox["pending"]
        home.lists["meetings"] = upcoming_meetings(user)
        return home
    overview(user, home, on, convener=kind == "convener", office=kind == "office")
    request_queue(user, home)
    return home
