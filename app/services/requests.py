"""协调申请 and 信息核查 (issue 14): the judge or the administrator of a case asks, the office decides.

Plain functions taking the session and the acting user, used by the pages, the API and the demo.
They check the rules, change the records, notify — and never commit (the caller commits once, so a
refusal changes nothing). Matters are made by the existing supervision workflow
(`create_matter` / `dispatch_matter`), so a request's matters are supervised like any other:
letters, deadlines, reminders, replies, the 督办台.

States (CoordinationRequest.status): submitted 待审核 → accepted 已受理 (a draft matter, or for an
information check one sent matter per unit) | merged 已并入事项 | declined 不予受理; the requester
may withdraw (已撤回) while it waits. A decided request is frozen (app/models/locks.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Optional

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, lazyload

from app import models as m
from app.models.base import now
from app.models.requests import REQUEST_KIND_LABELS
from app.security.permissions import require, sees_all_units, sees_own_cases
from app.security.scope import get_in_scope, scoped
from app.services import calendar
from app.services import matters as matter_service
from app.services.errors import BusinessError, NotFound, PermissionRefused
from app.services.matters import _text as text_field
from app.services.notifications import notify_user

RESOURCE = "CoordinationRequest"
#: what every information check comes with, whatever its items (the items name what else they need)
COMMON_REQUIREMENTS = "人民法院指定管理人决定书复印件、管理人负责人身份证明及联系方式"
MAX_CHECK_ITEMS = 40
#: matter steps a requester hears about (the others are between the office and the units)
NOTIFIED_STEPS = {"send": "已函告{units}", "reply": "{unit}已函复", "close": "已办结", "return": "函复被退回，继续办理",
                  "cancel": "已撤销", "extension_approve": "办理期限已延长至{deadline}"}
_QUIET = "requests_quiet"  # session.info flag: the step notifies the requester itself


class FieldError(BusinessError):
    """A refusal about one field of a form: the page shows it beside that field."""

    def __init__(self, message: str, field: str, status_code: int = 422):
        super().__init__(message, status_code)
        self.field = field


def field_of(exc: BusinessError) -> str:
    return getattr(exc, "field", None) or "form"


def _field(field: str, check, *args, **kwargs):
    """Run a check; its refusal is about `field`."""
    try:
        return check(*args, **kwargs)
    except FieldError:
        raise
    except BusinessError as exc:
        raise FieldError(exc.message, field, exc.status_code)


def link(request: m.CoordinationRequest) -> str:
    return f"/request/show/{request.id}"


def _name(request: m.CoordinationRequest) -> str:
    return f"{request.kind_label}《{request.title}》"


# --------------------------------------------------------------------------- who asks

def case_role(session, case_id: int, user) -> Optional[str]:
    """The user's role on the case (judge / administrator), None for anyone else."""
    if user is None or case_id is None:
        return None
    return session.execute(select(m.CaseAssignment.role).where(
        m.CaseAssignment.case_id == case_id, m.CaseAssignment.user_id == user.id)).scalar()


def _case_in_scope(session, user, case) -> m.Case:
    """The case of a new request must be one the requester sees (their own case)."""
    case_id = getattr(case, "id", case)
    if case_id in (None, ""):
        raise FieldError("请选择案件", "case")
    with session.no_autoflush:
        try:
            return get_in_scope(session, m.Case, case_id, user)
        except NotFound:
            raise FieldError("案件不存在，或不是您承办/管理的案件", "case")


def check_own_request(request: m.CoordinationRequest, user) -> None:
    """Requesters change only their own requests; a user who sees every unit (the office's
    administrators) may correct any — the roles page decides whether they may edit at all."""
    if user is None or sees_all_units(user):
        return
    if request.requester_id != getattr(user, "id", None):
        raise PermissionRefused("只能修改或撤回本人提出的申请")


def check_waiting(request: m.CoordinationRequest, what: str) -> None:
    if request.status != "submitted":
        raise BusinessError(f"申请当前状态为“{request.status_label}”，不能{what}", 409)


