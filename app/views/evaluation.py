"""评价通报 of member units, and clue reports (违纪违法线索): pages and API.

The evaluation page shows every metric with how it was derived; the office grades and comments per
unit (EntryView edit), a convener approves and issues (which numbers and freezes it), and the
bulletin prints as a GB/T 9704 PDF. Clue reports are confidential (scope in app/security/scope.py).
"""
from __future__ import annotations

from flask import Response, abort, request, send_file
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _
from marshmallow import Schema, fields

from app import models as m
from app.extensions import db
from app.models.evaluation import CLUE_STATUS_LABELS, GRADE_CHOICES
from app.security.scope import current_user, get_in_scope
from app.services import clues as clue_service
from app.services import evaluation as service
from app.services.errors import BusinessError, NotFound
from app.services.research import attachment_file, attachments_of, save_attachment
from app.views import add_view
from app.views.base import (API_PERMISSIONS, PAGE_PERMISSIONS, ScopedApi, ScopedModelView, choice_field,
                            workflow_call)
from app.views.base import RecordRules
from app.views.dashboard import ShowExtrasMixin, formatters
from app.views.steps import Step, StepBody, number, text

GRADES = {g: g for g in GRADE_CHOICES}


def _or_404(model, pk):
    try:
        return get_in_scope(db.session, model, pk)
    except NotFound:
        abort(404)


def pdf_response(evaluation: m.Evaluation) -> Response:
    from flask import current_app

    data = service.evaluation_pdf(evaluation, pdf_font=current_app.config.get("PDF_FONT"))
    name = f"evaluation-{evaluation.year}.pdf"
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


# --- evaluation ------------------------------------------------------------------------------------

# --- the evaluation's workflow steps: one declaration for the page and the API (app/views/steps.py) ---
class GradeBody(StepBody):
    unit_id = number("成员单位", required=True)
    grade = text("评价等次", limit=10)  # the service names the grades when refusing one
    comment = text("评语")


def grade_unit(session, evaluation, user, unit_id, grade=None, comment=None):
    """The grade of one unit of the evaluation (its entry)."""
    entry = next((e for e in evaluation.entries if e.unit_id == unit_id), None)
    if entry is None:
        raise BusinessError("该单位不在本次评价范围内", 422)
    return service.grade_entry(session, entry, user, grade, comment)


EVALUATION_STEPS = {
    "grade": Step(grade_unit, "评价已保存", GradeBody, "联动办公室评定一个成员单位的等次与评语"),
    "approve": Step(service.approve_evaluation, "评价通报已审定", summary="召集人审定评价通报（各单位均已评定等次）"),
    "issue": Step(service.issue_evaluation, "评价通报已印发，指标与评价已冻结", summary="召集人印发已审定的评价通报"),
}


class GradedEntry(Schema):
    unit_id = fields.Integer(required=True)
    grade = fields.String(allow_none=True, metadata={"description": "评价等次"})
    comment = fields.String(allow_none=True, metadata={"description": "评语"})


class EvaluationSummary(Schema):
    """What an evaluation's step answers."""

    id = fields.Integer(required=True)
    year = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"description": "draft 草稿 / approved 已审定 / issued 已印发"})
    number = fields.String(allow_none=True, metadata={"description": "文号（印发后）"})
    entries = fields.Integer(required=True, metadata={"description": "参评成员单位数"})
    graded = fields.Nested(GradedEntry, metadata={"description": "评定的单位（仅 grade）"})


class EvaluationRules(RecordRules):
    def rules(self, item):
        if not (item.title or "").strip():
            raise BusinessError("请填写标题", 422)



class EntryRules(RecordRules):
    """Grades are checked by the service (empty allowed while drafting)."""

    def check_update(self, item):
        service.grade_entry(db.session, item, current_user(), item.grade, item.comment)


