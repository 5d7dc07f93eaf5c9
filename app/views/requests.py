"""协调申请与信息核查 (issue 14): pages and API of requests, their check items, the catalogue of
standard items, and the case ↔ user assignments (承办法官 / 破产管理人).

Every step calls app.services.requests; every record is fetched through the row-level scope first
(another case's request answers 404). A step's page form and its API endpoint share one permission
name on the resource "CoordinationRequest" (受理 → can_accept, 并入 → can_merge …).
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, current_app, flash, g, redirect, request, send_file
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _
from sqlalchemy.exc import SQLAlchemyError
from marshmallow import Schema, fields, validate
from wtforms import MultipleFileField, validators

from app import models as m
from app.extensions import db
from app.models.requests import CASE_ROLE_LABELS, REQUEST_KIND_LABELS, REQUEST_STATUS_LABELS
from app.security.scope import SCOPE_FILTER, current_user, ensure_in_scope, get_in_scope, scoped
from app.services import attachments as attachment_service
from app.services import matters as matter_service
from app.services import requests as svc
from app.services.errors import BusinessError, NotFound
from app.views import add_link, add_view
from app.views.base import (API_PERMISSIONS, PAGE_PERMISSIONS, RecordRules, ScopedApi,
                            ScopedModelView, api_database_error, api_error, commit_step, rollback_on_refusal)
from app.views.labels import LABELS
from app.views.steps import Step, StepBody, day, number, numbers, pick, text

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


def _member_units():
    return scoped(db.session.query(m.Unit).filter(m.Unit.active.is_(True), m.Unit.kind != "office"),
                  m.Unit).order_by(m.Unit.sort_order, m.Unit.id)


def _unit_list(values, label: str) -> list[m.Unit]:
    """Units named by id (a form's list or an API body's); unknown ids are refused."""
    if values in (None, "", []):
        return []
    if not isinstance(values, list):
        values = [values]
    try:
        ids = [int(v) for v in values if str(v).strip()]
    except (TypeError, ValueError):
        raise BusinessError(f"{label}应为单位编号", 422)
    units = {u.id: u for u in _member_units().filter(m.Unit.id.in_(ids))}
    missing = [str(i) for i in ids if i not in units]
    if missing:
        raise BusinessError(f"{label}中的单位不存在：{'、'.join(missing)}", 422)
    return [units[i] for i in dict.fromkeys(ids)]


def _one(model, value, label: str, required: bool = False):
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
        "attachments": [_file_json(f) for f in attachment_service.attachments_for(db.session, "request", req.id)],
        "matters": [{
            "id": mt.id, "title": mt.title, "letter_number": mt.letter_number, "status": mt.status,
            "status_label": mt.status_label, "deadline": mt.deadline.isoformat() if mt.deadline else None,
            "alert": matter_service.alert_of(mt),
            "parts": [{"unit_id": p.unit_id, "unit": p.unit.name, "role": p.role, "status": p.status,
                       "status_label": p.status_label, "replied_at": p.replied_at.isoformat() if p.replied_at else None,
                       "reply_content": p.reply_content if p.status == "replied" else None,
                       "reply_result": p.reply_result if p.status == "replied" else None,
                       "reply_number": p.reply_number if p.status == "replied" else None,
                       "attachments": [_file_json(f) for f in files.get(p.id, [])]} for p in mt.assignments],
        } for mt in matters],
    }


def _file_json(f: m.Attachment) -> dict:
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


# --------------------------------------------------------------------------- pages

class CaseAssignmentView(AssignmentRules, ScopedModelView):
    datamodel = SQLAInterface(m.CaseAssignment)
    class_permission_name = "CaseAssignment"
    route_base = "/caseassignment"
    list_title = show_title = _("案件承办人员")
    add_title = _("指定承办法官或破产管理人")
    edit_title = _("编辑案件承办人员")
    label_columns = ASSIGNMENT_LABELS
    list_columns = ["case", "user", "role_label", "note"]
    order_columns = ["note"]
    add_columns = edit_columns = ["case", "user", "role", "note"]
    show_columns = ["case", "user", "role_label", "note", "created_at"]
    search_columns = ["case", "user", "role"]
    add_form_query_rel_fields = edit_form_query_rel_fields = {"user": CASE_USERS}
    description_columns = {"user": _("只列出角色带有“本人承办/管理的案件”数据范围的用户（如承办法官、破产管理人）"),
                           "role": _("承办法官看到本案的全部记录；破产管理人只看到本案的协调申请、协调事项和函复等非涉密记录")}
    base_order = ("id", "desc")

    def pre_add(self, item):
        super().pre_add(item)
        svc.notify_assigned(db.session, item)


class CheckItemView(ItemRules, ScopedModelView):
    datamodel = SQLAInterface(m.CheckItem)
    class_permission_name = "CheckItem"
    route_base = "/checkitem"
    list_title = show_title = _("信息核查事项目录")
    add_title = _("新增核查事项")
    edit_title = _("编辑核查事项")
    label_columns = ITEM_LABELS
    list_columns = ["unit", "name", "deadline_workdays", "active"]
    order_columns = ["name", "deadline_workdays"]
    add_columns = edit_columns = ["unit", "name", "description", "requirements", "deadline_workdays", "sort_order",
                                  "active"]
    show_columns = ["unit", "name", "description", "requirements", "deadline_workdays", "sort_order", "active"]
    search_columns = ["unit", "name", "active"]
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "unit": [["kind", FilterNotEqual, "office"], ["active", FilterEqual, True]] + SCOPE_FILTER}
    description_columns = {"deadline_workdays": _("批准后按工作日日历（节假日与调休）自动计算办理期限"),
                           "requirements": _("申请人须提供的材料，列入函告"),
                           "description": _("成员单位应查询并函复的内容")}
    base_order = ("sort_order", "asc")


class CheckLineView(LineRules, ScopedModelView):
    datamodel = SQLAInterface(m.CheckLine)
    class_permission_name = "CheckLine"
    route_base = "/checkline"
    list_title = show_title = _("核查事项")
    add_title = _("增加核查事项")
    edit_title = _("修改核查事项")
    label_columns = LINE_LABELS
    list_columns = ["request", "unit", "item", "note", "matter"]
    order_columns = ["note"]
    add_columns = ["request", "item", "note"]
    edit_columns = ["item", "note"]
    show_columns = ["request", "unit", "item", "note", "matter"]
    search_columns = ["request", "unit", "item"]
    add_form_query_rel_fields = {
        "request": [["kind", FilterEqual, "check"], ["status", FilterEqual, "submitted"]] + SCOPE_FILTER,
        "item": [["active", FilterEqual, True]] + SCOPE_FILTER}
    edit_form_query_rel_fields = {"item": [["active", FilterEqual, True]] + SCOPE_FILTER}
    description_columns = {"note": _("如车牌号、不动产坐落、人员姓名等，帮助成员单位准确查询")}
    base_order = ("id", "asc")

    def post_add_redirect(self):
        return self._back_to_request()

    def post_edit_redirect(self):
        return self._back_to_request()

    def _back_to_request(self):
        pk = g.get("line_request_id")
        return redirect(f"/request/show/{pk}") if pk else redirect(self.get_redirect())

    def post_add(self, item):
        g.line_request_id = item.request_id

    post_update = post_add


# --------------------------------------------------------------------------- workflow steps
# One declaration per step (app/views/steps.py): the page form and the API body are read by the same
# schema; 受理 is not declared yet (see RequestView.accept).

class MergeBody(StepBody):
    matter = number("要并入的协调事项")
    note = text("并入说明")


class DeclineBody(StepBody):
    reason = text("不予受理的理由", required=True)


class WithdrawBody(StepBody):
    reason = text("撤回原因")


def merge_into(session, req, user, matter=None, note=None):
    """并入 the matter named by id, in the user's scope (else refused as absent)."""
    return svc.merge_request(session, req, user, _one(m.Matter, matter, "协调事项"), note)


