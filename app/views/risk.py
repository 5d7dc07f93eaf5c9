"""风险评估机制: assessments scored on the stored scheme, warnings, disposal plans and their measures,
and the scheme settings page."""
from __future__ import annotations

import datetime as dt
import json

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.api import protect, safe
from flask_appbuilder.const import API_RESULT_RES_KEY
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _
from markupsafe import Markup
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from app import models as m
from app.extensions import db
from app.models.risk import PLAN_STATUS_LABELS
from app.security.scope import current_user, get_in_scope, scoped
from app.services import risk as risk_service
from app.services.errors import BusinessError, NotFound
from app.views import add_link, add_view
from app.views.base import (API_PERMISSIONS, PAGE_PERMISSIONS, RecordRules, ScopedApi, ScopedModelView,
                            workflow_call)
from app.views.steps import Step, StepBody, day, flag, pick, text

LEVEL_COLOURS = {"低": "success", "中": "info", "高": "warning", "重大": "danger"}
# Answers a new assessment starts from, taken from the case record (keys of the default scheme;
# a scheme without such a factor simply ignores them).
CASE_PREFILL = {
    "employees": lambda c: c.employee_count,
    "wage_arrears": lambda c: _wan(c.wage_arrears),
    "social_insurance_arrears": lambda c: _wan(c.social_insurance_arrears),
    "creditors": lambda c: c.creditor_count,
    "state_owned": lambda c: c.enterprise_type in ("state", "state_holding"),
}


def _wan(amount):
    if amount is None:
        return None
    value = amount / 10000
    return int(value) if value == int(value) else round(float(value), 2)


def _parse_date(value):
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip()) if value else None
    except ValueError:
        raise BusinessError("评估日期格式应为 2026-03-01", 422)


def answers_from_form(scheme, form) -> dict:
    """Form fields `f_<key>` → answers: numbers as typed, 是/否 as booleans, options as text."""
    answers = {}
    for factor in scheme.factors:
        raw = form.get(f"f_{factor.key}")
        if raw is None or str(raw).strip() == "":
            continue
        if factor.kind == "bool":
            answers[factor.key] = raw in ("1", "true", "on", "是")
        else:
            answers[factor.key] = raw.strip()
    return answers


# --- assessments ----------------------------------------------------------------------------------
class AssessmentRules(RecordRules):
    def check_update(self, item):
        pass


