"""风险评估机制: assessments before acceptance, disposal plans and their measures."""
from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _

from app import models as m
from app.services.errors import BusinessError
from app.views import add_view
from app.views.base import RecordRules, ScopedApi, ScopedModelView


class PlanRules(RecordRules):
    def check_update(self, item):
        if item.status == "closed":
            raise BusinessError("处置方案已结束，不能修改", 409)


class AssessmentView(ScopedModelView):
    datamodel = SQLAInterface(m.Assessment)
    class_permission_name = "Assessment"
    list_title = show_title = _("风险评估")
    list_columns = ["case", "assessed_on", "score", "level", "scheme"]
    add_columns = edit_columns = ["case", "assessed_on", "note"]
    show_columns = ["case", "assessed_on", "scheme", "score", "level", "breakdown", "answers", "note"]
    search_columns = ["case", "level", "assessed_on"]
    base_order = ("assessed_on", "desc")


class MeasureView(ScopedModelView):
    datamodel = SQLAInterface(m.PlanMeasure)
    class_permission_name = "PlanMeasure"
    list_title = _("处置措施")
    list_columns = ["seq", "content", "responsible_unit", "deadline"]
    add_columns = edit_columns = ["plan", "seq", "content", "responsible_unit", "deadline"]
    search_columns = ["responsible_unit"]
    base_order = ("seq", "asc")


class PlanView(PlanRules, ScopedModelView):
    datamodel = SQLAInterface(m.DisposalPlan)
    class_permission_name = "DisposalPlan"
    list_title = show_title = _("处置方案")
    list_columns = ["case", "title", "status_label", "approved_at"]
    add_columns = edit_columns = ["case", "title", "summary"]
    show_columns = ["case", "title", "status_label", "summary", "approved_at"]
    search_columns = ["case", "title", "status"]
    base_order = ("id", "desc")
    related_views = [MeasureView]


class SchemeView(ScopedModelView):
    datamodel = SQLAInterface(m.RiskScheme)
    class_permission_name = "RiskScheme"
    list_title = _("风险评估方案")
    list_columns = ["scheme_version", "name", "active", "created_at"]
    add_columns = ["scheme_version", "name", "definition", "active"]
    edit_columns = ["name", "active"]
    show_columns = ["scheme_version", "name", "active", "definition"]
    search_columns = ["name"]
    base_order = ("scheme_version", "desc")


class AssessmentApi(ScopedApi):
    resource_name = "assessment"
    datamodel = SQLAInterface(m.Assessment)
    class_permission_name = "Assessment"
    list_columns = ["id", "case.id", "assessed_on", "score", "level", "scheme.id"]
    show_columns = list_columns + ["answers", "breakdown", "note", "version_id"]
    add_columns = edit_columns = ["case", "assessed_on", "note"]
    base_order = ("assessed_on", "desc")


class PlanApi(PlanRules, ScopedApi):
    resource_name = "plan"
    datamodel = SQLAInterface(m.DisposalPlan)
    class_permission_name = "DisposalPlan"
    list_columns = ["id", "case.id", "title", "status", "approved_at"]
    show_columns = list_columns + ["summary", "measures.id", "measures.content", 
                                   "measures.deadline", "version_id"]
    add_columns = edit_columns = ["case", "title", "summary"]
    base_order = ("id", "desc")


def register(appbuilder):
    add_view(appbuilder, AssessmentView, "风险评估", "风险评估", icon="fa-balance-scale")
    add_view(appbuilder, PlanView, "处置方案", "风险评估", icon="fa-shield")
    add_view(appbuilder, SchemeView, "评估方案设置", "系统管理", icon="fa-sliders")
    appbuilder.add_view_no_menu(MeasureView)
    for api in (AssessmentApi, PlanApi):
        appbuilder.add_api(api)