def _notify_office(session, message: str, target: str) -> None:
    matter_service._notify_office(session, message, target)


def _notify_requester(session, request: m.CoordinationRequest, message: str) -> None:
    if request.requester_id:
        notify_user(session, request.requester_id, f"您的{_name(request)}{message}", link(request))


# --------------------------------------------------------------------------- file

def _date(value, label: str) -> Optional[dt.date]:
    if value in (None, ""):
        return None
    return matter_service.parse_date(value, label)


def submit_request(session, user, *, case, title, needs, reason=None, category: Optional[m.Category] = None,
                   units: Iterable[m.Unit] = (), desired_date=None, files: Iterable = (),
                   request: Optional[m.CoordinationRequest] = None) -> m.CoordinationRequest:
    """协调申请: what is needed and why, a suggested category and units, attachments.

    `request` lets the page pass the object its form built: every way in gets the same checks."""
    from app.services import attachments

    require(user, "add", RESOURCE, "提出协调申请")
    case = _case_in_scope(session, user, case)
    title = _field("title", text_field, title, "申请事项", limit=200)
    needs = _field("needs", text_field, needs, "需要协调解决的问题", limit=10000)
    reason = _field("reason", text_field, reason, "申请理由", required=False, limit=10000)
    desired_date = _field("desired_date", _date, desired_date, "希望办结日期")
    if desired_date is not None and desired_date < calendar.today():
        raise FieldError("希望办结日期不能早于今天", "desired_date")
    uploads = _field("files", attachments.check_uploads, files)  # refuse bad files before anything changes
    request = request if request is not None else m.CoordinationRequest()
    with session.no_autoflush:
        request.kind, request.case, request.title, request.needs = "coordination", case, title, needs
        request.reason, request.category, request.desired_date = reason or None, category, desired_date
        request.suggested_units = [u for u in dict.fromkeys(units or []) if u is not None]
        _stamp(session, request, user, case)
    session.add(request)
    session.flush()
    attachments.store_uploads(session, uploads, owner_type="request", owner_id=request.id, unit_id=None, user=user)
    _notify_office(session, f"新的协调申请：{case.case_number}《{title}》（{request.requester_label}）", link(request))
    return request


def _stamp(session, request, user, case) -> None:
    request.status, request.submitted_at = "submitted", now()
    request.requester, request.requester_id = user, getattr(user, "id", None)
    request.requester_role = case_role(session, case.id, user)
    request.decided_at = request.decided_by_id = request.decision_note = None


def catalogue(session, user=None, active_only: bool = True) -> list[m.CheckItem]:
    """The standard items, by unit order then the catalogue's order."""
    query = session.query(m.CheckItem).join(m.Unit, m.Unit.id == m.CheckItem.unit_id)
    if active_only:
        query = query.filter(m.CheckItem.active.is_(True), m.Unit.active.is_(True))
    query = scoped(query, m.CheckItem, user) if user is not None else query
    return query.order_by(m.Unit.sort_order, m.CheckItem.sort_order, m.CheckItem.id).all()


