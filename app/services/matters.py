"""督促推进机制 workflow: plain functions used by the pages, the API, the CLI and other mechanisms.

Every function takes the session and the acting user, checks the rules, changes the records, writes
a timeline event — and never commits: the caller commits once, so a refusal changes nothing.

States (Matter.status): draft 拟办 → sent 已函告 → signed 已签收 → in_progress 办理中 → replied 已函复
→ closed 已办结; 退回 takes a replied matter back to in_progress; cancelled 已撤销 keeps the record.
Each unit's part is a MatterAssignment (pending 待签收 → signed 已签收 → replied 已函复).

* The matter is ``signed`` when the LEAD unit has signed for it.
* It is ``in_progress`` from the first handling step after that: the lead unit presses 开始办理,
  a co-unit signs or replies, a unit asks for an extension, or the office sends a reply back.
* It is ``replied`` when the LEAD unit has replied; co-units sign and reply on their own parts
  (also after the lead replied), but their replies do not change the matter's status.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Iterable, Optional

from sqlalchemy import Date, and_, case, cast, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, lazyload

from app import models as m
from app.models.base import now
from app.models.supervision import OPEN_MATTER_STATUSES
from app.security.permissions import can, require
from app.security.scope import scope_clause, scoped
from app.services import caching, calendar, settings
from app.services.alert_sql import alert_bounds
from app.services.errors import BusinessError, PermissionRefused
from app.services.identifiers import format_doc_number
from app.services.numbering import next_sequence
from app.services.workdays import ALERT_LEVELS, deadline_alert

EVENT_LABELS = {
    "create": "拟办", "edit": "修改", "send": "函告", "sign": "签收", "start": "开始办理", "reply": "函复",
    "close": "办结", "return": "退回", "remind": "催办", "auto_remind": "自动催办", "extend": "申请延期",
    "extension_approve": "同意延期", "extension_refuse": "不同意延期", "cancel": "撤销", "request": "协调申请",
}
#: statuses in which units still act on their parts (co-units may finish after the lead replied)
ACTIVE_STATUSES = OPEN_MATTER_STATUSES + ("replied",)
MAX_REASON = 2000


# --------------------------------------------------------------------------- helpers

def add_event(session, matter: m.Matter, user, action: str, note: str | None = None, unit_id: int | None = None) -> m.MatterEvent:
    event = m.MatterEvent(matter=matter, action=action, note=note, unit_id=unit_id,
                          user_id=getattr(user, "id", None), username=getattr(user, "username", None) or "系统")
    session.add(event)
    from app.services.requests import on_matter_event

    on_matter_event(session, event)  # a matter answering a 协调申请 tells its requester (issue 14)
    return event


def require_step(user, step: str, what: str) -> None:
    """A workflow step is allowed by the permission of the same name on Matter (roles page)."""
    require(user, step, "Matter", what)


def part_of(matter: m.Matter, unit_id: Optional[int]) -> Optional[m.MatterAssignment]:
    return next((a for a in matter.assignments if a.unit_id == unit_id), None) if unit_id else None


def lead_part(matter: m.Matter) -> Optional[m.MatterAssignment]:
    return next((a for a in matter.assignments if a.role == "lead"), None)


def acting_part(matter: m.Matter, user, step: str, what: str) -> m.MatterAssignment:
    """The user's own unit's part, for a step their roles allow; anyone else is refused (403)."""
    require_step(user, step, what)
    part = part_of(matter, getattr(user, "unit_id", None))
    if part is None:
        raise PermissionRefused(f"只有承办单位的联络人可以{what}本单位承办的部分")
    return part


def _text(value, label: str, required: bool = True, limit: int = MAX_REASON) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        raise BusinessError(f"{label}格式无效", 422)
    if required and not value:
        raise BusinessError(f"请填写{label}", 422)
    if len(value) > limit:
        raise BusinessError(f"{label}不能超过{limit}字", 422)
    return value


def parse_date(value, label: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        raise BusinessError(f"{label}格式无效，应为 YYYY-MM-DD", 422)


def _notify_office(session, message: str, link: str, permission: str = "can_close") -> None:
    from app.services.notifications import notify_office

    notify_office(session, message, link, permission=permission, resource="Matter")


def _link(matter: m.Matter) -> str:
    return f"/matter/show/{matter.id}"


def _name(matter: m.Matter) -> str:
    return f"{matter.letter_number or ''}《{matter.title}》"


def _mark_in_progress(matter: m.Matter) -> None:
    if matter.status == "signed":
        matter.status = "in_progress"


# --------------------------------------------------------------------------- create / edit

def set_units(session, matter: m.Matter, lead_unit: m.Unit, co_units: Iterable[m.Unit] = ()) -> None:
    """The lead unit's and co-units' parts of a draft, kept in step with `matter.lead_unit`."""
    if lead_unit is None:
        raise BusinessError("请选择牵头单位", 422)
    matter.lead_unit = lead_unit
    wanted = [lead_unit] + [u for u in dict.fromkeys(co_units) if u.id != lead_unit.id]
    existing = {a.unit_id: a for a in matter.assignments}
    parts = []
    for index, unit in enumerate(wanted):
        part = existing.pop(unit.id, None) or m.MatterAssignment(unit=unit, unit_id=unit.id)
        part.role = "lead" if index == 0 else "co"
        parts.append(part)
    matter.assignments = parts


def create_matter(session, user, *, title: str, lead_unit: m.Unit, co_units: Iterable[m.Unit] = (),
                  content: str = "", deadline: Optional[dt.date] = None, category: Optional[m.Category] = None,
                  case: Optional[m.Case] = None, source: str = "office", assigned_date: Optional[dt.date] = None,
                  decision: Optional[m.Decision] = None, group: Optional[m.CoordinationGroup] = None,
                  plan_measure: Optional[m.PlanMeasure] = None, contact_name: Optional[str] = None,
                  contact_phone: Optional[str] = None, matter: Optional[m.Matter] = None) -> m.Matter:
    """A new matter in draft (拟办), with the lead unit's and co-units' parts.

    `matter` lets the page and the API pass the object their form/schema built; its fields are
    overwritten by the arguments, so every way in gets the same checks, parts and event.
    """
    assigned_date = assigned_date or calendar.today()
    if not title or not str(title).strip():
        raise BusinessError("请填写事项标题", 422)
    if lead_unit is None:
        raise BusinessError("请选择牵头单位", 422)
    if deadline is not None and deadline < assigned_date:
        raise BusinessError("办理期限不能早于交办日期", 422)
    # read settings before the new matter joins the relationships (a query would autoflush it half-built)
    contact_name = contact_name or settings.get("contact_name") or None
    contact_phone = contact_phone or settings.get("contact_phone") or None
    matter = matter if matter is not None else m.Matter()
    session.add(matter)
    matter.title, matter.content = str(title).strip(), content or ""
    matter.deadline, matter.category, matter.case = deadline, category, case
    matter.source, matter.assigned_date, matter.status = source or "office", assigned_date, "draft"
    matter.decision, matter.group, matter.plan_measure = decision, group, plan_measure
    matter.letter_number = matter.letter_year = matter.letter_seq = None
    matter.contact_name, matter.contact_phone = contact_name, contact_phone
    with session.no_autoflush:
        set_units(session, matter, lead_unit, co_units)
    add_event(session, matter, user, "create", "拟办")
    return matter


def check_editable(matter: m.Matter) -> None:
    if matter.status != "draft":
        raise BusinessError("事项已函告，不能直接修改；请通过延期、退回等办理流程变更", 409)


def default_deadline(on: Optional[dt.date] = None) -> dt.date:
    """Suggested deadline of a new matter: N working days (setting) from today."""
    return calendar.work_calendar().add_workdays(on or calendar.today(), settings.get_int("default_deadline_workdays"))


def suggest_units(category: Optional[m.Category]) -> tuple[Optional[m.Unit], list[m.Unit]]:
    """The lead unit and co-units suggested by the category's responsibilities map (first = lead)."""
    units = [u for u in (category.suggested_units if category else []) if u.active]
    return (units[0] if units else None), units[1:]


