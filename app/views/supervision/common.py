"""督促推进机制, what its pages and API share: the matter's rules, its summary, its letters as PDFs,
and the units named in a body."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app
from marshmallow import Schema, fields, validate

from app import models as m
from app.extensions import db
from app.models.supervision import MATTER_SOURCE_LABELS, MATTER_STATUS_LABELS
from app.security.scope import get_in_scope, scoped
from app.services import matters as svc
from app.services.errors import BusinessError, NotFound
from app.services.validation import check_date_order
from app.views.base import RecordRules
from app.views.openapi import LOCAL_TIME

ALERT_CLASSES = {"none": "", "near": "alert-near", "overdue": "alert-overdue", "escalated": "alert-escalated"}
STATUS_BY_LABEL = {label: code for code, label in MATTER_STATUS_LABELS.items()}


def units_query():
    """Member units a matter can go to (not the office itself), in the user's scope."""
    return scoped(db.session.query(m.Unit).filter(m.Unit.active.is_(True), m.Unit.kind != "office"),
                  m.Unit).order_by(m.Unit.sort_order, m.Unit.id)


def units_by_id(values, label: str = "配合单位") -> list[m.Unit]:
    """Units named by id in an API body; unknown or invisible ids are refused (422)."""
    if values in (None, ""):
        return []
    if not isinstance(values, list):
        raise BusinessError(f"{label}应为单位编号列表", 422)
    try:
        ids = [int(v) for v in values]
    except (TypeError, ValueError):
        raise BusinessError(f"{label}应为单位编号列表", 422)
    units = {u.id: u for u in scoped(db.session.query(m.Unit).filter(m.Unit.id.in_(ids)), m.Unit)}
    missing = [str(i) for i in ids if i not in units]
    if missing:
        raise BusinessError(f"{label}中的单位不存在：{'、'.join(missing)}", 422)
    return [units[i] for i in dict.fromkeys(ids)]


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename=\"letter.pdf\"; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def letter_pdf(matter: m.Matter) -> Response:
    from app.pdf import build_letter

    data = build_letter(svc.letter_data(matter), pdf_font=current_app.config.get("PDF_FONT"))
    return _pdf(data, f"{matter.letter_number or '函告（拟）'}.pdf")


def reply_part(matter: m.Matter, unit_id) -> m.MatterAssignment:
    if unit_id in (None, ""):
        part = svc.lead_part(matter)
    else:
        try:
            part = svc.part_of(matter, int(unit_id))
        except (TypeError, ValueError):
            part = None
    if part is None:
        raise NotFound("该单位不是本事项的承办单位")
    return part


def reply_pdf(matter: m.Matter, part: m.MatterAssignment) -> Response:
    from app.pdf import build_reply_letter

    data = build_reply_letter(svc.reply_data(db.session, matter, part), pdf_font=current_app.config.get("PDF_FONT"))
    return _pdf(data, f"{part.unit.name}函复.pdf")


def suggestion(category_id) -> dict:
    category = get_in_scope(db.session, m.Category, category_id)
    lead, co = svc.suggest_units(category)
    return {"category": category.name,
            "lead_unit": {"id": lead.id, "name": lead.name} if lead else None,
            "co_units": [{"id": u.id, "name": u.name} for u in co]}


class PartSummary(Schema):
    unit_id = fields.Integer(required=True)
    unit = fields.String(required=True, metadata={"description": "单位"})
    role = fields.String(required=True, metadata={"description": "lead 牵头 / co 配合"})
    status = fields.String(required=True, metadata={"description": "pending 待签收 / signed 已签收 / replied 已函复"})
    signed_at = fields.String(allow_none=True, metadata={"description": "签收时间（北京时间）", "pattern": LOCAL_TIME})
    replied_at = fields.String(allow_none=True, metadata={"description": "函复时间（北京时间）", "pattern": LOCAL_TIME})
    reply_result = fields.String(allow_none=True, metadata={"description": "办理结果"})


class MatterSummary(Schema):
    """What a step answers about the matter (`matter_summary`)."""

    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(list(MATTER_STATUS_LABELS)))
    status_label = fields.String(required=True)
    letter_number = fields.String(allow_none=True, metadata={"description": "函告文号"})
    deadline = fields.Date(allow_none=True, metadata={"description": "办理期限"})
    alert = fields.String(required=True, metadata={"description": "预警：none / near / overdue / escalated"})
    assignments = fields.List(fields.Nested(PartSummary), required=True)


def matter_summary(matter: m.Matter) -> dict:
    return {"id": matter.id, "status": matter.status, "status_label": matter.status_label,
            "letter_number": matter.letter_number,
            "deadline": matter.deadline.isoformat() if matter.deadline else None,
            "alert": svc.alert_of(matter),
            "assignments": [{"unit_id": a.unit_id, "unit": a.unit.name, "role": a.role, "status": a.status,
                             "signed_at": a.signed_at.isoformat() if a.signed_at else None,
                             "replied_at": a.replied_at.isoformat() if a.replied_at else None,
                             "reply_result": a.reply_result} for a in matter.assignments]}




# --------------------------------------------------------------------------- shared rules

class MatterRules(RecordRules):
    choice_columns = {"source": MATTER_SOURCE_LABELS}
    required_columns = ("title",)

    def rules(self, item):
        check_date_order(item.assigned_date, item.deadline, "办理期限不能早于交办日期")

    def check_update(self, item):
        svc.check_editable(item)

    def check_delete(self, item):
        if item.status != "draft":
            raise BusinessError("已函告的事项不能删除，只能撤销（撤销后仍保留记录）", 409)