class AssessmentView(AssessmentRules, ScopedModelView):
    datamodel = SQLAInterface(m.Assessment)
    class_permission_name = "Assessment"
    list_title = show_title = _("风险评估")
    list_columns = ["case", "assessed_on", "score", "level", "scheme"]
    add_columns = ["case", "assessed_on", "note"]
    edit_columns = ["note"]
    show_columns = ["case", "assessed_on", "scheme", "score", "level", "note"]
    search_columns = ["case", "level", "assessed_on"]
    base_order = ("assessed_on", "desc")
    method_permission_name = {**PAGE_PERMISSIONS, "warnings": "list"}

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """The form is built from the ACTIVE scheme's factors; saving scores and stores the result."""
        try:
            row = risk_service.active_scheme_row(db.session)
            scheme = risk_service.scheme_of(row)
        except BusinessError as exc:
            flash(exc.message, "danger")
            return redirect(url_for("AssessmentView.list"))
        cases = db.session.execute(scoped(select(m.Case).order_by(m.Case.id.desc()), m.Case)).scalars().all()
        case_id = request.values.get("case", type=int)
        case = next((c for c in cases if c.id == case_id), None)
        values, errors = {}, []
        if case is not None:
            values = {k: f(case) for k, f in CASE_PREFILL.items() if f(case) is not None}
            latest = risk_service.latest_assessment(db.session, case.id)
            if latest is not None:
                values.update(risk_service.answers_of(latest))
        if request.method == "POST":
            values = answers_from_form(scheme, request.form)
            try:
                if case is None:
                    raise BusinessError("请选择要评估的案件", 422)
                assessment = risk_service.assess_case(db.session, current_user(), case, values,
                                                      _parse_date(request.form.get("assessed_on")),
                                                      (request.form.get("note") or "").strip() or None)
                db.session.commit()
                flash(f"评估完成：{assessment.score}分，{assessment.level}", "success")
                return redirect(url_for("AssessmentView.show", pk=assessment.id))
            except BusinessError as exc:
                db.session.rollback()
                errors = exc.message.split("；")
        return self.render_template("risk/assessment_form.html", title="风险评估", scheme=scheme, scheme_row=row,
                                    cases=cases, case=case, values=values, errors=errors,
                                    assessed_on=request.form.get("assessed_on") or dt.date.today().isoformat(),
                                    note=request.form.get("note") or "")

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        try:
            assessment = get_in_scope(db.session, m.Assessment, pk)
        except NotFound:
            abort(404)
        status = risk_service.risk_status(db.session, assessment.case, current_user())
        return self.render_template("risk/assessment_show.html", title="风险评估结果", a=assessment,
                                    result=risk_service.breakdown_of(assessment), status=status,
                                    is_latest=status["latest"] is not None and status["latest"].id == assessment.id,
                                    colours=LEVEL_COLOURS)

    @expose("/warnings/")
    @has_access
    def warnings(self):
        """风险预警: cases at 高/重大 whose latest assessment has no approved disposal plan."""
        rows = risk_service.cases_needing_plan(db.session, current_user())
        plan_ids = [c.id for c, _a in rows]
        drafts = {}
        if plan_ids:
            for plan in db.session.execute(scoped(select(m.DisposalPlan).where(
                    m.DisposalPlan.case_id.in_(plan_ids)), m.DisposalPlan)).scalars():
                drafts.setdefault(plan.case_id, plan)
        return self.render_template("risk/warnings.html", title="风险预警：高风险案件待制定处置方案", rows=rows,
                                    drafts=drafts, colours=LEVEL_COLOURS)

    def post_delete(self, item):
        case = db.session.get(m.Case, item.case_id)
        if case is not None:
            risk_service.refresh_case_level(db.session, case)
            db.session.commit()