# --------------------------------------------------------------------------- send

def assign_letter_number(session, matter: m.Matter, on: Optional[dt.date] = None) -> str:
    year = (on or calendar.today()).year
    seq = next_sequence(session, "letter", year)
    matter.letter_year, matter.letter_seq = year, seq
    matter.letter_number = format_doc_number(settings.get("org_short_name"), settings.get("letter_prefix"), year, seq)
    return matter.letter_number


def send_matter(session, matter: m.Matter, user, note: str | None = None) -> m.Matter:
    """函告 by the office: number the letter and send the matter to its units (draft → sent)."""
    require_step(user, "send", "函告协调事项")
    return dispatch_matter(session, matter, user, note)


def dispatch_matter(session, matter: m.Matter, user, note: str | None = None) -> m.Matter:
    """Send a matter that another authorised step created (issued minutes, an approved plan, a
    group's task): the same numbering and checks as `send_matter`, the authority is that step's."""
    if matter.status != "draft":
        raise BusinessError(f"事项当前状态为“{matter.status_label}”，只有拟办事项可以函告", 409)
    if matter.deadline is None:
        raise BusinessError("函告前请设定办理期限", 422)
    if matter.deadline < calendar.today():
        raise BusinessError("办理期限已过，请先修改办理期限再函告", 422)
    if not matter.assignments:
        raise BusinessError("请先指定牵头单位", 422)
    note = _text(note, "备注", required=False)
    assign_letter_number(session, matter)
    matter.status = "sent"
    matter.sent_at = now()
    add_event(session, matter, user, "send", f"函告 {matter.letter_number}" + (f"：{note}" if note else ""))
    from app.services.notifications import notify_unit

    for part in matter.assignments:
        notify_unit(session, part.unit_id, f"新函告：{_name(matter)}（{part.role_label}）", _link(matter))
    return matter


