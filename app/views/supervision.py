"""督促推进机制: matters (协调事项), their letters, replies, extensions and reminders.

Pages and API call the same services (app.services.matters); the page and the API endpoint of a
step share one permission name on the resource "Matter" (send → can_send, 退回 → can_return …).
Every record is fetched through the row-level scope first: another unit's matter answers 404.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, current_app, flash, g, jsonify, redirect, request
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.const import API_RESULT_RES_KEY
from flask_appbuilder.fields import QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import DatePickerWidget, Select2ManyWidget
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.widgets import ListWidget
from flask_babel import lazy_gettext as _
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import DateField, validators

from app import models as m
from app.extensions import db
from app.models.supervision import MATTER_SOURCE_LABELS, MATTER_STATUS_LABELS, OPEN_MATTER_STATUSES
from app.security.scope import SCOPE_FILTER, ensure_in_scope, get_in_scope, scoped
from app.services import attachments as attachment_service
from app.services import calendar
from app.services import matters as svc
from app.services import requests as request_service
from app.services.errors import BusinessError, NotFound, StaleEdit
from app.services.validation import check_date_order
from app.views import add_link, add_view
from app.views.base import RecordRules, ScopedApi, ScopedModelView, api_database_error, api_error, commit_step
from app.views.openapi import LOCAL_TIME
from app.views.steps import Step, StepBody, day, safe_next, text

ALERT_CLASSES = {"none": "", "near": "alert-near", "overdue": "alert-overdue", "escalated": "alert-escalated"}
STATUS_BY_LABEL = {label: code for code, label in MATTER_STATUS_LABELS.items()}


def _units_query():
    """Member units a matter can go to (not the office itself), in the user's scope."""
    return scoped(db.session.query(m.Unit).filter(m.Unit.active.is_(True), m.Unit.kind != "office"),
                  m.Unit).order_by(m.Unit.sort_order, m.Unit.id)


def _unit_ids(values, label: str = "配合单位") -> list[m.Unit]:
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


# --------------------------------------------------------------------------- workflow steps
# One declaration per step: the page form and the API body are read by the same schema.

class NoteBody(StepBody):
    note = text("备注")


class ReplyBody(StepBody):
    content = text("函复内容", required=True, limit=10000)
    result = text("办理结果", limit=200)
    number = text("复函文号", limit=60)


class CloseBody(StepBody):
    note = text("办结意见")


class ReturnBody(StepBody):
    reason = text("退回理由", required=True)


class CancelBody(StepBody):
    reason = text("撤销理由", required=True)


class RemindBody(StepBody):
    note = text("催办意见")


class ExtendBody(StepBody):
    deadline = day("申请的办理期限", required=True)
    reason = text("延期理由", required=True)


class ApproveExtensionBody(StepBody):
    deadline = day("新的办理期限")
    note = text("审批意见")


class RefuseExtensionBody(StepBody):
    note = text("不同意的理由", required=True)


MATTER_STEPS = {
    "send": Step(svc.send_matter, "已函告，函告文号已生成", NoteBody, "函告拟办事项：编函告文号并通知承办单位"),
    "sign": Step(svc.sign_matter, "已签收", summary="签收本单位承办的部分"),
    "start": Step(svc.start_matter, "已标记为办理中", summary="牵头单位开始办理（可选）"),
    "reply": Step(svc.reply_matter, "已函复", ReplyBody, "函复本单位承办的部分；附件以 multipart 的 files 上传",
                  files="files"),
    "close": Step(svc.close_matter, "已办结", CloseBody, "办结已函复的事项"),
    "send_back": Step(svc.return_matter, "已退回承办单位", ReturnBody, "退回牵头单位的函复，事项重回办理中"),
    "cancel": Step(svc.cancel_matter, "已撤销（记录保留）", CancelBody, "撤销事项（记录保留）"),
    "remind": Step(svc.remind_matter, "已催办", RemindBody, "催办尚未函复的单位"),
    "extend": Step(svc.request_extension, "延期申请已提交，等待联动办公室审批", ExtendBody, "在办理期限前申请延期"),
    "extension_approve": Step(svc.approve_extension, "已同意延期", ApproveExtensionBody,
                              "同意延期；不填新期限时为申请的期限"),
    "extension_refuse": Step(svc.refuse_extension, "已不同意延期", RefuseExtensionBody, "不同意延期"),
}


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


