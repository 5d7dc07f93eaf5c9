"""督促推进机制 workflow: plain functions used by the pages, the API, the CLI and other mechanisms.

Every function takes the session and the acting user, checks the rules, changes the records, writes
a timeline event — and never commits: the caller commits once, so a refusal changes nothing.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Optional

from app import models as m
from app.models.base import now
from app.services import settings
from app.services.errors import BusinessError
from app.services.identifiers import format_doc_number
from app.services.numbering import next_sequence


def add_event(session, matter: m.Matter, user, action: str, note: str | None = None, unit_id: int | None = None) -> m.MatterEvent:
    event = m.MatterEvent(matter=matter, action=action, note=note, unit_id=unit_id,
                          user_id=getattr(user, "id", None), username=getattr(user, "username", None) or "系统")
    session.add(event)
    return event


def create_matter(session, user, *, title: str, lead_unit: m.Unit, co_units: Iterable[m.Unit] = (),
                  content: str = "", deadline: Optional[dt.date] = None, category: Optional[m.Category] = None,
                  case: Optional[m.Case] = None, source: str = "office", assigned_date: Optional[dt.date] = None,
                  decision: Optional[m.Decision] = None, group: Optional[m.CoordinationGroup] = None,
                  plan_measure: Optional[m.PlanMeasure] = None) -> m.Matter:
    """A new matter in draft (拟办), with the lead unit's and co-units' parts."""
    assigned_date = assigned_date or dt.date.today()
    if not title or not title.strip():
        raise BusinessError("请填写事项标题", 422)
    if lead_unit is None:
        raise BusinessError("请选择牵头单位", 422)
    if deadline is not None and deadline < assigned_date:
        raise BusinessError("办理期限不能早于交办日期", 422)
    co_units = [u for u in co_units if u.id != lead_unit.id]
    matter = m.Matter(title=title.strip(), content=content or "", lead_unit=lead_unit, deadline=deadline,
                      category=category, case=case, source=source, assigned_date=assigned_date, status="draft",
                      decision=decision, group=group, plan_measure=plan_measure,
                      contact_name=settings.get("contact_name") or None,
                      contact_phone=settings.get("contact_phone") or None)
    matter.assignments = [m.MatterAssignment(unit=lead_unit, role="lead")] + [
        m.MatterAssignment(unit=unit, role="co") for unit in dict.fromkeys(co_units)]
    session.add(matter)
    add_event(session, matter, user, "create", "拟办")
    return matter


def assign_letter_number(session, matter: m.Matter, on: Optional[dt.date] = None) -> str:
    year = (on or dt.date.today()).year
    seq = next_sequence(session, "letter", year)
    matter.letter_year, matter.letter_seq = year, seq
    matter.letter_number = format_doc_number(settings.get("org_short_name"), settings.get("letter_prefix"), year, seq)
    return matter.letter_number


def send_matter(session, matter: m.Matter, user, note: str | None = None) -> m.Matter:
    """函告: number the letter and send the matter to its units (draft → sent)."""
    if matter.status != "draft":
        raise BusinessError(f"事项当前状态为“{matter.status_label}”，只有拟办事项可以函告", 409)
    if matter.deadline is None:
        raise BusinessError("函告前请设定办理期限", 422)
    assign_letter_number(session, matter)
    matter.status = "sent"
    matter.sent_at = now()
    add_event(session, matter, user, "send", f"函告 {matter.letter_number}" + (f"：{note}" if note else ""))
    from app.services.notifications import notify_unit

    for part in matter.assignments:
        notify_unit(session, part.unit_id, f"新函告：{matter.letter_number}《{matter.title}》（{part.role_label}）",
                    f"/matter/show/{matter.id}")
    return matter
