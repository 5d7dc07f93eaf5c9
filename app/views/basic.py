"""基础数据: member units, cases and their progress, categories; 系统管理: settings and holidays."""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _
from marshmallow import Schema, fields

from app import models as m
from app.extensions import db
from app.models.cases import ENTERPRISE_TYPE_LABELS, PROCEDURE_LABELS, STAGE_LABELS
from app.models.org import HOLIDAY_KIND_LABELS, UNIT_KIND_LABELS
from app.security.permissions import acts_for_own_unit_only
from app.security.scope import current_user
from app.services.errors import BusinessError
from app.services.risk import override_acceptance
from app.services.validation import check_unique_case_number, validate_case
from app.views import add_link, add_view
from app.views.groups import GroupView
from app.views.requests import CaseAssignmentView
from app.views.labels import LABELS
from app.views.base import API_PERMISSIONS, PAGE_PERMISSIONS, RecordRules, ScopedApi, ScopedModelView
from app.views.steps import Step, StepBody, text


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(data: bytes, filename: str, mimetype: str, inline: bool = False):
    """A generated file as a response; the Chinese file name per RFC 6266."""
    from urllib.parse import quote

    from flask import Response

    disposition = "inline" if inline else "attachment"
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})


# --- units ---------------------------------------------------------------------------------------
class UnitRules(RecordRules):
    choice_columns = {"kind": UNIT_KIND_LABELS}

    def check_delete(self, item):
        raise BusinessError("成员单位不能删除（历史记录引用该单位），如已撤并请取消“启用”", 409)


class UnitView(UnitRules, ScopedModelView):
    datamodel = SQLAInterface(m.Unit)
    class_permission_name = "Unit"
    list_title = show_title = _("成员单位")
    add_title = _("新增单位")
    edit_title = _("编辑单位")
    list_columns = ["name", "kind_label", "liaison_name", "liaison_phone", "leader_name", "active"]
    search_columns = ["name", "kind", "liaison_name", "active"]
    add_columns = edit_columns = ["name", "short_name", "full_name", "kind", "leader_name", "liaison_name",
                                  "liaison_phone", "email", "responsibilities", "sort_order", "active"]
    description_columns = {"full_name": _("公文中使用的单位全称，如“国家税务总局平陆县税务局”；不填时使用名称")}
    show_fieldsets = [
        (_("单位"), {"fields": ["name", "short_name", "full_name", "kind_label", "active", "sort_order"]}),
        (_("联络"), {"fields": ["leader_name", "liaison_name", "liaison_phone", "email"]}),
        (_("工作职责（机制文件第四部分）"), {"fields": ["responsibilities"]}),
    ]
    base_order = ("sort_order", "asc")


class UnitApi(UnitRules, ScopedApi):
    resource_name = "unit"
    datamodel = SQLAInterface(m.Unit)
    class_permission_name = "Unit"
    list_columns = ["id", "name", "short_name", "kind", "liaison_name", "liaison_phone", "sort_order", "active"]
    show_columns = list_columns + ["full_name", "leader_name", "email", "responsibilities", "version_id"]
    add_columns = edit_columns = ["name", "short_name", "full_name", "kind", "leader_name", "liaison_name",
                                  "liaison_phone", "email", "responsibilities", "sort_order", "active"]
    order_columns = ["name", "sort_order"]
    base_order = ("sort_order", "asc")


# --- cases ---------------------------------------------------------------------------------------
class CaseRules(RecordRules):
    choice_columns = {"enterprise_type": ENTERPRISE_TYPE_LABELS, "procedure_type": PROCEDURE_LABELS,
                      "stage": STAGE_LABELS}

    def rules(self, item):
        validate_case(item)
        check_unique_case_number(db.session, item)

    def fill_owner(self, item):
        # ScopedApi.post_headless only adds the new record to the session through ensure_in_scope,
        # which returns early for unrestricted roles: add it here so an office POST is saved.
        db.session.add(item)

    def validate(self, item):
        # No autoflush while checking: the checks read other cases (number uniqueness).
        with db.session.no_autoflush:
            super().validate(item)