def attach_request_file(session, req, user, files=()):
    """The page's and the API's multipart `file`, while the request waits."""
    return svc.add_attachment(session, req, user, files[0] if files else None)


class AcceptBody(StepBody):
    title = text("事项标题", limit=200)
    category = pick("事项类别")
    lead_unit = pick("牵头单位")
    co_units = numbers("配合单位", absent=None)
    deadline = day("办理期限")
    note = text("受理意见")


def accept(session, req, user, lead_unit=None, co_units=None, category=None, title=None, deadline=None, note=None):
    """受理 with the units, category and deadline the office chose; co-units left out keep the
    suggested ones (an API body without `co_units`; the page always sends its list, empty or not)."""
    return svc.accept_request(
        session, req, user, lead_unit=(_unit_list(lead_unit, "牵头单位") or [None])[0],
        co_units=_unit_list(co_units, "配合单位") if co_units is not None else None,
        category=_one(m.Category, category, "事项类别"), title=title, deadline=deadline, note=note)


def _accepted(req, matters) -> str:
    if req.kind == "coordination":
        return "已受理：已生成拟办协调事项，请核对后函告"
    return "已批准：已按单位分别函告，办理期限按各核查事项的标准期限计算"


REQUEST_STEPS = {
    "accept": Step(accept, _accepted, AcceptBody, "受理（联动办公室）：协调申请生成拟办协调事项；信息核查按单位分别函告"),
    "merge": Step(merge_into, "已并入已有协调事项，申请人可跟踪该事项的办理情况", MergeBody,
                  "并入同一案件已有的协调事项（联动办公室）"),
    "decline": Step(svc.decline_request, "已不予受理，并通知申请人", DeclineBody, "不予受理，理由通知申请人"),
    "withdraw": Step(svc.withdraw_request, "申请已撤回", WithdrawBody, "申请人在审核前撤回申请"),
    "attach": Step(attach_request_file, "附件已上传", summary="上传附件（multipart 的 file），如指定管理人决定书",
                   files="file"),
}


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