class EntryView(ShowExtrasMixin, EntryRules, ScopedModelView):
    datamodel = SQLAInterface(m.EvaluationEntry)
    class_permission_name = "EvaluationEntry"
    route_base = "/evaluationentry"
    list_title = _("各单位评价")
    show_title = _("单位评价")
    edit_title = _("评定等次与评语")
    show_template = "evaluation/entry_show.html"
    list_columns = ["unit", "grade", "comment"]
    edit_columns = ["grade", "comment"]
    show_columns = ["evaluation", "unit", "grade", "comment"]
    search_columns = ["unit", "grade"]
    formatters_columns = formatters("grade", "comment")
    base_permissions = ["can_list", "can_show", "can_edit"]
    base_order = ("id", "asc")

    edit_form_extra_fields = {"grade": choice_field(_("评价等次"), {"": "（未评定）", **GRADES}, required=False)}

    def pre_update(self, item):
        if item.grade == "":
            item.grade = None
        super().pre_update(item)

    def show_extras(self, item):
        return {"metrics": service.entry_metrics(item)}


class EvaluationView(ShowExtrasMixin, EvaluationRules, ScopedModelView):
    datamodel = SQLAInterface(m.Evaluation)
    class_permission_name = "Evaluation"
    route_base = "/evaluation"
    list_title = show_title = _("年度评价通报")
    list_template = "evaluation/list.html"
    show_template = "evaluation/show.html"
    list_columns = ["year", "title", "number", "status_label", "computed_at", "issued_at"]
    add_columns = ["year", "title", "intro"]
    edit_columns = ["title", "intro"]
    show_columns = ["year", "title", "number", "status_label", "intro", "computed_at", "approved_at", "issued_at"]
    search_columns = ["year", "status"]
    formatters_columns = formatters("number", "intro", "computed_at", "approved_at", "issued_at")
    base_order = ("year", "desc")
    related_views = [EntryView]

    method_permission_name = {**PAGE_PERMISSIONS, "grade_all": "grade"}
    steps = EVALUATION_STEPS

    def show_extras(self, item):
        rows = [(entry, service.entry_metrics(entry)) for entry in item.entries]
        return {"rows": rows, "metric_defs": service.METRICS, "year_open": item.year >= service._today().year}

    @expose("/grade/<int:pk>", methods=["GET", "POST"])
    @has_access
    def grade_all(self, pk):
        """Grade every unit on one page, beside its figures (instead of one edit page per unit)."""
        from flask import flash, redirect
        from sqlalchemy.orm.exc import StaleDataError

        from app.services.errors import StaleEdit

        item = _or_404(m.Evaluation, pk)
        entries = sorted(item.entries, key=lambda e: (e.unit.sort_order, e.unit.id))
        errors, typed = {}, {}
        if request.method == "POST":
            typed = {e.id: (request.form.get(f"grade_{e.id}", ""), request.form.get(f"comment_{e.id}", ""))
                     for e in entries}
            try:
                service.check_editable(item)
                for entry in entries:
                    version = request.form.get(f"version_{entry.id}")
                    if version and version.isdigit() and int(version) != entry.version_id:
                        raise StaleEdit()
                    grade, comment = typed[entry.id]
                    try:
                        service.check_grade(grade or None)
                    except BusinessError as exc:
                        errors[entry.id] = exc.message
                if errors:
                    raise BusinessError("有单位的评价等次无效，请按红色提示修改；已填写的内容均已保留", 422)
                changed = 0
                for entry in entries:
                    grade, comment = typed[entry.id]
                    if (grade or None, (comment or "").strip() or None) != (entry.grade, entry.comment):
                        service.grade_entry(db.session, entry, current_user(), grade or None, comment)
                        changed += 1
                db.session.commit()
            except (BusinessError, StaleDataError) as exc:
                db.session.rollback()
                flash(exc.message if isinstance(exc, BusinessError) else StaleEdit().message, "danger")
                item = _or_404(m.Evaluation, pk)
                entries = sorted(item.entries, key=lambda e: (e.unit.sort_order, e.unit.id))
            else:
                flash(f"已保存（{changed}个单位的评价有修改）", "success")
                return redirect(f"/evaluation/grade/{pk}")
        rows = [(entry, service.entry_metrics(entry)) for entry in entries]
        graded = sum(1 for e in entries if e.grade)
        return self.render_template("evaluation/grade.html", title=f"评定等次与评语：{item.title}", item=item,
                                    rows=rows, metric_defs=service.METRICS, grades=GRADE_CHOICES, errors=errors,
                                    typed=typed, graded=graded,
                                    editable=item.status != "issued")

    @expose("/compute", methods=["POST"])
    @has_access
    def compute(self):
        try:
            evaluation = service.compute_evaluation(db.session, current_user(), request.form.get("year"))
            db.session.commit()
        except BusinessError as exc:
            db.session.rollback()
            from flask import flash, redirect

            flash(exc.message, "danger")
            return redirect("/evaluation/list/")
        from flask import flash, redirect

        flash(f"{evaluation.year}年度指标已计算（{len(evaluation.entries)}家成员单位）", "success")
        return redirect(f"/evaluation/show/{evaluation.id}")

    @expose("/approve/<int:pk>", methods=["POST"])
    @has_access
    def approve(self, pk):
        return self.page_step(pk, "approve")

    @expose("/issue/<int:pk>", methods=["POST"])
    @has_access
    def issue(self, pk):
        return self.page_step(pk, "issue")

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        return pdf_response(_or_404(m.Evaluation, pk))