def submit_check(session, user, *, case, items: Iterable[tuple], reason=None, files: Iterable = ()) -> m.CoordinationRequest:
    """信息核查: the items of the catalogue picked in one form, `items` = [(CheckItem or id, note)]."""
    from app.services import attachments

    require(user, "add", RESOURCE, "提出信息核查申请")
    case = _case_in_scope(session, user, case)
    reason = _field("reason", text_field, reason, "核查用途", required=False, limit=10000)
    picked: dict[int, tuple[m.CheckItem, str]] = {}
    for entry, note in items or []:
        item = entry if isinstance(entry, m.CheckItem) else _item(session, entry)
        if not item.active:
            raise FieldError(f"核查事项“{item.name}”已停用，请重新选择", "items")
        picked.setdefault(item.id, (item, _field(f"note_{item.id}", text_field, note, f"“{item.name}”的补充说明",
                                                 required=False, limit=500)))
    if not picked:
        raise FieldError("请至少选择一项核查事项", "items")
    if len(picked) > MAX_CHECK_ITEMS:
        raise FieldError(f"一次最多选择{MAX_CHECK_ITEMS}项核查事项", "items")
    uploads = _field("files", attachments.check_uploads, files)
    units = {item.unit_id for item, _ in picked.values()}
    request = m.CoordinationRequest()
    with session.no_autoflush:
        request.kind, request.case = "check", case
        request.title = f"{case.enterprise_name}信息核查（{len(units)}个单位{len(picked)}项）"[:200]
        request.needs = "；".join(f"{item.unit.name}：{item.name}" for item, _ in picked.values())
        request.reason = reason or None
        _stamp(session, request, user, case)
        request.lines = [m.CheckLine(item=item, unit=item.unit, note=note or None, sort_order=index)
                         for index, (item, note) in enumerate(picked.values(), start=1)]
    session.add(request)
    session.flush()
    attachments.store_uploads(session, uploads, owner_type="request", owner_id=request.id, unit_id=None, user=user)
    _notify_office(session, f"新的信息核查申请：{case.case_number}，{len(units)}个单位{len(picked)}项（{request.requester_label}）",
                   link(request))
    return request


def _item(session, item_id) -> m.CheckItem:
    try:
        return get_in_scope(session, m.CheckItem, item_id)
    except NotFound:
        raise FieldError(f"核查事项不存在：{item_id}", "items")


def add_attachment(session, request: m.CoordinationRequest, user, storage) -> m.Attachment:
    """A document for the office and the units (指定管理人决定书 …) while the request waits."""
    from app.services import attachments

    require(user, "upload", RESOURCE, "上传申请附件")
    check_own_request(request, user)
    check_waiting(request, "上传附件")
    return _field("file", attachments.save_upload, session, storage, owner_type="request", owner_id=request.id, user=user)


def allowed_actions(request: m.CoordinationRequest, user) -> set[str]:
    """The steps the request's page offers this user (the services check again on submit)."""
    from app.security.permissions import can

    actions = set()
    waiting = request.status == "submitted"
    own = user is not None and (sees_all_units(user) or request.requester_id == user.id)
    if waiting:
        actions |= {a for a in ("accept", "decline") if can(user, a, RESOURCE)}
        if request.kind == "coordination" and can(user, "merge", RESOURCE):
            actions.add("merge")
        if own:
            actions |= {a for a in ("edit", "withdraw", "upload") if can(user, a, RESOURCE)}
            if request.kind == "check" and can(user, "add", "CheckLine"):
                actions.add("lines")
    if request.kind == "check" and request.status == "accepted" and can(user, "results", RESOURCE):
        actions.add("results")
    return actions


def fan_out_plan(request: m.CoordinationRequest) -> list[tuple[m.Unit, list[m.CheckLine], dt.date]]:
    """What approving an information check will send: per unit its items and the deadline."""
    work = calendar.work_calendar()
    today = calendar.today()
    by_unit: dict[int, list[m.CheckLine]] = {}
    for line in request.lines:
        by_unit.setdefault(line.unit_id, []).append(line)
    plan = [(lines[0].unit, lines, work.add_workdays(today, max(line.item.deadline_workdays for line in lines)))
            for lines in by_unit.values()]
    return sorted(plan, key=lambda row: (row[0].sort_order, row[0].id))


def merge_candidates(session, user, request: m.CoordinationRequest) -> list[m.Matter]:
    """Matters of the same case a coordination request may join (not cancelled or closed)."""
    query = session.query(m.Matter).options(lazyload("*")).filter(
        m.Matter.case_id == request.case_id, m.Matter.status.not_in(("cancelled", "closed")))
    return scoped(query, m.Matter, user).order_by(m.Matter.id.desc()).limit(100).all()


