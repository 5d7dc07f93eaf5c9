"""基础数据: member units, cases and their progress, categories; 系统管理: settings and holidays."""
from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _

from app import models as m
from app.extensions import db
from app.models.cases import ENTERPRISE_TYPE_LABELS, PROCEDURE_LABELS, STAGE_LABELS
from app.models.org import HOLIDAY_KIND_LABELS, UNIT_KIND_LABELS
from app.security.scope import current_user, is_unit_staff
from app.services.errors import BusinessError
from app.services.validation import check_unique_case_number, validate_case
from app.views import add_view
from app.views.base import RecordRules, ScopedApi, ScopedModelView
from app.views.groups import GroupView


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
    add_columns = edit_columns = ["name", "short_name", "kind", "leader_name", "liaison_name", "liaison_phone",
                                  "email", "responsibilities", "sort_order", "active"]
    show_fieldsets = [
        (_("单位"), {"fields": ["name", "short_name", "kind_label", "active", "sort_order"]}),
        (_("联络"), {"fields": ["leader_name", "liaison_name", "liaison_phone", "email"]}),
        (_("工作职责（机制文件第四部分）"), {"fields": ["responsibilities"]}),
    ]
    base_order = ("sort_order", "asc")


class UnitApi(UnitRules, ScopedApi):
    resource_name = "unit"
    datamodel = SQLAInterface(m.Unit)
    class_permission_name = "Unit"
    list_columns = ["id", "name", "short_name", "kind", "liaison_name", "liaison_phone", "sort_order", "active"]
    show_columns = list_columns + ["leader_name", "email", "responsibilities", "version_id"]
    add_columns = edit_columns = ["name", "short_name", "kind", "leader_name", "liaison_name", "liaison_phone",
                                  "email", "responsibilities", "sort_order", "active"]
    order_columns = ["name", "sort_order"]
    base_order = ("sort_order", "asc")


# --- cases ---------------------------------------------------------------------------------------
class CaseRules(RecordRules):
    choice_columns = {"enterprise_type": ENTERPRISE_TYPE_LABELS, "procedure_type": PROCEDURE_LABELS,
                      "stage": STAGE_LABELS}

    def rules(self, item):
        validate_case(item)
        check_unique_case_number(db.session, item)

    def check_update(self, item):
        from app.services.risk import check_acceptance

        check_acceptance(db.session, item)


class CaseProgressRules(RecordRules):
    choice_columns = {"stage": STAGE_LABELS}

    def fill_owner(self, item):
        user = current_user()
        if is_unit_staff(user):
            item.unit_id = user.unit_id
            item.unit = user.unit


class CaseProgressView(CaseProgressRules, ScopedModelView):
    datamodel = SQLAInterface(m.CaseProgress)
    class_permission_name = "CaseProgress"
    list_title = _("案件进展")
    list_columns = ["entry_date", "case", "stage_label", "content", "unit"]
    add_columns = ["case", "entry_date", "stage", "content", "unit"]
    edit_columns = ["entry_date", "stage", "content"]
    search_columns = ["case", "entry_date", "unit", "content"]
    base_order = ("entry_date", "desc")

    def _init_forms(self):
        super()._init_forms()


CASE_LIST_COLUMNS = ["case_number", "enterprise_name", "procedure_label", "stage_label", "risk_level",
                     "is_major_sensitive", "acceptance_date"]
CASE_EDIT_COLUMNS = ["case_number", "enterprise_name", "credit_code", "enterprise_type", "industry",
                     "procedure_type", "stage", "application_date", "acceptance_date", "closing_date",
                     "administrator", "administrator_contact", "judge", "debt_amount", "asset_amount",
                     "employee_count", "wage_arrears", "social_insurance_arrears", "creditor_count",
                     "is_major_sensitive", "monitoring_points", "is_zombie", "is_capacity_reduction", "notes"]


class CaseView(CaseRules, ScopedModelView):
    datamodel = SQLAInterface(m.Case)
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
    related_views = [CaseProgressView, GroupView]  # the case page shows its coordination group(s)


class CaseApi(CaseRules, ScopedApi):
    resource_name = "case"
    datamodel = SQLAInterface(m.Case)
    class_permission_name = "Case"
    list_columns = ["id", "case_number", "enterprise_name", "credit_code", "procedure_type", "stage",
                    "risk_level", "is_major_sensitive", "acceptance_date", "administrator"]
    show_columns = ["id", "version_id", "risk_level", "acceptance_override_reason"] + CASE_EDIT_COLUMNS
    add_columns = edit_columns = CASE_EDIT_COLUMNS
    search_columns = ["case_number", "enterprise_name", "stage", "is_major_sensitive", "risk_level"]
    order_columns = ["id", "case_number", "acceptance_date", "enterprise_name"]
    base_order = ("id", "desc")


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
class CategoryView(ScopedModelView):
    datamodel = SQLAInterface(m.Category)
    class_permission_name = "Category"
    list_title = _("事项类别")
    list_columns = ["name", "suggested_units", "sort_order"]
    add_columns = edit_columns = ["name", "description", "suggested_units", "sort_order"]
    search_columns = ["name"]
    base_order = ("sort_order", "asc")
    description_columns = {"suggested_units": _("新建协调事项选择该类别时，建议的牵头单位（第一个）和配合单位")}


class SettingView(ScopedModelView):
    datamodel = SQLAInterface(m.Setting)
    class_permission_name = "Setting"
    list_title = _("系统设置")
    list_columns = ["label", "value", "description"]
    edit_columns = ["value"]
    show_columns = ["label", "key", "value", "description"]
    search_columns = ["label", "value"]
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
                raise BusinessError(f"“{item.label}”必须是非负整数", 422)


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

    def post_add(self, item):
        from app.services import calendar

        calendar.invalidate()

    post_update = post_delete = post_add


def register(appbuilder):
    add_view(appbuilder, CaseView, "破产案件", "基础数据", icon="fa-briefcase")
    add_view(appbuilder, CaseProgressView, "案件进展", "基础数据", icon="fa-road")
    add_view(appbuilder, UnitView, "成员单位", "基础数据", icon="fa-building")
    add_view(appbuilder, CategoryView, "事项类别", "基础数据", icon="fa-tags")
    add_view(appbuilder, SettingView, "系统设置", "系统管理", icon="fa-sliders")
    add_view(appbuilder, HolidayView, "节假日与调休", "系统管理", icon="fa-calendar")
    for api in (UnitApi, CaseApi, CaseProgressApi):
        appbuilder.add_api(api)