class AssessmentApi(AssessmentRules, ScopedApi):
    resource_name = "assessment"
    datamodel = SQLAInterface(m.Assessment)
    class_permission_name = "Assessment"
    list_columns = ["id", "case.id", "assessed_on", "score", "level", "scheme.id", "scheme.scheme_version"]
    show_columns = list_columns + ["answers", "breakdown", "note", "version_id"]
    add_columns = ["case", "assessed_on", "note"]
    edit_columns = ["note"]
    base_order = ("assessed_on", "desc")
    method_permission_name = {**API_PERMISSIONS, "warnings": "list"}

    def post_headless(self):
        """{"case": id, "answers": {factor: value}, "assessed_on"?, "note"?} → scored with the active scheme."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message="请求体必须是 JSON 对象")

        def run():
            case = get_in_scope(db.session, m.Case, body.get("case"))
            answers = body.get("answers") or {}
            if not isinstance(answers, dict):
                raise BusinessError("answers 应为“因素: 取值”的对象", 422)
            return risk_service.assess_case(db.session, current_user(), case, answers,
                                            _parse_date(body.get("assessed_on")), body.get("note"))

        try:
            body["case"] = int(body.get("case"))
        except (TypeError, ValueError):
            return self.response(422, message="请指定要评估的案件（case）")
        result = workflow_call(self, run)
        if not isinstance(result, m.Assessment):
            if getattr(result, "status_code", None) == 404:
                return self.response(422, message="案件不存在或无权访问")
            return result
        return self.response(201, id=result.id, **{API_RESULT_RES_KEY: _assessment_json(result)})

    def pre_get(self, data):
        res = data.get(API_RESULT_RES_KEY) or {}
        for key in ("answers", "breakdown"):
            if isinstance(res.get(key), str):
                try:
                    res[key] = json.loads(res[key])
                except ValueError:
                    pass

    @expose("/warnings", methods=["GET"])
    @protect()
    @safe
    def warnings(self):
        rows = risk_service.cases_needing_plan(db.session, current_user())
        return self.response(200, count=len(rows), result=[
            {"case": c.id, "case_number": c.case_number, "enterprise_name": c.enterprise_name, "stage": c.stage,
             "assessment": a.id, "assessed_on": a.assessed_on.isoformat(), "score": a.score, "level": a.level}
            for c, a in rows])


def _assessment_json(a: m.Assessment) -> dict:
    return {"id": a.id, "case": a.case_id, "assessed_on": a.assessed_on.isoformat(), "score": a.score,
            "level": a.level, "scheme": a.scheme_id, "scheme_version": a.scheme.scheme_version,
            "answers": risk_service.answers_of(a), "breakdown": risk_service.breakdown_of(a), "note": a.note}


# --- disposal plans -----------------------------------------------------------------------------------
class PlanRules(RecordRules):
    required_columns = ("title",)

    def check_add(self, item):
        if item.case_id or item.case:
            latest = risk_service.latest_assessment(db.session, item.case_id or item.case.id)
            if latest is not None and not item.assessment_id:
                item.assessment_id = latest.id



# --- the plan's workflow steps: one declaration for the page and the API (app/views/steps.py) -------
class ApproveBody(StepBody):
    create_matters = flag("为各项措施生成督办事项并函告责任单位", default=True)


def _approved(plan, created) -> str:
    return "处置方案已批准" + (f"，已生成并函告{len(created)}件督办事项" if created else "")


class MeasureBody(StepBody):
    content = text("措施内容", required=True)
    responsible_unit = pick("责任单位", required=True)
    deadline = day("完成时限")


def add_measure(session, plan, user, content, responsible_unit, deadline=None) -> m.PlanMeasure:
    """A measure added to a draft plan, numbered after the last one."""
    risk_service.check_plan_editable(plan)
    unit = session.get(m.Unit, responsible_unit)
    if unit is None:
        raise BusinessError("请指定责任单位（responsible_unit）", 422)
    measure = m.PlanMeasure(plan=plan, content=content, responsible_unit=unit, deadline=deadline,
                            seq=risk_service.next_measure_seq(plan))
    MeasureRules().validate(measure)
    session.add(measure)
    session.flush()
    return measure


PLAN_STEPS = {
    "add_measure": Step(add_measure, "措施已添加", MeasureBody, "为拟订中的处置方案添加一项措施（201，返回措施编号）",
                        created=True),
    "approve": Step(risk_service.approve_plan, _approved, ApproveBody,
                    "批准处置方案；create_matters 为真（默认）时每项措施生成督办事项并函告责任单位"),
    "activate": Step(risk_service.activate_plan, "处置方案已启动执行", summary="启动执行已批准的处置方案"),
    "close": Step(risk_service.close_plan, "处置方案已结束", summary="结束执行中的处置方案"),
}


class PlanMatter(Schema):
    id = fields.Integer(required=True)
    letter_number = fields.String(allow_none=True, metadata={"description": "函告文号"})
    lead_unit = fields.Integer(allow_none=True, metadata={"description": "承办单位"})


class PlanSummary(Schema):
    """What a plan's step answers (`plan_summary`)."""

    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(list(PLAN_STATUS_LABELS)))
    status_label = fields.String(required=True)
    matters = fields.List(fields.Nested(PlanMatter), required=True, metadata={"description": "批准时生成的督办事项"})


def plan_summary(plan, created) -> dict:
    matters = [{"id": mt.id, "letter_number": mt.letter_number, "lead_unit": mt.lead_unit_id}
               for mt in created] if isinstance(created, list) else []
    return {"id": plan.id, "status": plan.status, "status_label": PLAN_STATUS_LABELS[plan.status], "matters": matters}


class MeasureRules(RecordRules):
    required_columns = ("content",)

    def rules(self, item):
        if not (item.responsible_unit_id or item.responsible_unit):
            raise BusinessError("请选择责任单位", 422)

    def check_add(self, item):
        plan = item.plan or db.session.get(m.DisposalPlan, item.plan_id)
        if not item.seq and plan is not None:
            item.seq = risk_service.next_measure_seq(plan, item)