class EvaluationApi(EvaluationRules, ScopedApi):
    resource_name = "evaluation"
    datamodel = SQLAInterface(m.Evaluation)
    class_permission_name = "Evaluation"
    method_permission_name = {**API_PERMISSIONS, "entries": "show"}
    steps = EVALUATION_STEPS
    step_result_schema = EvaluationSummary
    list_columns = ["id", "year", "title", "number", "status", "computed_at", "issued_at"]
    show_columns = list_columns + ["intro", "approved_at", "document_date", "entries.id",
                                   "entries.grade", "entries.comment", "version_id"]
    add_columns = ["year", "title", "intro"]
    edit_columns = ["title", "intro"]
    base_order = ("year", "desc")

    def _evaluation(self, pk):
        try:
            return get_in_scope(db.session, m.Evaluation, pk), None
        except NotFound:
            return None, self.response_404()

    def _summary(self, item, status=200):
        return self.response(status, id=item.id, year=item.year, status=item.status, number=item.number,
                             entries=len(item.entries))

    @expose("/compute", methods=["POST"])
    @protect()
    @safe
    def compute(self):
        """Create or recompute the evaluation of a year ({"year"}); refused once issued."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message="请求体必须是 JSON 对象")
        result = workflow_call(self, service.compute_evaluation, db.session, current_user(), body.get("year"))
        if not isinstance(result, m.Evaluation):
            return result
        return self._summary(result)

    @expose("/<int:pk>/entries", methods=["GET"])
    @protect()
    @safe
    def entries(self, pk):
        """Per unit: metrics (value and derivation), grade and comment."""
        item, error = self._evaluation(pk)
        if error:
            return error
        rows = [{"id": e.id, "unit_id": e.unit_id, "unit": e.unit.name, "grade": e.grade, "comment": e.comment,
                 "metrics": service.entry_metrics(e)} for e in item.entries]
        return self.response(200, count=len(rows), result=rows)

    def step_result(self, record, result) -> dict:
        summary = {"id": record.id, "year": record.year, "status": record.status, "number": record.number,
                   "entries": len(record.entries)}
        if isinstance(result, m.EvaluationEntry):
            summary["graded"] = {"unit_id": result.unit_id, "grade": result.grade, "comment": result.comment}
        return summary

    @expose("/<int:pk>/grade", methods=["POST"])
    @protect()
    @safe
    def grade(self, pk):
        """The office's grade and comment for one unit ({"unit_id", "grade", "comment"})."""
        return self.api_step(pk, "grade")

    @expose("/<int:pk>/approve", methods=["POST"])
    @protect()
    @safe
    def approve(self, pk):
        """审定 (召集人): every unit graded first."""
        return self.api_step(pk, "approve")

    @expose("/<int:pk>/issue", methods=["POST"])
    @protect()
    @safe
    def issue(self, pk):
        """印发 (召集人) an approved evaluation: numbered, metrics and grades frozen."""
        return self.api_step(pk, "issue")

    @expose("/<int:pk>/pdf", methods=["GET"])
    @protect()
    @safe
    def pdf(self, pk):
        item, error = self._evaluation(pk)
        if error:
            return error
        return pdf_response(item)