def withdraw_request(session, request: m.CoordinationRequest, user, reason=None) -> m.CoordinationRequest:
    """撤回 by the requester while the office has not decided."""
    require(user, "withdraw", RESOURCE, "撤回申请")
    check_own_request(request, user)
    check_waiting(request, "撤回")
    reason = text_field(reason, "撤回原因", required=False)
    request.status, request.decided_at, request.decided_by_id = "withdrawn", now(), getattr(user, "id", None)
    request.decision_note = reason or None
    _notify_office(session, f"{request.requester_label}撤回了{_name(request)}", link(request))
    return request


# --------------------------------------------------------------------------- the office decides

def _decide(request, user, status: str, note) -> None:
    request.status, request.decided_at, request.decided_by_id = status, now(), getattr(user, "id", None)
    request.decision_note = note or None


def request_text(request: m.CoordinationRequest) -> str:
    """The letter text a coordination request suggests (the office edits the draft as it sees fit)."""
    case = request.case
    parts = [request.needs.strip()]
    if request.reason:
        parts.append(f"申请理由：{request.reason.strip()}")
    if request.desired_date:
        parts.append(f"申请人希望于{request.desired_date.isoformat()}前办结。")
    parts.append(f"（本事项根据{request.requester_label or '申请人'}于{request.submitted_at:%Y-%m-%d}提出的协调申请拟办；"
                 f"案件：{case.case_number} {case.enterprise_name}）")
    return "\n".join(p for p in parts if p)


def suggested_units(request: m.CoordinationRequest) -> tuple[Optional[m.Unit], list[m.Unit]]:
    """Lead and co-units for the draft: the requester's suggestion, else the category's."""
    units = [u for u in request.suggested_units if u.active and u.kind != "office"]
    if units:
        return units[0], units[1:]
    return matter_service.suggest_units(request.category)


def accept_request(session, request: m.CoordinationRequest, user, *, lead_unit: Optional[m.Unit] = None,
                   co_units: Optional[Iterable[m.Unit]] = None, category: Optional[m.Category] = None,
                   title=None, deadline=None, note=None) -> list[m.Matter]:
    """受理: a coordination request becomes a draft matter prefilled from it (the office edits and
    sends it); an information check is fanned out as one sent matter per unit."""
    require(user, "accept", RESOURCE, "受理申请")
    check_waiting(request, "受理")
    note = text_field(note, "受理意见", required=False)
    if request.kind == "check":
        matters = fan_out(session, request, user)
        _decide(request, user, "accepted", note)
        _notify_requester(session, request, f"已批准，已向{'、'.join(mt.lead_unit.name for mt in matters)}函告")
        return matters
    deadline = _date(deadline, "办理期限") or request.desired_date or matter_service.default_deadline()
    category = category or request.category
    lead, co = suggested_units(request) if lead_unit is None else (lead_unit, list(co_units or []))
    if lead is None and category is not None and lead_unit is None:
        lead, co = matter_service.suggest_units(category)
    if lead is None:
        raise BusinessError("请选择牵头单位", 422)
    matter = matter_service.create_matter(session, user, title=text_field(title, "事项标题", required=False, limit=200)
                                          or request.title, lead_unit=lead, co_units=co, content=request_text(request),
                                          deadline=deadline, category=category, case=request.case, source="request")
    matter_service.add_event(session, matter, user, "request", f"来自{request.requester_label}的{_name(request)}")
    request.matter = matter
    _decide(request, user, "accepted", note)
    _notify_requester(session, request, "已受理，联动办公室正在拟办协调事项")
    return [matter]


def merge_request(session, request: m.CoordinationRequest, user, matter: Optional[m.Matter], note=None) -> m.Matter:
    """并入: the request is answered by a matter of the same case that already exists."""
    require(user, "merge", RESOURCE, "将申请并入已有事项")
    check_waiting(request, "并入")
    if request.kind != "coordination":
        raise BusinessError("信息核查申请请批准后分送各单位，不能并入已有事项", 409)
    if matter is None:
        raise BusinessError("请选择要并入的协调事项", 422)
    if matter.case_id != request.case_id:
        raise BusinessError("只能并入同一案件的协调事项", 422)
    if matter.status in ("cancelled", "closed"):
        raise BusinessError(f"事项{matter_service._name(matter)}已{'撤销' if matter.status == 'cancelled' else '办结'}，不能并入", 409)
    note = text_field(note, "并入说明", required=False)
    request.matter = matter
    _decide(request, user, "merged", note)
    matter_service.add_event(session, matter, user, "request", f"并入{request.requester_label}的{_name(request)}"
                             + (f"：{note}" if note else ""))
    _notify_requester(session, request, f"已并入协调事项{matter_service._name(matter)}一并办理")
    return matter