class RequestView(RequestRules, ScopedModelView):
    datamodel = SQLAInterface(m.CoordinationRequest)
    class_permission_name = RESOURCE
    route_base = "/request"
    steps = REQUEST_STEPS
    list_title = show_title = _("协调申请")
    add_title = _("提出协调申请")
    edit_title = _("修改协调申请（待审核）")
    label_columns = REQUEST_LABELS
    list_columns = ["kind_label", "title", "case", "requester_label", "submitted_at", "status_label"]
    order_columns = ["title", "submitted_at"]
    search_columns = ["title", "kind", "status", "case", "category"]
    add_columns = ["case", "title", "needs", "reason", "category", "suggested_units", "desired_date", "files"]
    edit_columns = ["title", "needs", "reason", "category", "suggested_units", "desired_date"]
    show_template = "requests/show.html"
    base_order = ("id", "desc")
    formatters_columns = {"submitted_at": lambda v: v.strftime("%Y-%m-%d %H:%M") if v else ""}
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "suggested_units": [["kind", FilterNotEqual, "office"], ["active", FilterEqual, True]] + SCOPE_FILTER}
    description_columns = {
        "case": _("只能为本人承办或管理的案件提出申请"),
        "title": _("一句话说明需要哪个部门办理什么，如“协调办理华兴公司名下土地不动产登记”"),
        "needs": _("具体需要协调解决的问题、涉及的财产或人员、已做的工作"),
        "reason": _("法律和政策依据，不解决的影响"),
        "suggested_units": _("可不填，联动办公室按事项类别和各单位职责确定牵头和配合单位"),
        "files": _("如人民法院指定管理人决定书、相关证明材料（pdf、doc、xls、jpg、png、zip）"),
    }
    method_permission_name = {**PAGE_PERMISSIONS, "check": "add", "accept": "accept", "merge": "merge",
                              "decline": "decline", "withdraw": "withdraw", "upload": "upload", "results": "results",
                              "case_results": "results"}

    def _init_forms(self):
        self.add_form_extra_fields = {**(self.add_form_extra_fields or {}),
                                      "files": MultipleFileField(_("附件"), validators=[validators.Optional()],
                                                                 description=self.description_columns["files"])}
        self.validators_columns = {"title": [validators.DataRequired(message="请填写申请事项")],
                                   "needs": [validators.DataRequired(message="请填写需要协调解决的问题")]}
        super()._init_forms()

    def pre_add(self, item):
        with rollback_on_refusal():
            self.validate(item)
            svc.submit_request(db.session, g.user, request=item, case=item.case, title=item.title, needs=item.needs,
                               reason=item.reason, category=item.category, units=item.suggested_units,
                               desired_date=item.desired_date, files=request.files.getlist("files"))
            ensure_in_scope(db.session, item)

    def post_add(self, item):
        g.added_request_id = item.id

    def post_add_redirect(self):
        if g.get("added_request_id"):
            return redirect(f"/request/show/{g.added_request_id}")
        return super().post_add_redirect()

    def _request_or_404(self, pk) -> m.CoordinationRequest:
        try:
            return get_in_scope(db.session, m.CoordinationRequest, pk)
        except NotFound:
            abort(404)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        req = self._request_or_404(pk)
        if req.status != "submitted":
            flash("申请已审核（或已撤回），不能再修改", "warning")
            return redirect(f"/request/show/{req.id}")
        return super().edit(pk)

    # --- the request's page: status, matters, replies; the office's review forms ---------------
    def _show_context(self, req: m.CoordinationRequest, form_error=None, values=None) -> dict:
        user = g.user
        matters = svc.request_matters(db.session, user, req)
        lead, co = svc.suggested_units(req)
        actions = svc.allowed_actions(req, user)
        context = dict(
            req=req, matters=matters, reply_files=svc.reply_files(db.session, matters), actions=actions,
            files=attachment_service.attachments_for(db.session, "request", req.id),
            human_size=attachment_service.human_size, alert_of=matter_service.alert_of,
            form_error=form_error or (None, None), values=values or {}, lead=lead, co=co,
            default_deadline=req.desired_date or matter_service.default_deadline(),
            plan=svc.fan_out_plan(req) if req.kind == "check" and "accept" in actions else [],
            waited=svc.waiting_workdays(req) if req.status == "submitted" else None,
        )
        if "accept" in actions and req.kind == "coordination":
            context["units"] = _member_units().all()
            context["categories"] = scoped(db.session.query(m.Category), m.Category).order_by(m.Category.sort_order).all()
        if "merge" in actions:
            context["candidates"] = svc.merge_candidates(db.session, user, req)
        return context

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        req = self._request_or_404(pk)
        return self.render_template(self.show_template, title=req.title, **self._show_context(req))

    def _review(self, pk, name: str, form: str | None = None, target=None):
        """Run an office or requester step (REQUEST_STEPS) from the page; a refusal shows beside its
        form, input kept."""
        req = self._request_or_404(pk)
        step = REQUEST_STEPS[name]
        try:
            result = step.perform(req)
        except NotFound:
            db.session.rollback()
            abort(404)
        except BusinessError as exc:
            db.session.rollback()
            req = self._request_or_404(pk)
            return self.render_template(self.show_template, title=req.title, **self._show_context(
                req, form_error=(form or name, exc.message), values=request.form.to_dict(flat=False))), exc.status_code
        flash(step.confirm(req, result), "success")
        return redirect(target(req, result) if target else f"/request/show/{req.id}")

    @expose("/accept/<int:pk>", methods=["POST"])
    @has_access
    def accept(self, pk):
        def target(req, matters):
            return f"/matter/show/{matters[0].id}" if req.kind == "coordination" else f"/request/show/{req.id}"

        return self._review(pk, "accept", target=target)

    @expose("/merge/<int:pk>", methods=["POST"])
    @has_access
    def merge(self, pk):
        return self._review(pk, "merge")

    @expose("/decline/<int:pk>", methods=["POST"])
    @has_access
    def decline(self, pk):
        return self._review(pk, "decline")

    @expose("/withdraw/<int:pk>", methods=["POST"])
    @has_access
    def withdraw(self, pk):
        return self._review(pk, "withdraw")

    @expose("/upload/<int:pk>", methods=["POST"])
    @has_access
    def upload(self, pk):
        return self._review(pk, "attach", form="upload")

    # --- 信息核查: the catalogue in one form ---------------------------------------------------------
    @expose("/check", methods=["GET", "POST"])
    @has_access
    def check(self):
        user = g.user
        cases = svc.my_cases(db.session, user, limit=500) or scoped(db.session.query(m.Case), m.Case, user) \
            .order_by(m.Case.id.desc()).limit(500).all()
        errors, values = {}, {}
        if request.method == "POST":
            form = request.form
            values = {"case": form.get("case", ""), "reason": form.get("reason", ""),
                      "items": form.getlist("items"), "notes": {k[5:]: v for k, v in form.items() if k.startswith("note_")}}
            try:
                case = svc._field("case", _one, m.Case, values["case"], "案件", required=True)
                items = [(item_id, values["notes"].get(str(item_id), "")) for item_id in values["items"]]
                req = svc.submit_check(db.session, user, case=case, items=items, reason=values["reason"],
                                       files=request.files.getlist("files"))
                ensure_in_scope(db.session, req)
                commit_step()
            except BusinessError as exc:
                db.session.rollback()
                errors[svc.field_of(exc)] = exc.message
            else:
                flash("信息核查申请已提交，等待联动办公室审核", "success")
                return redirect(f"/request/show/{req.id}")
        else:
            values = {"case": request.args.get("case", ""), "items": [], "notes": {}, "reason": ""}
        groups: dict = {}
        for item in svc.catalogue(db.session, user):
            groups.setdefault(item.unit, []).append(item)
        return self.render_template("requests/check_form.html", title="信息核查申请", cases=cases, groups=groups,
                                    errors=errors, values=values, common_requirements=svc.COMMON_REQUIREMENTS), \
            (422 if errors else 200)

    # --- 核查结果 --------------------------------------------------------------------------------------
    @expose("/results/<int:pk>")
    @has_access
    def results(self, pk):
        req = self._request_or_404(pk)
        try:
            return results_response(req.case, [req])
        except BusinessError as exc:
            flash(exc.message, "warning")
            return redirect(f"/request/show/{req.id}")

    @expose("/case_results/<int:case_id>")
    @has_access
    def case_results(self, case_id):
        try:
            case = get_in_scope(db.session, m.Case, case_id)
            return results_response(case, svc.case_check_requests(db.session, g.user, case))
        except NotFound:
            abort(404)
        except BusinessError as exc:
            flash(exc.message, "warning")
            return redirect(f"/caseview/show/{case_id}")