# --------------------------------------------------------------------------- unit steps

def sign_matter(session, matter: m.Matter, user) -> m.MatterAssignment:
    """签收 of the user's own unit's part; the lead's signature makes the matter 已签收."""
    part = acting_part(matter, user, "sign", "签收")
    if matter.status not in ACTIVE_STATUSES:
        raise BusinessError(f"事项当前状态为“{matter.status_label}”，不能签收", 409)
    if part.status != "pending":
        raise BusinessError("本单位已签收该事项，无需重复签收", 409)
    part.status, part.signed_at, part.signed_by_id = "signed", now(), user.id
    if part.role == "lead" and matter.status == "sent":
        matter.status = "signed"
    elif part.role == "co":
        _mark_in_progress(matter)
    add_event(session, matter, user, "sign", f"{part.unit.name}（{part.role_label}）签收", unit_id=part.unit_id)
    return part


def start_matter(session, matter: m.Matter, user) -> m.Matter:
    """开始办理: the lead unit marks a signed matter as being handled (optional step)."""
    part = acting_part(matter, user, "reply", "开始办理")
    if part.role != "lead":
        raise PermissionRefused("只有牵头单位可以将事项标记为办理中")
    if matter.status != "signed":
        raise BusinessError(f"事项当前状态为“{matter.status_label}”，只有已签收的事项可以开始办理", 409)
    matter.status = "in_progress"
    add_event(session, matter, user, "start", f"{part.unit.name}开始办理", unit_id=part.unit_id)
    return matter


def reply_matter(session, matter: m.Matter, user, content: str, result: str | None = None,
                 number: str | None = None, files: Iterable = ()) -> m.MatterAssignment:
    """函复 of the user's own unit's part (after signing); the lead's reply makes the matter 已函复."""
    from app.services import attachments

    part = acting_part(matter, user, "reply", "函复")
    if matter.status not in ACTIVE_STATUSES:
        raise BusinessError(f"事项当前状态为“{matter.status_label}”，不能函复", 409)
    if part.status == "pending":
        raise BusinessError("请先签收，再函复", 409)
    if part.status == "replied":
        raise BusinessError("本单位已函复该事项；如需补充，请联系联动办公室退回", 409)
    content = _text(content, "函复内容", limit=10000)
    result = _text(result, "办理结果", required=False, limit=200)
    number = _text(number, "复函文号", required=False, limit=60)
    uploads = attachments.check_uploads(files)  # refuse bad files before anything changes
    part.status, part.reply_content, part.reply_result, part.reply_number = "replied", content, result or None, number or None
    part.replied_at, part.replied_by_id = now(), user.id
    if part.role == "lead":
        matter.status, matter.replied_at = "replied", part.replied_at
    else:
        _mark_in_progress(matter)
    session.flush()
    attachments.store_uploads(session, uploads, owner_type="matter_reply", owner_id=part.id,
                              unit_id=part.unit_id, user=user)
    add_event(session, matter, user, "reply",
              f"{part.unit.name}（{part.role_label}）函复" + (f"，办理结果：{result}" if result else ""),
              unit_id=part.unit_id)
    _notify_office(session, f"{part.unit.name}已函复：{_name(matter)}", _link(matter))
    return part