class CaseProgressRules(RecordRules):
    choice_columns = {"stage": STAGE_LABELS}

    def fill_owner(self, item):
        user = current_user()
        if acts_for_own_unit_only(user):
            item.unit_id = user.unit_id
            item.unit = user.unit

    def check_add(self, item):
        """A unit reports progress only on cases it already sees: checked before the entry exists
        (once saved, the entry itself would bring the case into the unit's scope)."""
        from app.security.scope import get_in_scope
        from app.services.errors import NotFound

        case_id = item.case_id or getattr(item.case, "id", None)
        if not case_id:
            raise BusinessError("请选择关联案件", 422)
        with db.session.no_autoflush:
            try:
                get_in_scope(db.session, m.Case, case_id)
            except NotFound:
                raise BusinessError("关联案件不存在或不在本单位范围内，未作任何修改", 422)
        if not (item.content or "").strip():
            raise BusinessError("请填写进展内容", 422)


class CaseProgressView(CaseProgressRules, ScopedModelView):
    datamodel = SQLAInterface(m.CaseProgress)
    class_permission_name = "CaseProgress"
    list_title = _("案件进展")
    list_columns = ["entry_date", "case", "stage_label", "content", "unit"]
    add_columns = ["case", "entry_date", "stage", "content", "unit"]
    edit_columns = ["entry_date", "stage", "content"]
    search_columns = ["case", "entry_date", "unit", "content"]
    base_order = ("entry_date", "desc")
    description_columns = {"unit": _("报送单位；成员单位联络人报送时自动为本单位"),
                           "stage": _("如案件进入新的程序阶段，请选择该阶段（汇入通报的“案件程序进展”）")}

    def _init_forms(self):
        super()._init_forms()
        from flask_appbuilder.fieldwidgets import Select2Widget
        from wtforms import SelectField, validators

        # Most entries do not change the stage: offer "no change" (stored as NULL).
        stage = SelectField(str(_("案件阶段")), choices=[("", "（无阶段变化）")] + list(STAGE_LABELS.items()),
                            widget=Select2Widget(), validators=[validators.Optional()],
                            description=self.description_columns["stage"])
        self.add_form.stage = stage
        self.edit_form.stage = stage

    def pre_add(self, item):
        item.stage = item.stage or None
        super().pre_add(item)

    def pre_update(self, item):
        item.stage = item.stage or None
        super().pre_update(item)


#: The case's monitoring and risk notes are the ledger's content: shown to roles that may read the
#: ledger (Case.can_ledger), never to a 破产管理人 outside the government (issue 14).
CASE_SENSITIVE_COLUMNS = ("risk_level", "monitoring_points", "acceptance_override_reason", "notes")


def sees_case_sensitive(user=None) -> bool:
    from app.security.permissions import can

    return can(user if user is not None else current_user(), "ledger", "Case")


def refuse_sensitive_args(args) -> None:
    """A filter or sort on a sensitive column would tell what the column hides: refused (403)."""
    import re

    if sees_case_sensitive():
        return
    for key, value in args.items(multi=True) if hasattr(args, "items") else []:
        column = re.sub(r"^_flt_\d+_", "", key) if key.startswith("_flt_") else (value if key.startswith("_oc_") else None)
        if column in CASE_SENSITIVE_COLUMNS:
            abort(403)


CASE_LIST_COLUMNS = ["case_number", "enterprise_name", "procedure_label", "stage_label", "risk_level",
                     "is_major_sensitive", "acceptance_date"]
CASE_EDIT_COLUMNS = ["case_number", "enterprise_name", "credit_code", "enterprise_type", "industry",
                     "procedure_type", "stage", "application_date", "acceptance_date", "closing_date",
                     "administrator", "administrator_contact", "judge", "debt_amount", "asset_amount",
                     "employee_count", "wage_arrears", "social_insurance_arrears", "creditor_count",
                     "is_major_sensitive", "monitoring_points", "is_zombie", "is_capacity_reduction", "notes"]


# --- the case's workflow step: one declaration for the page and the API (app/views/steps.py) -------
class OverrideBody(StepBody):
    reason = text("放行理由")  # the service asks for at least 4 characters, with its own words


class OverrideSummary(Schema):
    id = fields.Integer(required=True)
    acceptance_override_reason = fields.String(allow_none=True, metadata={"description": "受理放行理由（含放行人和日期）"})


CASE_STEPS = {
    "override": Step(override_acceptance, "已记录受理放行理由，案件可以转为已受理", OverrideBody,
                     "召集人受理放行：重大风险且无已批准处置方案的案件，记录放行理由后可转为已受理"),
}