def decline_request(session, request: m.CoordinationRequest, user, reason) -> m.CoordinationRequest:
    """不予受理, with the reason the requester reads."""
    require(user, "decline", RESOURCE, "不予受理申请")
    check_waiting(request, "不予受理")
    reason = text_field(reason, "不予受理的理由")
    _decide(request, user, "declined", reason)
    _notify_requester(session, request, f"不予受理：{reason[:200]}")
    return request


def fan_out(session, request: m.CoordinationRequest, user) -> list[m.Matter]:
    """One matter per unit, sent at once; its deadline is the longest standard deadline of the
    unit's items, counted in working days from today (节假日与调休)."""
    from app.services import attachments

    if not request.lines:
        raise BusinessError("申请中没有核查事项", 409)
    matters = []
    session.info[_QUIET] = True  # the acceptance notice names every unit at once
    try:
        for unit, lines, deadline in fan_out_plan(request):
            matter = matter_service.create_matter(
                session, user, title=check_title(request.case, lines), lead_unit=unit, content=check_text(request, lines,
                                                                                                         deadline),
                deadline=deadline, case=request.case, source="check", category=None)
            matter_service.add_event(session, matter, user, "request", f"来自{request.requester_label}的{_name(request)}")
            for line in lines:
                line.matter = matter
            session.flush()
            matter_service.dispatch_matter(session, matter, user)
            attachments.copy_attachments(session, "request", request.id, "matter", matter.id, user)
            matters.append(matter)
    finally:
        session.info.pop(_QUIET, None)
    return matters


def check_title(case: m.Case, lines: list[m.CheckLine]) -> str:
    names = "、".join(line.item.name for line in lines)
    title = f"关于协助查询{case.enterprise_name}{names}的函"
    return title if len(title) <= 200 else f"关于协助查询{case.enterprise_name}有关信息的函"[:200]


def check_text(request: m.CoordinationRequest, lines: list[m.CheckLine], deadline: dt.date) -> str:
    """The letter: who asks and why, each item with what it covers, what the requester provides."""
    from app.pdf.gbt9704 import cn_number

    case = request.case
    who = request.requester_label or "破产管理人"
    code = f"（统一社会信用代码：{case.credit_code}）" if case.credit_code else ""
    text = [f"{case.enterprise_name}{code}破产一案（{case.case_number}），{who}依法调查债务人财产和负债状况，"
            f"申请查询下列信息。请你单位依职责协助查询，并将查询结果（可附查询结果文件）函复我办："]
    for index, line in enumerate(lines, start=1):
        item = line.item
        entry = f"{cn_number(index)}、{item.name}：{item.description or item.name}。"
        if line.note:
            entry += f"补充说明：{line.note}。"
        text.append(entry)
    needs = [COMMON_REQUIREMENTS] + sorted({line.item.requirements for line in lines if line.item.requirements})
    text.append("申请人提供的材料：" + "；".join(needs) + "（见函告附件）。")
    if request.reason:
        text.append(f"核查用途：{request.reason}")
    return "\n".join(text)


# --------------------------------------------------------------------------- what the requester follows

def request_matters(session, user, request: m.CoordinationRequest) -> list[m.Matter]:
    """The matters answering the request, as far as the reader's scope shows them."""
    ids = {request.matter_id} | {line.matter_id for line in request.lines}
    ids.discard(None)
    if not ids:
        return []
    query = scoped(session.query(m.Matter).filter(m.Matter.id.in_(ids)), m.Matter, user)
    return query.order_by(m.Matter.id).all()