def request_extension(session, matter: m.Matter, user, deadline, reason: str) -> m.ExtensionRequest:
    """申请延期: a party unit asks before the (working-day) deadline has passed."""
    part = acting_part(matter, user, "extend", "申请延期")
    if matter.status not in OPEN_MATTER_STATUSES:
        raise BusinessError(f"事项当前状态为“{matter.status_label}”，不能申请延期", 409)
    if part.status == "replied":
        raise BusinessError("本单位已函复，无需申请延期", 409)
    deadline = parse_date(deadline, "申请的办理期限")
    reason = _text(reason, "延期理由")
    today = calendar.today()
    if matter.deadline is not None and today > calendar.work_calendar().effective_deadline(matter.deadline):
        raise BusinessError("已超过办理期限，不能再申请延期；请尽快办理并函复", 409)
    if matter.deadline is not None and deadline <= matter.deadline:
        raise BusinessError("申请的办理期限应晚于当前办理期限", 422)
    if any(r.status == "pending" for r in matter.extension_requests):
        raise BusinessError("该事项已有待审批的延期申请", 409)
    request = m.ExtensionRequest(matter=matter, unit_id=part.unit_id, old_deadline=matter.deadline,
                                 requested_deadline=deadline, reason=reason, status="pending",
                                 requested_at=now(), requested_by_id=user.id)
    session.add(request)
    _mark_in_progress(matter)
    add_event(session, matter, user, "extend", f"{part.unit.name}申请延期至{deadline.isoformat()}：{reason}",
              unit_id=part.unit_id)
    _notify_office(session, f"{part.unit.name}申请延期：{_name(matter)}", _link(matter), "can_extension_approve")
    return request


# --------------------------------------------------------------------------- office steps

def pending_extension(matter: m.Matter) -> Optional[m.ExtensionRequest]:
    return next((r for r in matter.extension_requests if r.status == "pending"), None)


def approve_extension(session, matter: m.Matter, user, deadline=None, note: str | None = None) -> m.ExtensionRequest:
    """同意延期: the new deadline is the requested one unless the office sets another."""
    require_step(user, "extension_approve", "同意延期申请")
    request = pending_extension(matter)
    if request is None:
        raise BusinessError("该事项没有待审批的延期申请", 409)
    if matter.status not in OPEN_MATTER_STATUSES:
        raise BusinessError(f"事项当前状态为“{matter.status_label}”，不能审批延期", 409)
    new_deadline = parse_date(deadline, "新的办理期限") if deadline not in (None, "") else request.requested_deadline
    note = _text(note, "审批意见", required=False)
    if matter.deadline is not None and new_deadline <= matter.deadline:
        raise BusinessError("新的办理期限应晚于当前办理期限", 422)
    old = matter.deadline
    request.status, request.decided_at, request.decided_by_id, request.decision_note = "approved", now(), user.id, note or None
    request.old_deadline = old
    matter.deadline = new_deadline
    add_event(session, matter, user, "extension_approve",
              f"同意{request.unit.name}的延期申请，办理期限由{old.isoformat() if old else '未定'}延至{new_deadline.isoformat()}"
              + (f"：{note}" if note else ""), unit_id=request.unit_id)
    from app.services.notifications import notify_unit

    notify_unit(session, request.unit_id, f"延期申请已同意，新期限{new_deadline.isoformat()}：{_name(matter)}", _link(matter))
    return request


def refuse_extension(session, matter: m.Matter, user, note: str) -> m.ExtensionRequest:
    require_step(user, "extension_refuse", "不同意延期申请")
    request = pending_extension(matter)
    if request is None:
        raise BusinessError("该事项没有待审批的延期申请", 409)
    note = _text(note, "不同意的理由")
    request.status, request.decided_at, request.decided_by_id, request.decision_note = "refused", now(), user.id, note
    add_event(session, matter, user, "extension_refuse", f"不同意{request.unit.name}的延期申请：{note}",
              unit_id=request.unit_id)
    from app.services.notifications import notify_unit

    notify_unit(session, request.unit_id, f"延期申请未获同意：{_name(matter)}", _link(matter))
    return request


