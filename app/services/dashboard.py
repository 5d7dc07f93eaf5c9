"""The numbers on each role's home page (工作台), computed with the same scope as the lists.

Every query goes through `scoped(...)` with the viewing user, so a number never counts a record the
user could not open from the corresponding list. Deadline alerts are computed now with
`calendar.alert_for` (never stored), the same way the lists colour their rows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app import models as m
from app.extensions import db
from app.models.supervision import OPEN_MATTER_STATUSES
from app.security.scope import role_names, scoped, unit_id_of
from app.services.calendar import alert_for, today

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


def _count(model, *where, user) -> int:
    query = select(func.count()).select_from(model)
    if where:
        query = query.where(*where)
    return db.session.execute(scoped(query, model, user)).scalar_one()


def home_kind(user) -> str:
    roles = role_names(user)
    if roles & {"Admin", "Office"}:
        return "office"
    if "Convener" in roles:
        return "convener"
    if "UnitStaff" in roles and unit_id_of(user) is not None and not roles & {"Viewer"}:
        return "unit"
    return "viewer"


# --- matters ---------------------------------------------------------------------------------------

def open_matters(user) -> list[m.Matter]:
    query = select(m.Matter).where(m.Matter.status.in_(OPEN_MATTER_STATUSES)).order_by(m.Matter.deadline, m.Matter.id)
    return list(db.session.execute(scoped(query, m.Matter, user)).scalars())


def matters_by_alert(user, on: dt.date | None = None) -> dict[str, list[m.Matter]]:
    out: dict[str, list[m.Matter]] = {"none": [], "near": [], "overdue": [], "escalated": []}
    for matter in open_matters(user):
        out[alert_for(matter.deadline, False, on)].append(matter)
    return out


def unit_bars(user, on: dt.date | None = None) -> dict:
    """Per member unit: its open parts (not yet replied) and how many of them are overdue."""
    query = (select(m.MatterAssignment, m.Matter.deadline)
             .join(m.Matter, m.Matter.id == m.MatterAssignment.matter_id)
             .where(m.Matter.status.in_(OPEN_MATTER_STATUSES), m.MatterAssignment.status != "replied"))
    rows = db.session.execute(scoped(scoped(query, m.MatterAssignment, user), m.Matter, user)).all()
    open_count: dict[int, int] = {}
    overdue_count: dict[int, int] = {}
    for part, deadline in rows:
        open_count[part.unit_id] = open_count.get(part.unit_id, 0) + 1
        if alert_for(deadline, False, on) in ("overdue", "escalated"):
            overdue_count[part.unit_id] = overdue_count.get(part.unit_id, 0) + 1
    units = db.session.execute(scoped(select(m.Unit).where(m.Unit.id.in_(open_count)), m.Unit, user)
                               .order_by(m.Unit.sort_order)).scalars().all()
    units = sorted(units, key=lambda u: (-open_count[u.id], u.sort_order))
    return {"units": [u.short_name or u.name for u in units],
            "open": [open_count[u.id] - overdue_count.get(u.id, 0) for u in units],
            "overdue": [overdue_count.get(u.id, 0) for u in units]}


# --- unit inbox -------------------------------------------------------------------------------------

def week_end(on: dt.date) -> dt.date:
    return on + dt.timedelta(days=6 - on.weekday())


def unit_parts(user) -> list[tuple[m.MatterAssignment, m.Matter]]:
    """The unit's own parts of open matters (the inbox), through the scope of both tables."""
    query = (select(m.MatterAssignment, m.Matter).join(m.Matter, m.Matter.id == m.MatterAssignment.matter_id)
             .where(m.MatterAssignment.unit_id == unit_id_of(user), m.Matter.status.in_(OPEN_MATTER_STATUSES))
             .order_by(m.Matter.deadline, m.Matter.id))
    return list(db.session.execute(scoped(scoped(query, m.MatterAssignment, user), m.Matter, user)).all())


def unit_inbox(user, on: dt.date | None = None) -> dict[str, list]:
    on = on or today()
    end = week_end(on)
    out = {"pending": [], "in_progress": [], "due_week": [], "overdue": []}
    for part, matter in unit_parts(user):
        if part.status == "replied":
            continue
        (out["pending"] if part.status == "pending" else out["in_progress"]).append(matter)
        alert = alert_for(matter.deadline, False, on)
        if alert in ("overdue", "escalated"):
            out["overdue"].append(matter)
        elif matter.deadline is not None and on <= matter.deadline <= end:
            out["due_week"].append(matter)
    return out


# --- meetings, cases, bulletins, minutes, evaluations -------------------------------------------------

def upcoming_meetings(user) -> list[m.Meeting]:
    query = (select(m.Meeting).where(m.Meeting.status == "scheduled", m.Meeting.start_at >= dt.datetime.now())
             .order_by(m.Meeting.start_at))
    return list(db.session.execute(scoped(query, m.Meeting, user)).scalars())


def high_risk_cases_without_plan(user) -> list[m.Case]:
    """Cases whose latest assessment is 高 or 重大 and that have no approved or in-effect plan."""
    latest = (select(m.Assessment.level).where(m.Assessment.case_id == m.Case.id)
              .order_by(m.Assessment.assessed_on.desc(), m.Assessment.id.desc()).limit(1).scalar_subquery())
    has_plan = (select(m.DisposalPlan.id).where(m.DisposalPlan.case_id == m.Case.id,
                                                m.DisposalPlan.status.in_(PLAN_DONE_STATUSES)).exists())
    query = select(m.Case).where(latest.in_(HIGH_RISK_LEVELS), ~has_plan).order_by(m.Case.id.desc())
    return list(db.session.execute(scoped(query, m.Case, user)).scalars())