def requests_of_matter(session, user, matter: m.Matter) -> list[m.CoordinationRequest]:
    """The requests a matter answers, as far as the reader may see them (its page links them)."""
    query = session.query(m.CoordinationRequest).options(lazyload(m.CoordinationRequest.suggested_units)).filter(or_(
        m.CoordinationRequest.matter_id == matter.id,
        m.CoordinationRequest.id.in_(select(m.CheckLine.request_id).where(m.CheckLine.matter_id == matter.id))))
    return scoped(query, m.CoordinationRequest, user).order_by(m.CoordinationRequest.id).all()


def reply_files(session, matters: Iterable[m.Matter]) -> dict[int, list[m.Attachment]]:
    """part id → the files of its reply (one query)."""
    from app.services import attachments

    return attachments.attachments_of(session, "matter_reply", [p.id for mt in matters for p in mt.assignments])


def on_matter_event(session, event: m.MatterEvent) -> None:
    """Every step of a matter that answers a request reaches its requester (notification bell)."""
    template = NOTIFIED_STEPS.get(event.action)
    matter = event.matter
    if template is None or matter is None or matter.id is None or session.info.get(_QUIET):
        return
    with session.no_autoflush:  # a step's own half-made rows are not this hook's business
        requests = list(session.execute(
            select(m.CoordinationRequest).options(lazyload("*")).where(or_(
                m.CoordinationRequest.matter_id == matter.id,
                m.CoordinationRequest.id.in_(select(m.CheckLine.request_id).where(m.CheckLine.matter_id == matter.id)))
            )).scalars())
        if not requests:
            return
        unit = event.unit.name if event.unit is not None else (
            session.get(m.Unit, event.unit_id).name if event.unit_id else "")
    what = template.format(units="、".join(p.unit.name for p in matter.assignments), unit=unit,
                           deadline=matter.deadline.isoformat() if matter.deadline else "")
    for request in requests:
        if request.requester_id:
            notify_user(session, request.requester_id,
                        f"您的{_name(request)}：协调事项{matter_service._name(matter)}{what}", link(request))


# --------------------------------------------------------------------------- the office's queue

def waiting_query(session, user):
    return scoped(session.query(m.CoordinationRequest).filter(m.CoordinationRequest.status == "submitted"),
                  m.CoordinationRequest, user)


def waiting_queue(session, user, limit: int = 10) -> tuple[dict[str, int], list[m.CoordinationRequest]]:
    """待审核 counts by kind and the oldest requests, in the reader's scope, in one statement.

    Each row carries its kind's count (a window); the first `limit` rows of every kind are read, so
    every kind that waits at all brings its count, and the oldest `limit` overall are among them.
    """
    ranked = waiting_query(session, user).add_columns(
        func.count().over(partition_by=m.CoordinationRequest.kind).label("kind_count"),
        func.row_number().over(partition_by=m.CoordinationRequest.kind,
                               order_by=(m.CoordinationRequest.submitted_at, m.CoordinationRequest.id)).label("rank"),
    ).subquery()
    request = aliased(m.CoordinationRequest, ranked)
    rows = session.query(request, ranked.c.kind_count).filter(ranked.c.rank <= limit) \
        .options(lazyload(request.suggested_units)).order_by(ranked.c.submitted_at, ranked.c.id).all()
    counts = {kind: 0 for kind in REQUEST_KIND_LABELS}
    counts.update({req.kind: int(n) for req, n in rows})
    return counts, [req for req, _ in rows][:limit]


def waiting_workdays(request: m.CoordinationRequest, on: Optional[dt.date] = None) -> int:
    """Working days the request has waited for the office (0 on the day it was filed)."""
    start = request.submitted_at.date()
    on = on or calendar.today()
    return max(0, calendar.work_calendar().workdays_between(start, on)) if on > start else 0


def my_requests(session, user, limit: int = 10) -> list[m.CoordinationRequest]:
    return scoped(session.query(m.CoordinationRequest).filter(m.CoordinationRequest.requester_id == user.id),
                  m.CoordinationRequest, user).order_by(m.CoordinationRequest.id.desc()).limit(limit).all()