# --------------------------------------------------------------------------- API

class RequestApi(RequestRules, ScopedApi):
    resource_name = "request"
    datamodel = SQLAInterface(m.CoordinationRequest)
    class_permission_name = RESOURCE
    list_columns = ["id", "kind", "title", "case.id", "status", "requester.id", "requester_role", "submitted_at",
                    "decided_at", "matter.id"]
    show_columns = list_columns + ["needs", "reason", "category.id", "suggested_units.id", "desired_date",
                                   "decision_note", "version_id"]
    add_columns = ["case", "title", "needs", "reason", "category", "suggested_units", "desired_date"]
    edit_columns = ["title", "needs", "reason", "category", "suggested_units", "desired_date"]
    search_columns = ["kind", "status", "case", "title"]
    order_columns = ["id", "submitted_at", "status"]
    base_order = ("id", "desc")
    steps = REQUEST_STEPS
    step_result_schema = RequestSummary
    method_permission_name = {**API_PERMISSIONS, "check": "add", "accept": "accept", "merge": "merge",
                              "decline": "decline", "withdraw": "withdraw", "attach": "upload",
                              "attachments": "show", "file": "show", "progress": "show", "waiting": "list",
                              "results": "results", "case_results": "results"}

    def _body(self) -> dict:
        body = request.get_json(silent=True) if request.is_json else None
        if body is None and request.form:
            body = request.form.to_dict()
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise BusinessError("请求体必须是 JSON 对象", 400)
        return body

    def _request(self, pk):
        try:
            return get_in_scope(db.session, m.CoordinationRequest, pk)
        except NotFound:
            return None

    def post_headless(self):
        """协调申请 {"case", "title", "needs", "reason"?, "category"?, "suggested_units"?: [单位id], "desired_date"?}."""
        if not request.is_json or not isinstance(request.get_json(silent=True), dict):
            return self.response_400(message="请求体必须是 JSON 对象")
        body = dict(request.get_json())
        try:
            unknown = set(body) - set(self.add_columns)
            if unknown:
                raise BusinessError(f"未知字段：{'、'.join(sorted(unknown))}", 422)
            req = svc.submit_request(
                db.session, g.user, case=_one(m.Case, body.get("case"), "案件", required=True), title=body.get("title"),
                needs=body.get("needs"), reason=body.get("reason"), category=_one(m.Category, body.get("category"), "事项类别"),
                units=_unit_list(body.get("suggested_units"), "建议承办单位"), desired_date=body.get("desired_date"))
            ensure_in_scope(db.session, req)
            commit_step()
        except BusinessError as exc:
            return api_error(self, exc)
        except SQLAlchemyError as exc:
            return api_database_error(self, exc)
        return self.response(201, id=req.id, result=request_summary(req))

    def step_result(self, record, result) -> dict:
        return request_summary(record)

    @expose("/check", methods=["POST"])
    @protect()
    @safe
    def check(self):
        """信息核查申请 {"case", "items": [{"item": 事项id, "note"?}], "reason"?}.
        ---
        post:
          responses:
            201: {description: 已提交，等待联动办公室审核}
            422: {description: 输入无效}
        """
        try:
            body = self._body()
            items = body.get("items")
            if not isinstance(items, list):
                raise BusinessError("items 应为核查事项列表", 422)
            picked = []
            for entry in items:
                if not isinstance(entry, dict):
                    raise BusinessError("items 的每一项应为 {\"item\": 事项编号, \"note\": 补充说明}", 422)
                picked.append((entry.get("item"), entry.get("note")))
            req = svc.submit_check(db.session, g.user, case=_one(m.Case, body.get("case"), "案件", required=True),
                                   items=picked, reason=body.get("reason"))
            ensure_in_scope(db.session, req)
            commit_step()
        except BusinessError as exc:
            return api_error(self, exc)
        return self.response(201, id=req.id, message="信息核查申请已提交", result=request_summary(req))

    @expose("/<int:pk>/accept", methods=["POST"])
    @protect()
    @safe
    def accept(self, pk):
        """受理 (office): 协调申请 → a draft matter; 信息核查 → one sent matter per unit."""
        return self.api_step(pk, "accept")

    @expose("/<int:pk>/merge", methods=["POST"])
    @protect()
    @safe
    def merge(self, pk):
        """并入 {"matter": 事项id, "note"?}: an existing matter of the same case answers the request."""
        return self.api_step(pk, "merge")

    @expose("/<int:pk>/decline", methods=["POST"])
    @protect()
    @safe
    def decline(self, pk):
        """不予受理 {"reason"}."""
        return self.api_step(pk, "decline")

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @protect()
    @safe
    def withdraw(self, pk):
        """撤回 {"reason"?} by the requester while it waits."""
        return self.api_step(pk, "withdraw")

    @expose("/<int:pk>/progress", methods=["GET"])
    @protect()
    @safe
    def progress(self, pk):
        """Status, the matters answering the request, every unit's part and reply, attachments."""
        req = self._request(pk)
        if req is None:
            return self.response_404()
        return self.response(200, result=request_summary(req))

    @expose("/<int:pk>/attachments", methods=["GET"])
    @protect()
    @safe
    def attachments(self, pk):
        req = self._request(pk)
        if req is None:
            return self.response_404()
        return self.response(200, result=[_file_json(f) for f in
                                          attachment_service.attachments_for(db.session, "request", req.id)])

    @expose("/<int:pk>/attachments", methods=["POST"])
    @protect()
    @safe
    def attach(self, pk):
        """multipart `file`: a document for the office and the units (e.g. 指定管理人决定书)."""
        return self.api_step(pk, "attach")

    @expose("/attachment/<int:att_id>", methods=["GET"])
    @protect()
    @safe
    def file(self, att_id):
        """Any file the reader may see: a request's, a letter's, or a unit's reply (scope of its owner)."""
        try:
            attachment, path = attachment_service.readable_attachment(db.session, att_id)
        except NotFound:
            return self.response_404()
        return send_file(path, mimetype=attachment.content_type or "application/octet-stream", as_attachment=True,
                         download_name=attachment.filename)

    @expose("/waiting", methods=["GET"])
    @protect()
    @safe
    def waiting(self):
        """The office's queue: 待审核 requests by kind, oldest first."""
        counts, rows = svc.waiting_queue(db.session, g.user, limit=100)
        return self.response(200, counts=counts, result=[
            {"id": r.id, "kind": r.kind, "title": r.title, "case_id": r.case_id, "requester": r.requester_label,
             "submitted_at": r.submitted_at.isoformat(), "waited_workdays": svc.waiting_workdays(r)} for r in rows])

    @expose("/<int:pk>/results", methods=["GET"])
    @protect()
    @safe
    def results(self, pk):
        """核查结果 PDF of one information check."""
        req = self._request(pk)
        if req is None:
            return self.response_404()
        try:
            return results_response(req.case, [req])
        except BusinessError as exc:
            return api_error(self, exc)

    @expose("/case/<int:case_id>/results", methods=["GET"])
    @protect()
    @safe
    def case_results(self, case_id):
        """核查结果 PDF of every approved information check of a case."""
        try:
            case = get_in_scope(db.session, m.Case, case_id)
            return results_response(case, svc.case_check_requests(db.session, g.user, case))
        except NotFound:
            return self.response_404()
        except BusinessError as exc:
            return api_error(self, exc)