class MeasureView(MeasureRules, ScopedModelView):
    datamodel = SQLAInterface(m.PlanMeasure)
    class_permission_name = "PlanMeasure"
    list_title = _("处置措施")
    list_columns = ["seq", "content", "responsible_unit", "deadline"]
    add_columns = edit_columns = ["plan", "seq", "content", "responsible_unit", "deadline"]
    search_columns = ["responsible_unit"]
    base_order = ("seq", "asc")
    description_columns = {"deadline": _("批准方案时按此期限生成督办事项；留空则按默认办理期限")}


class PlanView(PlanRules, ScopedModelView):
    datamodel = SQLAInterface(m.DisposalPlan)
    class_permission_name = "DisposalPlan"
    list_title = show_title = _("处置方案")
    add_title = _("制定处置方案")
    list_columns = ["case", "title", "status_label", "approved_at"]
    add_columns = edit_columns = ["case", "title", "summary"]
    show_columns = ["case", "title", "status_label", "summary", "approved_at"]
    search_columns = ["case", "title", "status"]
    base_order = ("id", "desc")
    related_views = [MeasureView]
    show_template = "risk/plan_show.html"
    steps = PLAN_STEPS

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        widgets = self._show(pk)
        plan = self.datamodel.get(pk, self._base_filters)
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=widgets,
                                    related_views=self._related_views, plan=plan)

    @expose("/approve/<int:pk>", methods=["POST"])
    @has_access
    def approve(self, pk):
        return self.page_step(pk, "approve")

    @expose("/activate/<int:pk>", methods=["POST"])
    @has_access
    def activate(self, pk):
        return self.page_step(pk, "activate")

    @expose("/close/<int:pk>", methods=["POST"])
    @has_access
    def close(self, pk):
        return self.page_step(pk, "close")


class PlanApi(PlanRules, ScopedApi):
    resource_name = "plan"
    datamodel = SQLAInterface(m.DisposalPlan)
    class_permission_name = "DisposalPlan"
    list_columns = ["id", "case.id", "title", "status", "approved_at"]
    show_columns = list_columns + ["summary", "measures.id", "measures.seq", "measures.content",
                                   "measures.deadline", "version_id"]
    add_columns = edit_columns = ["case", "title", "summary"]
    base_order = ("id", "desc")
    method_permission_name = {**API_PERMISSIONS, "add_measure": "edit"}
    steps = PLAN_STEPS
    step_result_schema = PlanSummary

    def pre_get(self, data):
        """Measures with their responsible unit and the matters created for them."""
        res = data.get(API_RESULT_RES_KEY) or {}
        ids = [ms["id"] for ms in res.get("measures") or [] if "id" in ms]
        if ids:
            rows = {ms.id: ms for ms in db.session.execute(select(m.PlanMeasure).where(m.PlanMeasure.id.in_(ids))).scalars()}
            for ms in res["measures"]:
                row = rows.get(ms.get("id"))
                if row is not None:
                    ms["responsible_unit"] = row.responsible_unit_id
                    ms["responsible_unit_name"] = row.responsible_unit.name
                    ms["matters"] = [mt.id for mt in row.matters]

    def step_result(self, record, result) -> dict:
        return plan_summary(record, result)

    @expose("/<int:pk>/approve", methods=["POST"])
    @protect()
    @safe
    def approve(self, pk):
        """{"create_matters": true} (default): one supervised matter per measure, sent to its unit."""
        return self.api_step(pk, "approve")

    @expose("/<int:pk>/activate", methods=["POST"])
    @protect()
    @safe
    def activate(self, pk):
        """启动执行 an approved plan."""
        return self.api_step(pk, "activate")

    @expose("/<int:pk>/close", methods=["POST"])
    @protect()
    @safe
    def close(self, pk):
        """结束 a plan in effect."""
        return self.api_step(pk, "close")

    @expose("/<int:pk>/measures", methods=["POST"])
    @protect()
    @safe
    def add_measure(self, pk):
        """添加措施 to a draft plan."""
        return self.api_step(pk, "add_measure")