def last_quarter(on: dt.date) -> tuple[dt.date, dt.date, str]:
    q = (on.month - 1) // 3  # current quarter index 0..3
    year, q = (on.year - 1, 3) if q == 0 else (on.year, q - 1)
    start = dt.date(year, 3 * q + 1, 1)
    end = (dt.date(year + 1, 1, 1) if q == 3 else dt.date(year, 3 * q + 4, 1)) - dt.timedelta(days=1)
    return start, end, f"{year}年第{q + 1}季度"


def bulletins_due(user, on: dt.date | None = None) -> list[str]:
    """Periodic bulletins that should exist by now and do not: the last quarter's."""
    on = on or today()
    start, end, label = last_quarter(on)
    query = select(func.count()).select_from(m.Bulletin).where(
        m.Bulletin.kind == "quarter", m.Bulletin.status == "issued",
        m.Bulletin.period_start <= end, m.Bulletin.period_end >= start)
    if db.session.execute(scoped(query, m.Bulletin, user)).scalar_one():
        return []
    return [f"{label}工作通报尚未印发"]


def minutes_waiting(user) -> list[m.Minutes]:
    query = select(m.Minutes).where(m.Minutes.status == "draft").order_by(m.Minutes.id.desc())
    return list(db.session.execute(scoped(query, m.Minutes, user)).scalars())


def evaluations_waiting(user) -> list[m.Evaluation]:
    query = select(m.Evaluation).where(m.Evaluation.status.in_(("draft", "approved"))).order_by(m.Evaluation.year.desc())
    return list(db.session.execute(scoped(query, m.Evaluation, user)).scalars())


# --- the home pages ---------------------------------------------------------------------------------

def overview(user, home: Home, on: dt.date | None = None) -> None:
    alerts = matters_by_alert(user, on)
    open_list = [x for items in alerts.values() for x in items]
    overdue = alerts["overdue"] + alerts["escalated"]
    meetings = upcoming_meetings(user)
    risky = high_risk_cases_without_plan(user)
    home.cards += [
        Card("open_matters", "办理中的协调事项", len(open_list), "MatterView.list", "primary"),
        Card("overdue_matters", "逾期未办结", len(overdue), "MatterView.list", "danger"),
        Card("escalated_matters", "严重逾期（升级督办）", len(alerts["escalated"]), "MatterView.list", "danger"),
        Card("near_matters", "临期", len(alerts["near"]), "MatterView.list", "warning"),
        Card("replied_matters", "已函复待办结", _count(m.Matter, m.Matter.status == "replied", user=user),
             "MatterView.list", "info", {"_flt_0_status": "replied"}),
        Card("upcoming_meetings", "待召开会议", len(meetings), "MeetingView.list", "info", {"_flt_0_status": "scheduled"}),
        Card("risky_cases", "高风险案件无处置方案", len(risky), "CaseView.list", "warning"),
        Card("major_cases", "重大敏感案件", _count(m.Case, m.Case.is_major_sensitive.is_(True), user=user),
             "CaseView.list", "default", {"_flt_0_is_major_sensitive": "y"}),
    ]
    home.lists["overdue"] = sorted(overdue, key=lambda x: (x.deadline or dt.date.max, x.id))[:LIST_LIMIT]
    home.lists["meetings"] = meetings[:LIST_LIMIT]
    home.lists["risky_cases"] = risky[:LIST_LIMIT]
    home.chart = unit_bars(user, on)
    home.notices += bulletins_due(user, on)


def home_data(user, on: dt.date | None = None) -> Home:
    kind = home_kind(user)
    home = Home(kind=kind)
    if kind == "unit":
        inbox = unit_inbox(user, on)
        home.cards += [
            Card("pending", "待签收", len(inbox["pending"]), "MatterView.list", "warning"),
            Card("in_progress", "办理中（已签收未函复）", len(inbox["in_progress"]), "MatterView.list", "primary"),
            Card("due_week", "本周到期", len(inbox["due_week"]), "MatterView.list", "warning"),
            Card("overdue", "已逾期", len(inbox["overdue"]), "MatterView.list", "danger"),
            Card("upcoming_meetings", "待参加会议", len(upcoming_meetings(user)), "MeetingView.list", "info"),
        ]
        home.lists["due_week"] = inbox["due_week"]
        home.lists["overdue"] = inbox["overdue"][:LIST_LIMIT]
        home.lists["pending"] = inbox["pending"][:LIST_LIMIT]
        home.lists["meetings"] = upcoming_meetings(user)[:LIST_LIMIT]
        return home
    overview(user, home, on)
    if kind == "convener":
        minutes = minutes_waiting(user)
        evaluations = evaluations_waiting(user)
        home.cards += [
            Card("minutes_waiting", "纪要待签发", len(minutes), "MinutesView.list", "warning", {"_flt_0_status": "draft"}),
            Card("evaluations_waiting", "评价通报待审定/印发", len(evaluations), "EvaluationView.list", "warning"),
        ]
        home.lists["minutes"] = minutes[:LIST_LIMIT]
        home.lists["evaluations"] = evaluations[:LIST_LIMIT]
    return home