class CheckLineApi(LineRules, ScopedApi):
    resource_name = "checkline"
    datamodel = SQLAInterface(m.CheckLine)
    class_permission_name = "CheckLine"
    list_columns = ["id", "request.id", "item.id", "unit.id", "note", "matter.id"]
    show_columns = list_columns + ["version_id"]
    add_columns = edit_columns = ["request", "item", "note"]
    base_order = ("id", "asc")

    def fill_owner(self, item):
        db.session.add(item)


class CheckItemApi(ItemRules, ScopedApi):
    resource_name = "checkitem"
    datamodel = SQLAInterface(m.CheckItem)
    class_permission_name = "CheckItem"
    list_columns = ["id", "unit.id", "name", "description", "requirements", "deadline_workdays", "active"]
    show_columns = list_columns + ["sort_order", "version_id"]
    add_columns = edit_columns = ["unit", "name", "description", "requirements", "deadline_workdays", "sort_order",
                                  "active"]
    search_columns = ["unit", "name", "active"]
    base_order = ("sort_order", "asc")

    def fill_owner(self, item):
        db.session.add(item)


class CaseAssignmentApi(AssignmentRules, ScopedApi):
    resource_name = "caseassignment"
    datamodel = SQLAInterface(m.CaseAssignment)
    class_permission_name = "CaseAssignment"
    list_columns = ["id", "case.id", "user.id", "user.first_name", "role", "note"]
    show_columns = list_columns + ["version_id"]
    add_columns = edit_columns = ["case", "user", "role", "note"]
    search_columns = ["case", "user", "role"]
    base_order = ("id", "desc")
    add_query_rel_fields = edit_query_rel_fields = {"user": CASE_USERS}

    def fill_owner(self, item):
        db.session.add(item)

    def post_add(self, item):
        svc.notify_assigned(db.session, item)
        db.session.commit()


def register(appbuilder):
    add_view(appbuilder, RequestView, "协调申请", "督促推进", icon="fa-hand-paper-o")
    add_link(appbuilder, "信息核查申请", "/request/check", "督促推进", RESOURCE, "can_add", icon="fa-search")
    add_view(appbuilder, CheckItemView, "信息核查事项目录", "督促推进", icon="fa-list-ol")
    appbuilder.add_view_no_menu(CheckLineView)
    appbuilder.add_view_no_menu(CaseAssignmentView)
    for api in (RequestApi, CheckLineApi, CheckItemApi, CaseAssignmentApi):
        appbuilder.add_api(api)
    current_app.jinja_env.globals["request_kind_labels"] = REQUEST_KIND_LABELS
    current_app.jinja_env.globals["request_status_labels"] = REQUEST_STATUS_LABELS
    from app.services.case_story import KIND_LABELS

    current_app.jinja_env.globals["story_kind_labels"] = KIND_LABELS