def my_cases(session, user, limit: int = 20) -> list[m.Case]:
    """The cases assigned to the user (their 承办 / 管理 cases)."""
    if not sees_own_cases(user):
        return []
    query = session.query(m.Case).join(m.CaseAssignment, m.CaseAssignment.case_id == m.Case.id) \
        .filter(m.CaseAssignment.user_id == user.id)
    return scoped(query, m.Case, user).options(lazyload("*")).order_by(m.Case.id.desc()).limit(limit).all()


# --------------------------------------------------------------------------- case assignments

def check_assignment(session, assignment: m.CaseAssignment) -> None:
    """A user is put on a case only if their roles give them the 本人承办/管理的案件 scope, once."""
    with session.no_autoflush:  # the new row must not reach the database before it is checked
        _check_assignment(session, assignment)


def _check_assignment(session, assignment: m.CaseAssignment) -> None:
    from app.security.permissions import SCOPE_CASES, SCOPE_RESOURCE

    user = assignment.user if assignment.user is not None else (
        session.get(m.AppUser, assignment.user_id) if assignment.user_id else None)
    if user is None:
        raise BusinessError("请选择用户", 422)
    if not user.active:
        raise BusinessError(f"用户“{user.first_name}”已停用", 422)
    scoped_roles = [r for r in user.roles if any(pv.permission.name == SCOPE_CASES and pv.view_menu.name == SCOPE_RESOURCE
                                                 for pv in r.permissions)]
    if not scoped_roles:
        raise BusinessError(f"用户“{user.first_name}”的角色没有“本人承办/管理的案件”数据范围，"
                            f"请先在角色中授予（如承办法官、破产管理人）", 422)
    case_id = assignment.case_id or getattr(assignment.case, "id", None)
    twice = session.query(m.CaseAssignment.id).filter(
        m.CaseAssignment.case_id == case_id, m.CaseAssignment.user_id == user.id,
        m.CaseAssignment.id != (assignment.id or 0)).first()
    if twice:
        raise BusinessError(f"用户“{user.first_name}”已在本案件的承办人员中", 409)


def users_with_case_scope(session):
    """Users a case can be assigned to: active, with a role granting DataScope.can_own_cases."""
    from flask_appbuilder.security.sqla.models import Permission, PermissionView, Role, ViewMenu

    from app.security.permissions import SCOPE_ALL, SCOPE_CASES, SCOPE_RESOURCE

    def granted(permission):
        return m.AppUser.roles.any(Role.permissions.any(
            PermissionView.permission.has(Permission.name == permission)
            & PermissionView.view_menu.has(ViewMenu.name == SCOPE_RESOURCE)))

    # who sees every case anyway (the office, administrators of the system) is not offered
    return session.query(m.AppUser).filter(m.AppUser.active.is_(True), granted(SCOPE_CASES), ~granted(SCOPE_ALL)) \
        .order_by(m.AppUser.first_name)


def notify_assigned(session, assignment: m.CaseAssignment) -> None:
    case = assignment.case
    notify_user(session, assignment.user_id, f"您已被列为案件{case.case_number} {case.enterprise_name}的{assignment.role_label}",
                f"/caseview/show/{case.id}")


# --------------------------------------------------------------------------- 核查结果 (PDF data)

@dataclass
class ResultRow:
    line: m.CheckLine
    matter: Optional[m.Matter]
    part: Optional[m.MatterAssignment]
    files: list = field(default_factory=list)