def close_matter(session, matter: m.Matter, user, note: str | None = None) -> m.Matter:
    """办结: the office accepts the lead unit's reply."""
    require_step(user, "close", "办结协调事项")
    if matter.status != "replied":
        raise BusinessError(f"事项当前状态为“{matter.status_label}”，只有已函复的事项可以办结", 409)
    note = _text(note, "办结意见", required=False)
    matter.status, matter.closed_at = "closed", now()
    waiting = [a.unit.name for a in matter.assignments if a.status != "replied"]
    add_event(session, matter, user, "close", "办结" + (f"：{note}" if note else "")
              + (f"（配合单位{'、'.join(waiting)}未函复）" if waiting else ""))
    from app.services.notifications import notify_unit

    for part in matter.assignments:
        notify_unit(session, part.unit_id, f"事项已办结：{_name(matter)}", _link(matter))
    return matter


def return_matter(session, matter: m.Matter, user, reason: str) -> m.Matter:
    """退回: the lead unit's reply is sent back with a reason; the matter is 办理中 again."""
    require_step(user, "return", "退回协调事项")
    if matter.status != "replied":
        raise BusinessError(f"事项当前状态为“{matter.status_label}”，只有已函复的事项可以退回", 409)
    reason = _text(reason, "退回理由")
    lead = lead_part(matter)
    lead.status, lead.replied_at, lead.replied_by_id = "signed", None, None
    matter.status, matter.replied_at = "in_progress", None
    add_event(session, matter, user, "return", f"退回{lead.unit.name}的函复：{reason}", unit_id=lead.unit_id)
    from app.services.notifications import notify_unit

    notify_unit(session, lead.unit_id, f"函复被退回，请补充办理：{_name(matter)}（{reason[:100]}）", _link(matter))
    return matter


def cancel_matter(session, matter: m.Matter, user, reason: str) -> m.Matter:
    """撤销: the matter stays on record with the reason; units are told if it had been sent."""
    require_step(user, "cancel", "撤销协调事项")
    if matter.status in ("closed", "cancelled"):
        raise BusinessError(f"事项当前状态为“{matter.status_label}”，不能撤销", 409)
    reason = _text(reason, "撤销理由")
    was_sent = matter.status != "draft"
    matter.status, matter.cancel_reason = "cancelled", reason
    add_event(session, matter, user, "cancel", f"撤销：{reason}")
    if was_sent:
        from app.services.notifications import notify_unit

        for part in matter.assignments:
            notify_unit(session, part.unit_id, f"事项已撤销：{_name(matter)}", _link(matter))
    return matter


def remind_matter(session, matter: m.Matter, user, note: str | None = None) -> list[m.Reminder]:
    """催办 by the office: every unit whose part is not replied yet gets a reminder and a notice."""
    require_step(user, "remind", "催办")
    if matter.status not in OPEN_MATTER_STATUSES:
        raise BusinessError(f"事项{_name(matter)}当前状态为“{matter.status_label}”，不需要催办", 409)
    note = _text(note, "催办意见", required=False)
    from app.services.notifications import notify_unit

    reminders = []
    for part in matter.assignments:
        if part.status == "replied":
            continue
        reminder = m.Reminder(matter_id=matter.id, unit_id=part.unit_id, kind="manual", note=note or None,
                              threshold=f"manual-{uuid.uuid4().hex[:20]}", created_at=now(),
                              created_by_id=getattr(user, "id", None))
        session.add(reminder)
        reminders.append(reminder)
        notify_unit(session, part.unit_id, f"催办：{_name(matter)}，办理期限{_deadline_text(matter)}"
                    + (f"。{note}" if note else ""), _link(matter))
    if reminders:
        add_event(session, matter, user, "remind",
                  "催办" + "、".join(r_unit_names(matter, reminders)) + (f"：{note}" if note else ""))
    return reminders


def remind_many(session, matters: Iterable[m.Matter], user, note: str | None = None) -> int:
    """Bulk 催办 from the 督办台: all or nothing (the caller commits)."""
    matters = list(matters)
    if not matters:
        raise BusinessError("请至少选择一个事项", 422)
    return sum(len(remind_matter(session, matter, user, note)) for matter in matters)


def r_unit_names(matter: m.Matter, reminders) -> list[str]:
    names = {a.unit_id: a.unit.name for a in matter.assignments}
    return [names.get(r.unit_id, "") for r in reminders]


def _deadline_text(matter: m.Matter) -> str:
    return matter.deadline.isoformat() if matter.deadline else "未定"


# --------------------------------------------------------------------------- alerts and lists

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