class CaseView(CaseRules, ScopedModelView):
    datamodel = SQLAInterface(m.Case)
    steps = CASE_STEPS
    class_permission_name = "Case"
    list_title = show_title = _("破产案件")
    add_title = _("登记案件")
    edit_title = _("编辑案件")
    list_columns = CASE_LIST_COLUMNS
    search_columns = ["case_number", "enterprise_name", "credit_code", "stage", "procedure_type",
                      "is_major_sensitive", "risk_level", "acceptance_date"]
    add_columns = edit_columns = CASE_EDIT_COLUMNS
    show_fieldsets = [
        (_("案件"), {"fields": ["case_number", "procedure_label", "stage_label", "application_date",
                              "acceptance_date", "closing_date", "judge", "administrator", "administrator_contact"]}),
        (_("企业"), {"fields": ["enterprise_name", "credit_code", "enterprise_type_label", "industry",
                              "is_zombie", "is_capacity_reduction"]}),
        (_("债务与职工"), {"fields": ["debt_amount", "asset_amount", "employee_count", "wage_arrears",
                                  "social_insurance_arrears", "creditor_count"]}),
        (_("重大敏感与风险"), {"fields": ["is_major_sensitive", "monitoring_points", "risk_level",
                                    "acceptance_override_reason", "notes"]}),
    ]
    edit_fieldsets = add_fieldsets = [
        (_("案件"), {"fields": ["case_number", "procedure_type", "stage", "application_date", "acceptance_date",
                              "closing_date", "judge", "administrator", "administrator_contact"]}),
        (_("企业"), {"fields": ["enterprise_name", "credit_code", "enterprise_type", "industry", "is_zombie",
                              "is_capacity_reduction"]}),
        (_("债务与职工"), {"fields": ["debt_amount", "asset_amount", "employee_count", "wage_arrears",
                                  "social_insurance_arrears", "creditor_count"]}),
        (_("重大敏感"), {"fields": ["is_major_sensitive", "monitoring_points", "notes"]}),
    ]
    description_columns = {
        "case_number": _("如（2026）晋0829破3号；半角括号会自动转换"),
        "credit_code": _("18位，按 GB 32100-2015 校验"),
        "monitoring_points": _("重大敏感案件须明确监测、评估重点"),
    }
    base_order = ("id", "desc")
    related_views = [CaseProgressView, GroupView, CaseAssignmentView]  # its groups, its judge and administrator
    formatters_columns = {"risk_level": lambda value: (value or "") if sees_case_sensitive() else ""}
    show_template = "sharing/case_show.html"

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        if not sees_case_sensitive():
            show_fieldsets = [(name, {**spec, "fields": [f for f in spec["fields"] if f not in CASE_SENSITIVE_COLUMNS]})
                              for name, spec in self.show_fieldsets]
        return super()._get_show_widget(pk, item, widgets, actions, show_fieldsets)

    @expose("/list/")
    @has_access
    def list(self):
        refuse_sensitive_args(request.args)
        return super().list()

    def _readable_related_views(self) -> list:
        """The case page's tabs the reader's roles may list (a 破产管理人 has no 协调组 tab)."""
        sm = self.appbuilder.sm
        return [v for v in self._related_views if sm.has_access("can_list", v.class_permission_name)]

    def _get_related_views_widgets(self, item, orders=None, pages=None, page_sizes=None, widgets=None, **args):
        widgets = widgets or {}
        widgets["related_views"] = [
            self._get_related_view_widget(item, view, *(orders.get(view.__class__.__name__) or ("", "")),
                                          page=pages.get(view.__class__.__name__),
                                          page_size=page_sizes.get(view.__class__.__name__))
            for view in self._readable_related_views()]
        return widgets

    def pre_update(self, item):
        try:
            super().pre_update(item)
        except BusinessError:
            db.session.rollback()  # FAB only flashes: drop the refused change from the session
            raise

    def _init_forms(self):
        # FAB marks NOT NULL booleans as required, so an unticked box could never be saved.
        from wtforms import BooleanField

        flags = {key: BooleanField(str(LABELS[key]), description=str(self.description_columns.get(key, "")))
                 for key in ("is_major_sensitive", "is_zombie", "is_capacity_reduction")}
        self.add_form_extra_fields = {**(self.add_form_extra_fields or {}), **flags}
        self.edit_form_extra_fields = {**(self.edit_form_extra_fields or {}), **flags}
        super()._init_forms()
    # the ledger page needs can_ledger; taking data out of the system (Excel, PDF) needs can_export
    method_permission_name = {**PAGE_PERMISSIONS, "ledger_xlsx": "export", "ledger_pdf": "export",
                              "export_xlsx": "export", "import_cases": "import", "import_template": "template"}

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """FAB's detail page plus the risk flag (高/重大 without an approved plan) and the
        acceptance gate with the convener's override form."""
        from app.services.risk import risk_status

        from app.services.case_story import case_story
        from app.services.requests import case_requests

        from app.services.case_story import KIND_LABELS

        widgets = self._show(pk)
        case = self.datamodel.get(pk, self._base_filters)
        user = current_user()
        kind = request.args.get("story")
        story = case_story(db.session, user, case)
        kinds = [k for k in KIND_LABELS if any(e.kind == k for e in story)]
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=widgets,
                                    related_views=self._readable_related_views(), case=case,
                                    risk=risk_status(db.session, case, user),
                                    story=[e for e in story if kind in (None, "", e.kind)], story_kinds=kinds,
                                    story_kind=kind, case_requests=case_requests(db.session, user, case))

    @expose("/choices")
    @has_access
    @permission_name("list")
    def choices(self):
        """Cases for a searchable select (案号 or 企业名称 contains ?q=), the user's scope, newest first."""
        from app.views.forms import remote_choices

        return remote_choices(m.Case, ("case_number", "enterprise_name"), (m.Case.id.desc(),))

    @expose("/ledger/")
    @has_access
    def ledger(self):
        """重大敏感案件台账: filters and sorting in the query string, the user's scope always."""
        from app.services.ledger import SORT_KEYS, LedgerFilters, attach_cases, ledger_rows
        from app.models.cases import RISK_LEVELS

        filters = LedgerFilters.from_args(request.args)
        rows = ledger_rows(db.session, current_user(), filters, load_cases=False)
        page, size = max(1, request.args.get("page", 1, type=int) or 1), 50
        pages = max(1, (len(rows) + size - 1) // size)
        page = min(page, pages)
        shown = attach_cases(db.session, rows[(page - 1) * size: page * size])
        return self.render_template("sharing/ledger.html", title=filters.title, filters=filters,
                                    rows=shown, total=len(rows), page=page,
                                    pages=pages, sort_keys=SORT_KEYS, stages=STAGE_LABELS,
                                    risk_levels=list(RISK_LEVELS) + ["未评估"], args=request.args.to_dict())

    @expose("/ledger/xlsx")
    @has_access
    def ledger_xlsx(self):
        from app.services.ledger import LedgerFilters, ledger_rows, ledger_xlsx

        rows = ledger_rows(db.session, current_user(), LedgerFilters.from_args(request.args))
        return _download(ledger_xlsx(rows), f"重大敏感案件台账-{dt.date.today():%Y%m%d}.xlsx", XLSX)

    @expose("/ledger/pdf")
    @has_access
    def ledger_pdf(self):
        from app.services.ledger import LedgerFilters, ledger_pdf, ledger_rows

        filters = LedgerFilters.from_args(request.args)
        rows = ledger_rows(db.session, current_user(), filters)
        return _download(ledger_pdf(rows, filters.title, pdf_font=current_app.config.get("PDF_FONT")),
                         f"重大敏感案件台账-{dt.date.today():%Y%m%d}.pdf", "application/pdf", inline=True)

    @expose("/export/xlsx")
    @has_access
    def export_xlsx(self):
        """Every case in the user's scope, in the import layout (a backup that imports back)."""
        from app.services.ledger import LedgerFilters, ledger_rows, ledger_xlsx

        rows = ledger_rows(db.session, current_user(), LedgerFilters(major_only=False, sort="case_number", desc=False))
        return _download(ledger_xlsx(rows, "破产案件"), f"破产案件-{dt.date.today():%Y%m%d}.xlsx", XLSX)

    @expose("/import/template")
    @has_access
    def import_template(self):
        from app.services.case_import import template_bytes

        return _download(template_bytes(), "破产案件导入模板.xlsx", XLSX)

    @expose("/import/", methods=["GET", "POST"])
    @has_access
    def import_cases(self):
        """Upload a .xlsx; on any bad row nothing is imported and the page lists every problem."""
        from app.services.case_import import import_cases

        result, filename = None, None
        if request.method == "POST":
            upload = request.files.get("file")
            filename = upload.filename if upload else None
            data = upload.read() if upload else b""
            result = import_cases(db.session, data)
            if result.ok:
                db.session.commit()
                flash(f"已导入{len(result.created)}件案件", "success")
                return redirect(url_for("CaseView.list"))
            db.session.rollback()
        return self.render_template("sharing/case_import.html", title="从 Excel 导入案件", result=result,
                                    filename=filename)

    @expose("/override/<int:pk>", methods=["POST"])
    @has_access
    def override(self, pk):
        """召集人受理放行: the reason is stored on the case (and in the audit log)."""
        return self.page_step(pk, "override")


class CaseApi(CaseRules, ScopedApi):
    resource_name = "case"
    steps = CASE_STEPS
    step_result_schema = OverrideSummary
    datamodel = SQLAInterface(m.Case)
    class_permission_name = "Case"
    list_columns = ["id", "case_number", "enterprise_name", "credit_code", "procedure_type", "stage",
                    "risk_level", "is_major_sensitive", "acceptance_date", "administrator"]
    show_columns = ["id", "version_id", "risk_level", "acceptance_override_reason"] + CASE_EDIT_COLUMNS
    add_columns = edit_columns = CASE_EDIT_COLUMNS
    search_columns = ["case_number", "enterprise_name", "stage", "is_major_sensitive", "risk_level"]
    order_columns = ["id", "case_number", "acceptance_date", "enterprise_name"]
    base_order = ("id", "desc")
    method_permission_name = {**API_PERMISSIONS, "ledger_rows": "ledger", "ledger_xlsx": "export",
                              "ledger_pdf": "export", "export_xlsx": "export", "import_cases": "import",
                              "import_template": "template", "override": "override", "timeline": "show"}

    def pre_get(self, data):
        if not sees_case_sensitive():
            for column in CASE_SENSITIVE_COLUMNS:
                data.get("result", {}).pop(column, None)

    def pre_get_list(self, data):
        if not sees_case_sensitive():
            for row in data.get("result", []):
                for column in CASE_SENSITIVE_COLUMNS:
                    row.pop(column, None)

    def get_list_headless(self, **kwargs):
        args = kwargs.get("rison") or {}
        if not sees_case_sensitive():
            columns = {f.get("col") for f in args.get("filters") or [] if isinstance(f, dict)} | {args.get("order_column")}
            if columns & set(CASE_SENSITIVE_COLUMNS):
                return self.response_403()
        return super().get_list_headless(**kwargs)

    @expose("/<int:pk>/timeline", methods=["GET"])
    @protect()
    @safe
    def timeline(self, pk):
        """案件全程: requests, matters and replies, meetings and decisions, assessments and plans,
        groups, progress — newest first, each kind as far as the reader may see it (`?kind=` to
        keep some kinds, comma-separated).
        ---
        get:
          responses:
            200: {description: 时间线}
            404: {description: 案件不存在或无权访问}
        """
        from app.security.scope import get_in_scope
        from app.services.case_story import KIND_LABELS, case_story
        from app.services.errors import NotFound

        try:
            case = get_in_scope(db.session, m.Case, pk)
        except NotFound:
            return self.response_404()
        kinds = {k for k in (request.args.get("kind") or "").split(",") if k in KIND_LABELS} or None
        entries = case_story(db.session, current_user(), case, kinds)
        return self.response(200, count=len(entries), result=[e.as_json() for e in entries])

    @expose("/ledger", methods=["GET"])
    @protect()
    @safe
    def ledger_rows(self):
        """The ledger as JSON (same filters as the page: q, stage, risk_level, overdue, scope, sort, dir)."""
        from app.services.ledger import LedgerFilters, ledger_rows

        rows = ledger_rows(db.session, current_user(), LedgerFilters.from_args(request.args))
        return self.response(200, count=len(rows), result=[row.as_json() for row in rows])

    @expose("/ledger.xlsx", methods=["GET"])
    @protect()
    @safe
    def ledger_xlsx(self):
        from app.services.ledger import LedgerFilters, ledger_rows, ledger_xlsx

        rows = ledger_rows(db.session, current_user(), LedgerFilters.from_args(request.args))
        return _download(ledger_xlsx(rows), "ledger.xlsx", XLSX)

    @expose("/ledger.pdf", methods=["GET"])
    @protect()
    @safe
    def ledger_pdf(self):
        from app.services.ledger import LedgerFilters, ledger_pdf, ledger_rows

        filters = LedgerFilters.from_args(request.args)
        rows = ledger_rows(db.session, current_user(), filters)
        return _download(ledger_pdf(rows, filters.title, pdf_font=current_app.config.get("PDF_FONT")), "ledger.pdf",
                         "application/pdf", inline=True)

    @expose("/export.xlsx", methods=["GET"])
    @protect()
    @safe
    def export_xlsx(self):
        from app.services.ledger import LedgerFilters, ledger_rows, ledger_xlsx

        rows = ledger_rows(db.session, current_user(), LedgerFilters(major_only=False, sort="case_number", desc=False))
        return _download(ledger_xlsx(rows, "破产案件"), "cases.xlsx", XLSX)

    @expose("/import-template.xlsx", methods=["GET"])
    @protect()
    @safe
    def import_template(self):
        from app.services.case_import import template_bytes

        return _download(template_bytes(), "case-import-template.xlsx", XLSX)

    @expose("/import", methods=["POST"])
    @protect()
    @safe
    def import_cases(self):
        """multipart `file`: 201 with the new ids, or 422 with every bad row and column (nothing imported)."""
        from app.services.case_import import import_cases

        upload = request.files.get("file")
        result = import_cases(db.session, upload.read() if upload else b"")
        if not result.ok:
            db.session.rollback()
            return self.response(422, message=f"文件中有{len({e.row_number for e in result.errors})}行数据有误，未导入任何案件",
                                 errors=result.error_dicts())
        db.session.commit()
        return self.response(201, message=f"已导入{len(result.created)}件案件", ids=[c.id for c in result.created])

    def step_result(self, record, result) -> dict:
        return {"id": record.id, "acceptance_override_reason": record.acceptance_override_reason}

    @expose("/<int:pk>/override", methods=["POST"])
    @protect()
    @safe
    def override(self, pk):
        """{"reason": …}: a convener lets a 重大 case without an approved plan be accepted."""
        return self.api_step(pk, "override")


class CaseProgressApi(CaseProgressRules, ScopedApi):
    resource_name = "progress"
    datamodel = SQLAInterface(m.CaseProgress)
    class_permission_name = "CaseProgress"
    list_columns = ["id", "case.id", "entry_date", "stage", "content", "unit.id"]
    show_columns = list_columns + ["version_id"]
    add_columns = ["case", "entry_date", "stage", "content", "unit"]
    edit_columns = ["entry_date", "stage", "content"]
    base_order = ("entry_date", "desc")


# --- categories, settings, holidays ---------------------------------------------------------------
def _suggestion_text(units) -> str:
    units = list(units or [])
    if not units:
        return ""
    text = f"牵头：{units[0].name}"
    return text + (f"；配合：{'、'.join(u.name for u in units[1:])}" if units[1:] else "")


class CategoryView(ScopedModelView):
    """The lead unit is its own field (it was the first of a multiple select, which could not be changed)."""

    datamodel = SQLAInterface(m.Category)
    class_permission_name = "Category"
    list_title = _("事项类别")
    list_columns = ["name", "suggested_units", "sort_order"]
    show_columns = ["name", "description", "suggested_units", "sort_order"]
    add_columns = edit_columns = ["name", "description", "suggest_lead", "suggest_co", "sort_order"]
    search_columns = ["name"]
    base_order = ("sort_order", "asc")
    formatters_columns = {"suggested_units": _suggestion_text}
    label_columns = {**ScopedModelView.label_columns, "suggest_lead": _("建议牵头单位"), "suggest_co": _("建议配合单位")}
    description_columns = {"suggest_lead": _("新建协调事项选择该类别时，自动建议的牵头单位"),
                           "suggest_co": _("同时建议的配合单位，按选择顺序")}

    def _init_forms(self):
        from flask_appbuilder.fields import QuerySelectField, QuerySelectMultipleField
        from flask_appbuilder.fieldwidgets import Select2ManyWidget, Select2Widget
        from wtforms import validators

        def units():
            return (db.session.query(m.Unit).filter(m.Unit.active.is_(True), m.Unit.kind != "office")
                    .order_by(m.Unit.sort_order, m.Unit.id).all())

        fields = {
            "suggest_lead": QuerySelectField(_("建议牵头单位"), query_func=units, get_pk_func=lambda u: u.id,
                                             allow_blank=True, widget=Select2Widget(), validators=[validators.Optional()],
                                             description=self.description_columns["suggest_lead"]),
            "suggest_co": QuerySelectMultipleField(_("建议配合单位"), query_func=units, get_pk_func=lambda u: u.id,
                                                   widget=Select2ManyWidget(), validators=[validators.Optional()],
                                                   description=self.description_columns["suggest_co"]),
        }
        self.add_form_extra_fields = {**(self.add_form_extra_fields or {}), **fields}
        self.edit_form_extra_fields = {**(self.edit_form_extra_fields or {}), **fields}
        super()._init_forms()

    def prefill_form(self, form, pk):
        super().prefill_form(form, pk)
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None:
            units = list(item.suggested_units)
            form.suggest_lead.data = units[0] if units else None
            form.suggest_co.data = units[1:]

    def _save_suggestions(self, item):
        from app.services.categories import set_suggested_units

        set_suggested_units(db.session, item, getattr(item, "suggest_lead", None), getattr(item, "suggest_co", None))

    def pre_add(self, item):
        super().pre_add(item)
        self._save_suggestions(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._save_suggestions(item)


class SettingView(ScopedModelView):
    datamodel = SQLAInterface(m.Setting)
    class_permission_name = "Setting"
    list_title = _("系统设置")
    list_columns = ["label", "value", "description"]
    edit_columns = ["value"]
    show_columns = ["label", "value", "description"]
    search_columns = ["label", "value"]
    label_columns = {**ScopedModelView.label_columns, "description": _("说明")}
    base_order = ("sort_order", "asc")
    base_permissions = ["can_list", "can_show", "can_edit"]

    def post_update(self, item):
        from app.services import settings

        settings.invalidate()

    def rules(self, item):
        if item.value_type == "int":
            try:
                if int(item.value) < 0:
                    raise ValueError
            except (TypeError, ValueError):
                raise BusinessError(f"“{item.label}”必须是非负整数，如 3", 422, field="value")


class HolidayView(ScopedModelView):
    datamodel = SQLAInterface(m.Holiday)
    class_permission_name = "Holiday"
    list_title = _("节假日与调休")
    choice_columns = {"kind": HOLIDAY_KIND_LABELS}
    list_columns = ["day", "kind_label", "name"]
    add_columns = edit_columns = ["day", "kind", "name"]
    search_columns = ["day", "kind", "name"]
    base_order = ("day", "desc")
    description_columns = {"kind": _("法定节假日不计工作日；调休上班日（如周六）计为工作日")}

    @expose("/list/")
    @has_access
    def list(self):
        """The administrator learns here when the coming year's schedule still has to be entered."""
        from app.services.holidays import coverage_warning

        if warning := coverage_warning(db.session):
            flash(warning, "warning")
        return super().list()

    def post_add(self, item):
        from app.services import calendar

        calendar.invalidate()

    post_update = post_delete = post_add


def register(appbuilder):
    add_view(appbuilder, CaseView, "破产案件", "基础数据", icon="fa-briefcase")
    add_view(appbuilder, CaseProgressView, "案件进展", "基础数据", icon="fa-road")
    add_link(appbuilder, "导入案件", "/caseview/import/", "基础数据", "Case", "can_import", icon="fa-upload")
    add_view(appbuilder, UnitView, "成员单位", "基础数据", icon="fa-building")
    add_view(appbuilder, CategoryView, "事项类别", "基础数据", icon="fa-tags")
    add_view(appbuilder, SettingView, "系统设置", "系统管理", icon="fa-sliders")
    add_view(appbuilder, HolidayView, "节假日与调休", "系统管理", icon="fa-calendar")
    for api in (UnitApi, CaseApi, CaseProgressApi):
        appbuilder.add_api(api)