def result_rows(session, user, requests: Iterable[m.CoordinationRequest]) -> list[ResultRow]:
    """Each item asked, with the answering unit's part of its matter as far as the reader sees it."""
    lines = [line for request in requests for line in request.lines]
    matter_ids = {line.matter_id for line in lines if line.matter_id}
    matters = {mt.id: mt for mt in scoped(session.query(m.Matter).filter(m.Matter.id.in_(matter_ids)), m.Matter, user)} \
        if matter_ids else {}
    parts = {}
    for matter in matters.values():
        for part in matter.assignments:
            parts[(matter.id, part.unit_id)] = part
    files = reply_files(session, matters.values())
    rows = []
    for line in lines:
        matter = matters.get(line.matter_id)
        part = parts.get((line.matter_id, line.unit_id)) if matter else None
        rows.append(ResultRow(line, matter, part, files.get(part.id, []) if part else []))
    return rows


def results_pdf(session, user, case: m.Case, requests: list[m.CoordinationRequest], pdf_font=None) -> bytes:
    """One 核查结果 document for the case: a summary table of every item, then each unit's answer."""
    from app.pdf.checks import CheckAnswer, CheckResultLine, CheckResultsData, build_check_results
    from app.pdf.gbt9704 import cn_date
    from app.services.letters import letterhead

    approved = [r for r in requests if r.kind == "check" and r.status == "accepted"]
    rows = result_rows(session, user, approved)
    if not rows:
        raise BusinessError("该案件还没有已批准的信息核查申请", 409)

    def status_of(row):
        if row.part is not None and row.part.status == "replied":
            return "已函复"
        return "未函告" if row.matter is None else f"{row.matter.status_label}（未函复）"

    lines, answers = [], {}
    for row in rows:
        part, matter = row.part, row.matter
        replied = status_of(row) == "已函复"
        lines.append(CheckResultLine(unit=row.line.unit.name, item=row.line.item.name, status=status_of(row),
                                     deadline=matter.deadline if matter else None,
                                     replied_on=part.replied_at.date() if replied and part.replied_at else None))
        key = row.line.matter_id or ("line", row.line.id)
        answer = answers.get(key)
        if answer is None:
            answer = answers[key] = CheckAnswer(
                unit=row.line.unit.name, items=[], status=status_of(row),
                letter_number=(matter.letter_number or "") if matter else "",
                answer=(part.reply_content or "") if replied else "", result=(part.reply_result or "") if replied else "",
                reply_number=(part.reply_number or "") if replied else "",
                replied_on=part.replied_at.date() if replied and part.replied_at else None,
                files=[f.filename for f in row.files])
        answer.items.append(row.line.item.name)
        if row.line.note:
            answer.notes.append(f"{row.line.item.name}：{row.line.note}")
    done = sum(1 for line in lines if line.status == "已函复")
    filed = sorted({r.submitted_at.date() for r in approved})
    who = "、".join(sorted({r.requester_label.replace(" ", "") for r in approved if r.requester_label})) or "破产管理人"
    intro = (f"{case.enterprise_name}破产一案，{who}于{'、'.join(cn_date(d) for d in filed)}申请信息核查，联动办公室批准后"
             f"向{len({a.unit for a in answers.values()})}个成员单位函告。共核查{len(lines)}项，已函复{done}项"
             + (f"，尚有{len(lines) - done}项未函复" if done < len(lines) else "") + "。各项结果汇总如下。")
    data = CheckResultsData(head=letterhead(), title=f"{case.enterprise_name}信息核查结果",
                            case_label=f"案号：{case.case_number}", date=calendar.today(), intro=intro, lines=lines,
                            answers=list(answers.values()))
    return build_check_results(data, pdf_font=pdf_font)


def case_requests(session, user, case: m.Case) -> list[m.CoordinationRequest]:
    """The case's requests of both kinds the reader may see, newest first."""
    return scoped(session.query(m.CoordinationRequest).filter(m.CoordinationRequest.case_id == case.id),
                  m.CoordinationRequest, user).order_by(m.CoordinationRequest.id.desc()).limit(100).all()


def case_check_requests(session, user, case: m.Case) -> list[m.CoordinationRequest]:
    return scoped(session.query(m.CoordinationRequest).filter(m.CoordinationRequest.case_id == case.id,
                                                              m.CoordinationRequest.kind == "check"),
                  m.CoordinationRequest, user).order_by(m.CoordinationRequest.id).all()

