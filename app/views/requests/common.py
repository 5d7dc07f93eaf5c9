"""协调申请与信息核查, what pages and API share: labels, the units and records a body names (in
scope), the request's summary and its rules."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _
from marshmallow import Schema, fields, validate

from app import models as m
from app.extensions import db
from app.models.requests import CASE_ROLE_LABELS, REQUEST_STATUS_LABELS
from app.security.scope import current_user, get_in_scope, scoped
from app.services import attachments as attachment_service
from app.services import matters as matter_service
from app.services import requests as svc
from app.services.errors import BusinessError, NotFound
from app.views.base import RecordRules
from app.views.labels import LABELS

REQUEST_LABELS = {**LABELS, "title": _("申请事项"), "needs": _("需要协调解决的问题"), "reason": _("申请理由和依据"),
                  "category": _("建议事项类别"), "suggested_units": _("建议承办单位"), "desired_date": _("希望办结日期"),
                  "requester_label": _("申请人"), "submitted_at": _("提交时间"), "decision_note": _("审核意见"),
                  "kind_label": _("类型"), "kind": _("类型"), "files": _("附件"), "matter": _("协调事项"),
                  "decided_at": _("审核时间"), "lines": _("核查事项")}
LINE_LABELS = {**LABELS, "request": _("信息核查申请"), "item": _("核查事项"), "note": _("补充说明"), "unit": _("查询单位"),
               "matter": _("协调事项")}
ITEM_LABELS = {**LABELS, "unit": _("查询单位"), "name": _("核查事项"), "description": _("查询内容"),
               "requirements": _("需提供的材料"), "deadline_workdays": _("办理期限（工作日）")}
ASSIGNMENT_LABELS = {**LABELS, "user": _("用户"), "role": _("案件角色"), "role_label": _("案件角色")}
RESOURCE = "CoordinationRequest"


def member_units():
    return scoped(db.session.query(m.Unit).filter(m.Unit.active.is_(True), m.Unit.kind != "office"),
                  m.Unit).order_by(m.Unit.sort_order, m.Unit.id)


def unit_list(values, label: str) -> list[m.Unit]:
    """Units named by id (a form's list or an API body's); unknown ids are refused."""
    if values in (None, "", []):
        return []
    if not isinstance(values, list):
        values = [values]
    try:
        ids = [int(v) for v in values if str(v).strip()]
    except (TypeError, ValueError):
        raise BusinessError(f"{label}应为单位编号", 422)
    units = {u.id: u for u in member_units().filter(m.Unit.id.in_(ids))}
    missing = [str(i) for i in ids if i not in units]
    if missing:
        raise BusinessError(f"{label}中的单位不存在：{'、'.join(missing)}", 422)
    return [units[i] for i in dict.fromkeys(ids)]


def one_in_scope(model, value, label: str, required: bool = False):
    """A related record named by id, in the user's scope (a hidden one is as absent as a missing one)."""
    if value in (None, ""):
        if required:
            raise BusinessError(f"请选择{label}", 422)
        return None
    try:
        return get_in_scope(db.session, model, value)
    except NotFound:
        raise BusinessError(f"{label}不存在或无权使用", 422)


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename=\"results.pdf\"; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def results_response(case: m.Case, requests: list[m.CoordinationRequest]) -> Response:
    data = svc.results_pdf(db.session, current_user(), case, requests, pdf_font=current_app.config.get("PDF_FONT"))
    return _pdf(data, f"{case.enterprise_name}信息核查结果.pdf")


