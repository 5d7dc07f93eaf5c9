"""协调申请与信息核查's pages: the request (with its review forms), its check lines, the catalogue of
standard items and the case ↔ user assignments."""
from __future__ import annotations

from flask import abort, flash, g, redirect, request
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _
from wtforms import MultipleFileField, validators

from app import models as m
from app.extensions import db
from app.security.scope import SCOPE_FILTER, ensure_in_scope, get_in_scope, scoped
from app.services import attachments as attachment_service
from app.services import matters as matter_service
from app.services import requests as svc
from app.services.errors import BusinessError, NotFound
from app.views.base import PAGE_PERMISSIONS, ScopedModelView, commit_step, rollback_on_refusal
from app.views.requests.common import (ASSIGNMENT_LABELS, CASE_USERS, ITEM_LABELS, LINE_LABELS, REQUEST_LABELS,
                                       RESOURCE, AssignmentRules, ItemRules, LineRules, RequestRules,
                                       member_units, one_in_scope, results_response)
from app.views.requests.workflow import REQUEST_STEPS

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
            context["units"] = member_units().all()
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
                case = svc._field("case", one_in_scope, m.Case, values["case"], "案件", required=True)
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