SEVERITY = {level: index for index, level in enumerate(ALERT_LEVELS)}


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
def allowed_actions(matter: m.Matter, user) -> set[str]:
    """The workflow steps the page offers this user (the services check again on submit)."""
    actions: set[str] = set()
    if matter.status == "draft":
        actions |= {"edit", "send", "cancel"}
    if matter.status in OPEN_MATTER_STATUSES:
        actions |= {"remind", "cancel"}
        if pending_extension(matter):
            actions |= {"extension_approve", "extension_refuse"}
    if matter.status == "replied":
        actions |= {"close", "return", "cancel"}
    part = part_of(matter, getattr(user, "unit_id", None))
    if part is not None and matter.status in ACTIVE_STATUSES:
        if part.status == "pending":
            actions.add("sign")
        if part.status == "signed":
            actions.add("reply")
            if part.role == "lead" and matter.status == "signed":
                actions.add("start")
        if part.status != "replied" and matter.status in OPEN_MATTER_STATUSES and not pending_extension(matter):
            ctx_deadline = matter.deadline
            if ctx_deadline is None or calendar.today() <= calendar.work_calendar().effective_deadline(ctx_deadline):
                actions.add("extend")
    step_permission = {"edit": "edit", "start": "reply"}
    return {a for a in actions if can(user, step_permission.get(a, a), "Matter")}


# --------------------------------------------------------------------------- automatic reminders (cron)

@dataclass
class ReminderRun:
    created: list = field(default_factory=list)   # (matter, unit, alert)
    mailed: int = 0
    mail_errors: list = field(default_factory=list)


AUTO_TEXT = {"near": "即将到期", "overdue": "已逾期", "escalated": "严重逾期（将列入通报）"}


def auto_reminders(session, on: Optional[dt.date] = None) -> ReminderRun:
    """Reminders for parts near or past the deadline: once per matter, unit, threshold and deadline.

    The threshold key carries the deadline (e.g. ``near:2026-04-15``), so an approved extension
    starts a new round; running the command again the same day (or next day) adds nothing.
    """
    from app.services.notifications import notify_unit

    ctx = AlertContext(on)
    run = ReminderRun()
    parts = (session.query(m.MatterAssignment).join(m.Matter, m.Matter.id == m.MatterAssignment.matter_id)
             .filter(m.Matter.status.in_(OPEN_MATTER_STATUSES), m.Matter.deadline.is_not(None),
                     m.MatterAssignment.status != "replied")
             .order_by(m.Matter.deadline, m.Matter.id, m.MatterAssignment.id))
    candidates = []
    for part in parts:
        alert = ctx.of_part(part)
        if alert in AUTO_TEXT:
            candidates.append((part, alert, f"{alert}:{part.matter.deadline.isoformat()}"))
    if not candidates:
        return run
    matter_ids = {part.matter_id for part, _, _ in candidates}
    existing = {(r.matter_id, r.unit_id, r.threshold) for r in session.query(m.Reminder).filter(
        m.Reminder.matter_id.in_(matter_ids), m.Reminder.kind == "auto")}
    for part, alert, threshold in candidates:
        if (part.matter_id, part.unit_id, threshold) in existing:
            continue
        matter = part.matter
        text = f"{AUTO_TEXT[alert]}：{_name(matter)}，办理期限{_deadline_text(matter)}"
        if alert != "near":
            text += f"，已超期{ctx.overdue_workdays(matter.deadline)}个工作日"
        session.add(m.Reminder(matter_id=part.matter_id, unit_id=part.unit_id, threshold=threshold, kind="auto",
                               note=text, created_at=now()))
        notify_unit(session, part.unit_id, "自动催办：" + text, _link(matter))
        add_event(session, matter, None, "auto_remind", f"{part.unit.name}：{AUTO_TEXT[alert]}", unit_id=part.unit_id)
        existing.add((part.matter_id, part.unit_id, threshold))
        run.created.append((matter, part.unit, alert, text))
    return run