def request_summary(req: m.CoordinationRequest, user=None) -> dict:
    """What the requester follows: status, the matters answering it and every unit's reply."""
    user = user or current_user()
    matters = svc.request_matters(db.session, user, req)
    files = svc.reply_files(db.session, matters)
    return {
        "id": req.id, "kind": req.kind, "kind_label": req.kind_label, "status": req.status,
        "status_label": req.status_label, "title": req.title, "case_id": req.case_id,
        "requester": req.requester_label, "submitted_at": req.submitted_at.isoformat(),
        "decided_at": req.decided_at.isoformat() if req.decided_at else None, "decision_note": req.decision_note,
        "lines": [{"id": line.id, "item_id": line.item_id, "item": line.item.name, "unit_id": line.unit_id,
                   "unit": line.unit.name, "note": line.note, "matter_id": line.matter_id} for line in req.lines],
        "attachments": [file_json(f) for f in attachment_service.attachments_for(db.session, "request", req.id)],
        "matters": [{
            "id": mt.id, "title": mt.title, "letter_number": mt.letter_number, "status": mt.status,
            "status_label": mt.status_label, "deadline": mt.deadline.isoformat() if mt.deadline else None,
            "alert": matter_service.alert_of(mt),
            "parts": [{"unit_id": p.unit_id, "unit": p.unit.name, "role": p.role, "status": p.status,
                       "status_label": p.status_label, "replied_at": p.replied_at.isoformat() if p.replied_at else None,
                       "reply_content": p.reply_content if p.status == "replied" else None,
                       "reply_result": p.reply_result if p.status == "replied" else None,
                       "reply_number": p.reply_number if p.status == "replied" else None,
                       "attachments": [file_json(f) for f in files.get(p.id, [])]} for p in mt.assignments],
        } for mt in matters],
    }


def file_json(f: m.Attachment) -> dict:
    return {"id": f.id, "filename": f.filename, "size": f.size, "url": f"/api/v1/request/attachment/{f.id}"}


# --------------------------------------------------------------------------- shared rules

class RequestRules(RecordRules):
    required_columns = ("title", "needs")

    def rules(self, item):
        from app.services import calendar

        if item.desired_date is not None and item.desired_date < calendar.today():
            raise BusinessError("希望办结日期不能早于今天", 422)

    def check_update(self, item):
        svc.check_own_request(item, current_user())

    def check_delete(self, item):
        svc.check_own_request(item, current_user())


class LineRules(RecordRules):
    """Only the requester (or someone who sees every unit) changes a request's items; the rulebook
    freezes them once the office has decided."""

    def _own(self, item):
        parent = item.request if item.request is not None else (
            db.session.get(m.CoordinationRequest, item.request_id) if item.request_id else None)
        if parent is None:
            raise BusinessError("请选择信息核查申请", 422)
        with db.session.no_autoflush:
            try:
                get_in_scope(db.session, m.CoordinationRequest, parent.id)
            except NotFound:
                raise BusinessError("信息核查申请不存在或无权使用", 422)
        svc.check_own_request(parent, current_user())

    check_add = check_update = check_delete = _own


class ItemRules(RecordRules):
    required_columns = ("name",)

    def rules(self, item):
        if item.deadline_workdays is None or not 1 <= int(item.deadline_workdays) <= 60:
            raise BusinessError("办理期限应为 1–60 个工作日", 422)

    def check_delete(self, item):
        if db.session.query(m.CheckLine.id).filter(m.CheckLine.item_id == item.id).first():
            raise BusinessError("该核查事项已被申请使用，不能删除；不再使用时请取消“启用”", 409)


class AssignmentRules(RecordRules):
    choice_columns = {"role": CASE_ROLE_LABELS}

    def rules(self, item):
        svc.check_assignment(db.session, item)


class CaseScopeUsers(BaseFilter):
    """Users whose roles give them the 本人承办/管理的案件 scope (the choices of a case assignment)."""

    name = "可承办案件的用户"
    arg_name = "case_users"

    def apply(self, query, value):
        return query.filter(m.AppUser.id.in_(svc.users_with_case_scope(db.session).with_entities(m.AppUser.id)))


CASE_USERS = [["id", CaseScopeUsers, None]]




class RequestSummary(Schema):
    """What a request's step answers (`request_summary`): status, the matters answering it, replies."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "coordination 协调申请 / check 信息核查"})
    kind_label = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(list(REQUEST_STATUS_LABELS)))
    status_label = fields.String(required=True)
    title = fields.String(required=True)
    case_id = fields.Integer(required=True)
    requester = fields.String(required=True, metadata={"description": "申请人"})
    submitted_at = fields.String(required=True)
    decided_at = fields.String(allow_none=True)
    decision_note = fields.String(allow_none=True, metadata={"description": "审核意见或理由"})
    lines = fields.List(fields.Dict(), metadata={"description": "核查事项（信息核查）"})
    attachments = fields.List(fields.Dict(), metadata={"description": "附件：id、filename、size、url"})
    matters = fields.List(fields.Dict(), metadata={"description": "办理该申请的协调事项及各单位的函复"})