# --------------------------------------------------------------------------- pages

class MatterListWidget(ListWidget):
    """FAB's list with a deadline-alert column and the row coloured by it."""

    template = "supervision/matter_list_widget.html"


PAGE_ROWS = 50          # rows per page of the inbox and the 督办台
ESCALATED_SHOWN = 20    # the 督办台's 严重逾期 panel lists the first ones, with the total


def _page(total: int) -> tuple[int, int]:
    """The requested page (?page=), clamped to the pages that `total` rows fill."""
    pages = max(1, (total + PAGE_ROWS - 1) // PAGE_ROWS)
    page = request.args.get("page", 1, type=int) or 1
    return min(max(1, page), pages), pages


def _list_alert(deadline, status_label) -> str:
    status = STATUS_BY_LABEL.get(str(status_label), status_label)
    return calendar.alert_for(deadline, status not in OPEN_MATTER_STATUSES)


class MatterView(MatterRules, ScopedModelView):
    route_base = "/matter"
    datamodel = SQLAInterface(m.Matter)
    class_permission_name = "Matter"
    list_title = show_title = _("协调事项")
    add_title = _("拟办协调事项")
    edit_title = _("编辑协调事项（拟办）")
    list_widget = MatterListWidget
    list_columns = ["letter_number", "title", "lead_unit", "deadline", "status_label", "case"]
    search_columns = ["title", "letter_number", "status", "lead_unit", "category", "deadline", "case"]
    add_columns = edit_columns = ["title", "category", "lead_unit", "co_unit_list", "source", "case", "content",
                                  "assigned_date", "deadline", "contact_name", "contact_phone"]
    order_columns = ["letter_number", "deadline", "title"]
    base_order = ("id", "desc")
    steps = MATTER_STEPS
    add_template = "supervision/matter_add.html"
    show_template = "supervision/matter_show.html"
    formatters_columns = {"letter_number": lambda value: value or "（拟办，未编号）"}
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "lead_unit": [["kind", FilterNotEqual, "office"], ["active", FilterEqual, True]] + SCOPE_FILTER}
    description_columns = {"lead_unit": "选择事项类别后，按成员单位职责自动建议牵头和配合单位，可修改",
                           "deadline": "默认为若干个工作日后（系统设置“默认办理期限”）"}

    def _init_forms(self):
        extra = {"co_unit_list": QuerySelectMultipleField(
            _("配合单位"), query_func=_units_query, get_label=lambda u: u.name, get_pk_func=lambda u: u.id,
            widget=Select2ManyWidget(), validators=[validators.Optional()])}
        self.add_form_extra_fields = {**(self.add_form_extra_fields or {}), **extra, "deadline": DateField(
            _("办理期限"), format="%Y-%m-%d", default=svc.default_deadline, widget=DatePickerWidget(),
            validators=[validators.Optional()])}
        self.edit_form_extra_fields = {**(self.edit_form_extra_fields or {}), **extra}
        super()._init_forms()
        # most matters are the office's own: 联动办公室交办 is the stated default (a source, not a unit to send to)
        if hasattr(self.add_form, "source"):
            self.add_form.source.kwargs["default"] = "office"

    # --- add / edit through the service ---------------------------------------------------
    def pre_add(self, item):
        units = list(getattr(item, "co_unit_list", None) or [])
        self.validate(item)
        svc.create_matter(db.session, g.user, matter=item, title=item.title, lead_unit=item.lead_unit,
                          co_units=units, content=item.content, deadline=item.deadline, category=item.category,
                          case=item.case, source=item.source, assigned_date=item.assigned_date,
                          contact_name=item.contact_name, contact_phone=item.contact_phone)
        ensure_in_scope(db.session, item)

    def post_add(self, item):
        g.added_matter_id = item.id

    def post_add_redirect(self):
        """After 拟办, open the new matter: the office sends it from there."""
        if g.get("added_matter_id"):
            return redirect(f"/matter/show/{g.added_matter_id}")
        return super().post_add_redirect()

    def pre_update(self, item):
        super().pre_update(item)
        units = list(getattr(item, "co_unit_list", None) or [])
        svc.set_units(db.session, item, item.lead_unit, units)
        svc.add_event(db.session, item, g.user, "edit", "修改拟办事项")

    def prefill_form(self, form, pk):
        super().prefill_form(form, pk)
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None and hasattr(form, "co_unit_list"):
            form.co_unit_list.data = item.co_units

    def _matter_or_404(self, pk) -> m.Matter:
        try:
            return get_in_scope(db.session, m.Matter, pk)
        except NotFound:
            abort(404)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        matter = self._matter_or_404(pk)
        if matter.status != "draft":
            flash("事项已函告，不能直接修改；请通过延期、退回等办理流程变更", "warning")
            return redirect(f"/matter/show/{matter.id}")
        return super().edit(pk)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        matter = self._matter_or_404(pk)
        user = g.user
        ctx = svc.AlertContext()
        parts = matter.assignments
        files, letter_files = attachment_service.matter_files(db.session, matter)
        reminders = scoped(db.session.query(m.Reminder).filter(m.Reminder.matter_id == matter.id), m.Reminder) \
            .order_by(m.Reminder.id.desc()).limit(50).all()
        unit_names = {p.unit_id: p.unit.name for p in parts}
        # the timeline names people (王科员), not their sign-in names (office1)
        user_ids = {e.user_id for e in matter.events if e.user_id}
        people = {uid: name for uid, name in db.session.query(m.AppUser.id, m.AppUser.first_name)
                  .filter(m.AppUser.id.in_(user_ids))} if user_ids else {}
        return self.render_template(
            self.show_template, pk=matter.id, title=matter.title, matter=matter, parts=parts, files=files,
            alert=ctx.of_matter(matter), part_alerts={p.id: ctx.of_part(p) for p in parts},
            actions=svc.allowed_actions(matter, user), my_part=svc.part_of(matter, getattr(user, "unit_id", None)),
            events=matter.events, event_labels=svc.EVENT_LABELS, people=people, extensions=matter.extension_requests,
            pending=svc.pending_extension(matter), reminders=reminders, unit_names=unit_names,
            alert_classes=ALERT_CLASSES, human_size=attachment_service.human_size,
            overdue_days=ctx.overdue_workdays(matter.deadline) if matter.deadline else 0,
            today=ctx.today, can_letter=self.appbuilder.sm.has_access("can_letter", "Matter"),
            can_reply_letter=self.appbuilder.sm.has_access("can_reply_letter", "Matter"),
            letter_files=letter_files, source_requests=request_service.requests_of_matter(db.session, user, matter)
            if any(e.action == "request" for e in matter.events) else [])

    # --- workflow steps (POST from the show page, the inbox and the 督办台) ------------------
    @expose("/send/<int:pk>", methods=["POST"])
    @has_access
    def send(self, pk):
        return self.page_step(pk, "send")

    @expose("/sign/<int:pk>", methods=["POST"])
    @has_access
    def sign(self, pk):
        return self.page_step(pk, "sign")

    @expose("/start/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("reply")
    def start(self, pk):
        return self.page_step(pk, "start")

    @expose("/reply/<int:pk>", methods=["POST"])
    @has_access
    def reply(self, pk):
        return self.page_step(pk, "reply")

    @expose("/close/<int:pk>", methods=["POST"])
    @has_access
    def close(self, pk):
        return self.page_step(pk, "close")

    @expose("/return/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("return")
    def send_back(self, pk):
        return self.page_step(pk, "send_back")

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel(self, pk):
        return self.page_step(pk, "cancel")

    @expose("/remind/<int:pk>", methods=["POST"])
    @has_access
    def remind(self, pk):
        return self.page_step(pk, "remind")

    @expose("/remind_many", methods=["POST"])
    @has_access
    @permission_name("remind")
    def remind_many(self):
        """Bulk 催办 from the 督办台: every selected matter must be visible, or nothing happens."""
        pks = request.form.getlist("rowid")
        matters = [self._matter_or_404(pk) for pk in pks]
        try:
            note = MATTER_STEPS["remind"].read().get("note")
            count = svc.remind_many(db.session, matters, g.user, note)
            commit_step()
            flash(f"已催办{len(matters)}个事项，共{count}个单位", "success")
        except BusinessError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return redirect(safe_next("/matter/supervise"))

    @expose("/extend/<int:pk>", methods=["POST"])
    @has_access
    def extend(self, pk):
        return self.page_step(pk, "extend")

    @expose("/extension_approve/<int:pk>", methods=["POST"])
    @has_access
    def extension_approve(self, pk):
        return self.page_step(pk, "extension_approve")

    @expose("/extension_refuse/<int:pk>", methods=["POST"])
    @has_access
    def extension_refuse(self, pk):
        return self.page_step(pk, "extension_refuse")

    # --- documents and helpers ----------------------------------------------------------------
    @expose("/letter/<int:pk>")
    @has_access
    def letter(self, pk):
        return letter_pdf(self._matter_or_404(pk))

    @expose("/reply_letter/<int:pk>")
    @has_access
    def reply_letter(self, pk):
        matter = self._matter_or_404(pk)
        try:
            return reply_pdf(matter, reply_part(matter, request.args.get("unit_id")))
        except BusinessError as exc:
            flash(exc.message, "warning")
            return redirect(f"/matter/show/{matter.id}")

    @expose("/choices")
    @has_access
    @permission_name("list")
    def choices(self):
        """Matters for a searchable select (文号 or 标题 contains ?q=), the user's scope, newest first."""
        from app.views.forms import remote_choices

        return remote_choices(m.Matter, ("letter_number", "title"), (m.Matter.id.desc(),))

    @expose("/suggest")
    @has_access
    def suggest(self):
        """JSON for the add form: lead and co-units suggested by the category."""
        try:
            return jsonify(suggestion(request.args.get("category_id")))
        except NotFound as exc:
            return jsonify(message=exc.message), 404

    # --- workbenches --------------------------------------------------------------------------
    @expose("/inbox")
    @has_access
    def inbox(self):
        """本单位待办: the unit's open parts, most urgent first, a page at a time."""
        total = svc.count_unit_inbox(db.session, g.user)
        page, pages = _page(total)
        rows = svc.unit_inbox(db.session, g.user, limit=PAGE_ROWS, offset=(page - 1) * PAGE_ROWS)
        return self.render_template("supervision/inbox.html", title="本单位待办", rows=rows, total=total,
                                    page=page, pages=pages, alert_classes=ALERT_CLASSES, today=calendar.today(),
                                    unit=getattr(g.user, "unit", None))

    @expose("/supervise")
    @has_access
    def supervise(self):
        """督办台: all open matters by unit, status and alert; bulk 催办; per-unit counts."""
        def arg_int(name):
            value = request.args.get(name, "")
            return int(value) if value.isdigit() else None

        status = request.args.get("status") or None
        alert = request.args.get("alert") or None
        page = max(1, arg_int("page") or 1)
        data = svc.board(db.session, g.user, unit_id=arg_int("unit_id"), status=status, alert=alert,
                         limit=PAGE_ROWS, offset=(page - 1) * PAGE_ROWS)
        clamped, pages = _page(data["total"])
        if clamped != page:  # past the last page: show the last one
            page = clamped
            data = svc.board(db.session, g.user, unit_id=arg_int("unit_id"), status=status, alert=alert,
                             limit=PAGE_ROWS, offset=(page - 1) * PAGE_ROWS)
        args = {k: v for k, v in (("unit_id", arg_int("unit_id")), ("status", status), ("alert", alert)) if v}
        return self.render_template(
            "supervision/board.html", title="督办台", data=data, alert_classes=ALERT_CLASSES,
            units=_units_query().all(), status=status, alert=alert, unit_id=arg_int("unit_id"),
            statuses=[(s, MATTER_STATUS_LABELS[s]) for s in svc.BOARD_STATUSES],
            alerts=[(k, v) for k, v in calendar.ALERT_LABELS.items() if k != "none"],
            can_remind=self.appbuilder.sm.has_access("can_remind", "Matter"),
            escalated=svc.escalated_matters(db.session, g.user, limit=ESCALATED_SHOWN),
            escalated_total=data["escalated_total"], page=page, pages=pages,
            page_args=args)


# --------------------------------------------------------------------------- API

class MatterApi(MatterRules, ScopedApi):
    resource_name = "item"
    datamodel = SQLAInterface(m.Matter)
    class_permission_name = "Matter"
    list_columns = ["id", "letter_number", "title", "status", "lead_unit.id", "case.id", "category.id",
                    "assigned_date", "deadline", "sent_at", "replied_at", "closed_at"]
    show_columns = list_columns + ["content", "source", "contact_name", "contact_phone", "decision.id",
                                   "group.id", "version_id", "cancel_reason"]
    add_columns = edit_columns = ["title", "category", "source", "case", "lead_unit", "content",
                                  "assigned_date", "deadline", "contact_name", "contact_phone"]
    search_columns = ["title", "status", "lead_unit", "deadline", "case"]
    order_columns = ["id", "deadline", "assigned_date", "status"]
    base_order = ("id", "desc")
    # FAB's API collects permissions from this map, not from @permission_name
    method_permission_name = {**ScopedApi.method_permission_name, "send_back": "return", "start": "reply",
                              "parts": "show"}
    steps = MATTER_STEPS
    step_result_schema = write_result_extra = MatterSummary
    extra_write_fields = {"co_units": lambda: fields.List(fields.Integer(validate=validate.Range(min=1)), metadata={
        "description": "配合单位（单位编号的列表，须存在且在您的范围内，可选值同牵头单位）"})}

    # --- create / edit with co-units --------------------------------------------------------
    def _json_body(self):
        if not request.is_json or not isinstance(request.get_json(silent=True), dict):
            return None
        return dict(request.get_json())

    def post_headless(self):
        body = self._json_body()
        if body is None:
            return self.response_400(message="请求体必须是 JSON 对象")
        try:
            co_units = _unit_ids(body.pop("co_units", None))
            self._refuse_foreign_relations(body, self.add_columns)
            item = self.add_model_schema.load(body)
            self.validate(item)
            svc.create_matter(db.session, g.user, matter=item, title=item.title, lead_unit=item.lead_unit,
                              co_units=co_units, content=item.content, deadline=item.deadline,
                              category=item.category, case=item.case, source=item.source,
                              assigned_date=item.assigned_date, contact_name=item.contact_name,
                              contact_phone=item.contact_phone)
            ensure_in_scope(db.session, item)
            db.session.commit()
        except ValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.messages)
        except BusinessError as exc:
            return api_error(self, exc)
        except SQLAlchemyError as exc:
            return api_database_error(self, exc)
        return self.response(201, **{API_RESULT_RES_KEY: {**self.add_model_schema.dump(item, many=False),
                                                          **matter_summary(item)}, "id": item.id})

    def put_headless(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        body = self._json_body()
        if body is None:
            return self.response_400(message="请求体必须是 JSON 对象")
        if not item:
            return self.response_404()
        submitted_version = body.pop("version_id", None)
        has_units = "co_units" in body
        try:
            from app.views.base import check_lock_version

            co_units = _unit_ids(body.pop("co_units", None))
            check_lock_version(item, submitted_version)
            self.check_update(item)
            self._refuse_foreign_relations(body, self.edit_columns)
            data = self._merge_update_item(item, body)
            item = self.edit_model_schema.load(data, instance=item)
            self.validate(item)
            svc.set_units(db.session, item, item.lead_unit, co_units if has_units else item.co_units)
            svc.add_event(db.session, item, g.user, "edit", "修改拟办事项")
            ensure_in_scope(db.session, item)
            db.session.commit()
        except ValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.messages)
        except BusinessError as exc:
            return api_error(self, exc)
        except StaleDataError:
            return api_error(self, StaleEdit())
        except SQLAlchemyError as exc:
            return api_database_error(self, exc)
        return self.response(200, **{API_RESULT_RES_KEY: {**self.edit_model_schema.dump(item, many=False),
                                                          **matter_summary(item)}})

    # --- workflow --------------------------------------------------------------------------
    def step_result(self, record, result) -> dict:
        return matter_summary(record)

    @expose("/<int:pk>/send", methods=["POST"])
    @protect()
    @safe
    def send(self, pk):
        """函告 a draft matter: number the letter and notify the units."""
        return self.api_step(pk, "send")

    @expose("/<int:pk>/sign", methods=["POST"])
    @protect()
    @safe
    def sign(self, pk):
        """签收 the current user's unit's part."""
        return self.api_step(pk, "sign")

    @expose("/<int:pk>/start", methods=["POST"])
    @protect()
    @safe
    @permission_name("reply")
    def start(self, pk):
        """开始办理 (lead unit, optional)."""
        return self.api_step(pk, "start")

    @expose("/<int:pk>/reply", methods=["POST"])
    @protect()
    @safe
    def reply(self, pk):
        """函复 {"content", "result"?, "number"?}; multipart with `files` for attachments."""
        return self.api_step(pk, "reply")

    @expose("/<int:pk>/close", methods=["POST"])
    @protect()
    @safe
    def close(self, pk):
        """办结 a replied matter."""
        return self.api_step(pk, "close")

    @expose("/<int:pk>/return", methods=["POST"])
    @protect()
    @safe
    @permission_name("return")
    def send_back(self, pk):
        """退回 {"reason"}: the lead's reply goes back, the matter is in progress again."""
        return self.api_step(pk, "send_back")

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    def cancel(self, pk):
        """撤销 {"reason"}: the record is kept."""
        return self.api_step(pk, "cancel")

    @expose("/<int:pk>/remind", methods=["POST"])
    @protect()
    @safe
    def remind(self, pk):
        """催办 {"note"?}: every unit whose part is not replied."""
        return self.api_step(pk, "remind")

    @expose("/<int:pk>/extend", methods=["POST"])
    @protect()
    @safe
    def extend(self, pk):
        """申请延期 {"deadline", "reason"} before the deadline."""
        return self.api_step(pk, "extend")

    @expose("/<int:pk>/extension/approve", methods=["POST"])
    @protect()
    @safe
    def extension_approve(self, pk):
        """同意延期 {"deadline"?, "note"?}."""
        return self.api_step(pk, "extension_approve")

    @expose("/<int:pk>/extension/refuse", methods=["POST"])
    @protect()
    @safe
    def extension_refuse(self, pk):
        """不同意延期 {"note"}."""
        return self.api_step(pk, "extension_refuse")

    @expose("/<int:pk>/letter", methods=["GET"])
    @protect()
    @safe
    def letter(self, pk):
        """函告 PDF (GB/T 9704 信函格式)."""
        try:
            return letter_pdf(get_in_scope(db.session, m.Matter, pk))
        except NotFound:
            return self.response_404()

    @expose("/<int:pk>/reply-letter", methods=["GET"])
    @protect()
    @safe
    def reply_letter(self, pk):
        """函复 PDF of the lead unit's reply, or of `?unit_id=` (a co-unit's)."""
        try:
            matter = get_in_scope(db.session, m.Matter, pk)
            return reply_pdf(matter, reply_part(matter, request.args.get("unit_id")))
        except NotFound:
            return self.response_404()
        except BusinessError as exc:
            return self.response(exc.status_code, message=exc.message)

    @expose("/suggest", methods=["GET"])
    @protect()
    @safe
    def suggest(self):
        """Suggested lead and co-units for `?category_id=` (from the responsibilities map)."""
        try:
            return self.response(200, **suggestion(request.args.get("category_id")))
        except NotFound:
            return self.response_404()

    @expose("/<int:pk>/parts", methods=["GET"])
    @protect()
    @safe
    @permission_name("show")
    def parts(self, pk):
        """Each unit's part (签收/函复), the alert and the timeline of a matter."""
        try:
            matter = get_in_scope(db.session, m.Matter, pk)
        except NotFound:
            return self.response_404()
        summary = matter_summary(matter)
        summary["events"] = [{"at": e.at.isoformat(), "action": e.action, "label": svc.EVENT_LABELS.get(e.action, e.action),
                              "user": e.username, "unit_id": e.unit_id, "note": e.note} for e in matter.events]
        return self.response(200, result=summary)


def register(appbuilder):
    from app.views import attachments

    add_view(appbuilder, MatterView, "协调事项", "督促推进", icon="fa-tasks")
    add_link(appbuilder, "本单位待办", "/matter/inbox", "督促推进", "Matter", "can_inbox", icon="fa-inbox")
    add_link(appbuilder, "督办台", "/matter/supervise", "督促推进", "Matter", "can_supervise", icon="fa-bullhorn")
    appbuilder.add_api(MatterApi)
    attachments.register(appbuilder)
    current_app.jinja_env.globals["matter_list_alert"] = _list_alert
    current_app.jinja_env.globals["matter_alert_classes"] = ALERT_CLASSES