# --- clue reports ----------------------------------------------------------------------------------

class ClueRules(RecordRules):
    choice_columns = {"status": CLUE_STATUS_LABELS}

    def fill_owner(self, item):
        clue_service.fill_reporter(item, current_user())

    def rules(self, item):
        clue_service.check_clue(item)


def attach_clue_file(session, clue, user, files=()):
    """The page's and the API's multipart `file`: the reporter or the office, while the clue is open."""
    clue_service.check_attach(clue, user)
    return save_attachment(session, "clue", clue.id, files[0] if files else None, user)


CLUE_STEPS = {"upload": Step(attach_clue_file, "附件已上传", summary="为线索上传附件（multipart 的 file）", files="file")}


class ClueFile(Schema):
    id = fields.Integer(required=True)
    filename = fields.String(required=True, metadata={"description": "文件名"})


class ClueView(ShowExtrasMixin, ClueRules, ScopedModelView):
    datamodel = SQLAInterface(m.ClueReport)
    class_permission_name = "Clue"
    route_base = "/clue"
    method_permission_name = {**PAGE_PERMISSIONS, "file": "show"}
    steps = CLUE_STEPS
    list_title = show_title = _("违纪违法线索")
    add_title = _("报告线索")
    edit_title = _("登记处理情况")
    show_template = "evaluation/clue_show.html"
    list_columns = ["title", "reporter_unit", "subject_unit", "status_label", "created_at"]
    add_columns = ["title", "description", "subject_unit", "matter", "case"]
    edit_columns = ["status", "referred_to", "handling_note"]
    show_columns = ["title", "description", "reporter_unit", "subject_unit", "matter", "case", "status_label",
                    "referred_to", "handling_note", "created_at"]
    search_columns = ["title", "status", "reporter_unit", "subject_unit"]
    formatters_columns = formatters("reporter_unit", "subject_unit", "matter", "case", "referred_to", "handling_note")
    description_columns = {"description": _("线索仅联动办公室、召集人和系统管理员可见；其他单位不可见")}
    base_order = ("id", "desc")

    def show_extras(self, item):
        return {"attachments": attachments_of(db.session, "clue", item.id)}

    @expose("/upload/<int:pk>", methods=["POST"])
    @has_access
    def upload(self, pk):
        return self.page_step(pk, "upload")

    @expose("/file/<int:pk>/<int:attachment_id>")
    @has_access
    def file(self, pk, attachment_id):
        item = _or_404(m.ClueReport, pk)
        try:
            path, attachment = attachment_file(db.session, "clue", item.id, attachment_id)
        except NotFound:
            abort(404)
        return send_file(path, as_attachment=True, download_name=attachment.filename,
                         mimetype=attachment.content_type or "application/octet-stream")


class ClueApi(ClueRules, ScopedApi):
    resource_name = "clue"
    datamodel = SQLAInterface(m.ClueReport)
    class_permission_name = "Clue"
    list_columns = ["id", "title", "reporter_unit.id", "subject_unit.id", "status", "created_at"]
    show_columns = list_columns + ["description", "matter.id", "case.id", "referred_to", "handling_note", "version_id"]
    add_columns = ["title", "description", "subject_unit", "matter", "case"]
    edit_columns = ["status", "referred_to", "handling_note"]
    base_order = ("id", "desc")
    steps = CLUE_STEPS
    step_result_schema = ClueFile

    def step_result(self, record, result) -> dict:
        return {"id": result.id, "filename": result.filename}

    @expose("/<int:pk>/attachment", methods=["POST"])
    @protect()
    @safe
    def upload(self, pk):
        """Attach a file to a clue (multipart field `file`): the reporter or the office."""
        return self.api_step(pk, "upload")


def register(appbuilder):
    add_view(appbuilder, EvaluationView, "年度评价通报", "评价与监督", icon="fa-star")
    add_view(appbuilder, ClueView, "违纪违法线索", "评价与监督", icon="fa-eye")
    appbuilder.add_view_no_menu(EntryView)
    for api in (EvaluationApi, ClueApi):
        appbuilder.add_api(api)