# --- scheme settings (admin) -----------------------------------------------------------------------
def _active_definition() -> str:
    """The add form starts from the active scheme with the next version number."""
    try:
        row = risk_service.active_scheme_row(db.session)
        raw = json.loads(row.definition)
        highest = db.session.query(func.max(m.RiskScheme.scheme_version)).scalar() or 0
        raw["version"] = highest + 1
        raw["name"] = str(raw.get("name", "")).replace(f"第{row.scheme_version}版", f"第{highest + 1}版")
        return json.dumps(raw, ensure_ascii=False, indent=1)
    except Exception:
        return ""


class SchemeRules(RecordRules):
    def check_add(self, item):
        risk_service.prepare_scheme(db.session, item)
        risk_service.activate_only(db.session, item)

    def check_update(self, item):
        risk_service.activate_only(db.session, item)

    def check_delete(self, item):
        if db.session.query(m.Assessment.id).filter(m.Assessment.scheme_id == item.id).first():
            raise BusinessError("已有评估使用该方案，不能删除（可停用）", 409)


class SchemeView(SchemeRules, ScopedModelView):
    datamodel = SQLAInterface(m.RiskScheme)
    class_permission_name = "RiskScheme"
    list_title = show_title = _("风险评估方案")
    add_title = _("新增评估方案版本")
    list_columns = ["scheme_version", "name", "active", "created_at"]
    add_columns = ["definition", "active"]
    edit_columns = ["active"]
    show_columns = ["scheme_version", "name", "active", "definition"]
    search_columns = ["name"]
    base_order = ("scheme_version", "desc")
    formatters_columns = {"definition": lambda text: Markup('<pre class="raw-data">{}</pre>').format(text or "")}
    description_columns = {
        "definition": _("JSON：version（须大于现有版本）、name、levels（等级及起点分）、factors（number 分档 / bool 是否 / "
                        "choice 选项，可设 floor_level 底线等级）。保存前逐项校验；已完成的评估仍按其当时的方案版本。"),
        "active": _("启用后新的评估使用该版本，其他版本自动停用"),
    }

    def _init_forms(self):
        from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget
        from wtforms import TextAreaField, validators

        from wtforms import BooleanField

        class TallTextArea(BS3TextAreaFieldWidget):
            def __call__(self, field, **kwargs):
                kwargs["style"] = "height:32em;font-family:monospace;font-size:12px"
                return super().__call__(field, **kwargs)

        # NOT NULL booleans are "required" in FAB forms: an unticked 启用 must stay possible.
        active = BooleanField(str(_("启用")), description=str(self.description_columns["active"]))
        self.add_form_extra_fields = {"definition": TextAreaField(
            str(_("方案定义（JSON）")), default=_active_definition, widget=TallTextArea(),
            validators=[validators.DataRequired()], description=self.description_columns["definition"]),
            "active": active}
        self.edit_form_extra_fields = {"active": active}
        super()._init_forms()

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """Like FAB's add, but a refused definition is shown again with the errors (not lost)."""
        form = self.add_form.refresh()
        if request.method == "POST" and form.validate():
            row = self.datamodel.obj()
            form.populate_obj(row)
            try:
                self.pre_add(row)
                db.session.add(row)
                db.session.commit()
                flash(f"已新增评估方案第{row.scheme_version}版" + ("并启用" if row.active else ""), "success")
                return redirect(url_for("SchemeView.list"))
            except BusinessError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
        return self.render_template(self.add_template, title=self.add_title,
                                    widgets=self._get_add_widget(form=form))


def register(appbuilder):
    add_view(appbuilder, AssessmentView, "风险评估", "风险评估", icon="fa-balance-scale")
    add_link(appbuilder, "风险预警", "/assessmentview/warnings/", "风险评估", "Assessment", "can_list",
             icon="fa-exclamation-circle")
    add_view(appbuilder, PlanView, "处置方案", "风险评估", icon="fa-shield")
    add_view(appbuilder, SchemeView, "评估方案设置", "系统管理", icon="fa-sliders")
    appbuilder.add_view_no_menu(MeasureView)
    for api in (AssessmentApi, PlanApi):
        appbuilder.add_api(api)
