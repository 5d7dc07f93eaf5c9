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

Elsewhere: lists and alerts in matter_queries.py, the daily automatic reminders in
matter_reminders.py and their e-mail in matter_mail.py, the letters' PDF data in letters.py.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Iterable, Optional

from app import models as m
from app.models.base import now
from app.models.supervision import ACTIVE_STATUSES, OPEN_MATTER_STATUSES
from app.security.permissions import can, require
from app.services import calendar, settings
from app.services.errors import BusinessError, PermissionRefused
from app.services.identifiers import format_doc_number
from app.services import notifications
from app.services.numbering import next_sequence
# the lists, alerts and letters were here before they had modules of their own: `matters.X` still works
from app.services.letters import letter_data, letterhead, reply_data  # noqa: F401
from app.services.matter_queries import (BOARD_STATUSES, SEVERITY, AlertContext, alert_of, board,  # noqa: F401
                                         count_escalated, count_unit_inbox, escalated_matters, unit_counts,
                                         unit_inbox)

EVENT_LABELS = {
    "create": "拟办", "edit": "修改", "send": "函告", "sign": "签收", "start": "开始办理", "reply": "函复",
    "close": "办结", "return": "退回", "remind": "催办", "auto_remind": "自动催办", "extend": "申请延期",
    "extension_approve": "同意延期", "extension_refuse": "不同意延期", "cancel": "撤销", "request": "协调申请",
}
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
    notifications.notify_office(session, message, link, permission=permission, resource="Matter")


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
    for part in matter.assignments:
        notifications.notify_unit(session, part.unit_id, f"新函告：{_name(matter)}（{part.role_label}）", _link(matter))
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
    notifications.notify_unit(session, request.unit_id, f"延期申请已同意，新期限{new_deadline.isoformat()}：{_name(matter)}", _link(matter))
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
    notifications.notify_unit(session, request.unit_id, f"延期申请未获同意：{_name(matter)}", _link(matter))
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
    for part in matter.assignments:
        notifications.notify_unit(session, part.unit_id, f"事项已办结：{_name(matter)}", _link(matter))
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
    notifications.notify_unit(session, lead.unit_id, f"函复被退回，请补充办理：{_name(matter)}（{reason[:100]}）", _link(matter))
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
        for part in matter.assignments:
            notifications.notify_unit(session, part.unit_id, f"事项已撤销：{_name(matter)}", _link(matter))
    return matter


def remind_matter(session, matter: m.Matter, user, note: str | None = None) -> list[m.Reminder]:
    """催办 by the office: every unit whose part is not replied yet gets a reminder and a notice."""
    require_step(user, "remind", "催办")
    if matter.status not in OPEN_MATTER_STATUSES:
        raise BusinessError(f"事项{_name(matter)}当前状态为“{matter.status_label}”，不需要催办", 409)
    note = _text(note, "催办意见", required=False)
    reminders = []
    for part in matter.assignments:
        if part.status == "replied":
            continue
        reminder = m.Reminder(matter_id=matter.id, unit_id=part.unit_id, kind="manual", note=note or None,
                              threshold=f"manual-{uuid.uuid4().hex[:20]}", created_at=now(),
                              created_by_id=getattr(user, "id", None))
        session.add(reminder)
        reminders.append(reminder)
        notifications.notify_unit(session, part.unit_id, f"催办：{_name(matter)}，办理期限{_deadline_text(matter)}"
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


# --------------------------------------------------------------------------- what the matter page offers

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