def reminder_emails(session, run: ReminderRun) -> dict[str, list[str]]:
    """address -> lines: the unit's own e-mail and its active liaison users' addresses."""
    by_unit: dict[int, list[str]] = {}
    units: dict[int, m.Unit] = {}
    for _matter, unit, _alert, text in run.created:
        by_unit.setdefault(unit.id, []).append(text)
        units[unit.id] = unit
    mails: dict[str, list[str]] = {}
    if not by_unit:
        return mails
    users = session.query(m.AppUser).filter(m.AppUser.unit_id.in_(by_unit), m.AppUser.active.is_(True))
    addresses: dict[int, set[str]] = {uid: ({units[uid].email} if units[uid].email else set()) for uid in by_unit}
    for user in users:
        if user.email and "@" in user.email and not user.email.endswith(".invalid"):  # placeholder addresses
            addresses[user.unit_id].add(user.email)
    for uid, lines in by_unit.items():
        for address in sorted(addresses[uid]):
            mails.setdefault(address, []).extend(lines)
    return mails


def send_reminder_mail(config, mails: dict[str, list[str]], run: ReminderRun) -> None:
    """E-mail through SMTP (MAIL_SERVER etc.); a failure is reported, the reminders stay recorded."""
    import smtplib
    from email.message import EmailMessage

    if not config.get("MAIL_SERVER") or not mails:
        return
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25), timeout=30) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
            for address, lines in mails.items():
                message = EmailMessage()
                message["Subject"] = f"【{settings.get('mechanism_name')}】协调事项催办提醒（{len(lines)}项）"
                message["From"] = config.get("MAIL_FROM") or "noreply@localhost"
                message["To"] = address
                message.set_content("您单位承办的下列协调事项需要尽快办理：\n\n" + "\n".join(
                    f"{i}. {line}" for i, line in enumerate(lines, 1)) + "\n\n请登录平台查看并办理。")
                try:
                    smtp.send_message(message)
                    run.mailed += 1
                except smtplib.SMTPException as exc:
                    run.mail_errors.append(f"{address}: {exc}")
    except (OSError, smtplib.SMTPException) as exc:
        run.mail_errors.append(f"SMTP {config['MAIL_SERVER']}: {exc}")


# --------------------------------------------------------------------------- letters (PDF data)

def letterhead():
    from app.pdf.data import Letterhead

    office = settings.get("office_name")
    return Letterhead(org_name=settings.get("org_name"), issuer=office)


def letter_data(matter: m.Matter):
    """函告 data from the matter and the settings (office name, contact, numbers)."""
    from app.pdf.data import LetterData

    co = [u.name for u in matter.co_units]
    body = (matter.content or "").strip()
    if co:
        body = (body + "\n" if body else "") + f"本事项由{matter.lead_unit.name}牵头办理，{'、'.join(co)}配合办理。"
    if body and not body.rstrip().endswith(("特此函告。", "特此函告")):
        body += "\n特此函告。"
    when = matter.sent_at.date() if matter.sent_at else calendar.today()
    return LetterData(head=letterhead(), number=matter.letter_number or "", title=matter.title,
                      recipient=matter.lead_unit.name, cc_units=co, body=body or "特此函告。",
                      deadline=matter.deadline, contact_name=matter.contact_name or settings.get("contact_name"),
                      contact_phone=matter.contact_phone or settings.get("contact_phone"), date=when)


def reply_data(session, matter: m.Matter, part: m.MatterAssignment):
    """函复 data of one unit's reply (the lead's by default)."""
    from app.pdf.data import ReplyData

    if part.status != "replied" or not part.reply_content:
        raise BusinessError(f"{part.unit.name}尚未函复该事项", 409)
    replier = session.get(m.AppUser, part.replied_by_id) if part.replied_by_id else None
    unit = part.unit
    # first_name holds the person's name; last_name is the position (职务), not part of a contact line
    contact = unit.liaison_name or ((replier.first_name or "").strip() if replier else "")
    phone = unit.liaison_phone or (getattr(replier, "phone", None) or "")
    core = matter.title.strip()
    core = core[2:] if core.startswith("关于") else core
    core = core[:-2] if core.endswith("的函") else core
    title = f"关于{core}的复函"  # 关于协助申报税收债权的函 → 关于协助申报税收债权的复函
    body = part.reply_content
    if not body.rstrip().endswith(("特此函复。", "特此函复")):
        body += "\n特此函复。"
    return ReplyData(head=letterhead(), unit_name=unit.document_name, number=part.reply_number or "", title=title,
                     recipient=settings.get("office_name"), original_title=matter.title,
                     original_number=matter.letter_number or "", body=body, result=part.reply_result or "",
                     contact_name=contact or "", contact_phone=phone or "",
                     date=(part.replied_at or now()).date())
