"""联合调研及提案机制: joint research projects and proposals."""
from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _

from app import models as m
from app.models.research import PROPOSAL_KIND_LABELS
from app.services.validation import check_date_order
from app.views import add_view
from app.views.base import RecordRules, ScopedApi, ScopedModelView


class ResearchRules(RecordRules):
    def rules(self, item):
        check_date_order(item.start_date, item.end_date, "结束日期不能早于开始日期")


class ProposalRules(RecordRules):
    choice_columns = {"kind": PROPOSAL_KIND_LABELS}


class ResearchView(ResearchRules, ScopedModelView):
    datamodel = SQLAInterface(m.ResearchProject)
    class_permission_name = "Research"
    list_title = show_title = _("联合调研")
    list_columns = ["topic", "category", "lead_unit", "start_date", "end_date", "status_label"]
    add_columns = edit_columns = ["topic", "category", "problem", "lead_unit", "units", "start_date", "end_date",
                                  "findings", "report"]
    show_columns = ["topic", "category", "problem", "lead_unit", "units", "start_date", "end_date", "status_label",
                    "findings", "report"]
    search_columns = ["topic", "category", "lead_unit", "status"]
    base_order = ("id", "desc")


class ProposalView(ProposalRules, ScopedModelView):
    datamodel = SQLAInterface(m.Proposal)
    class_permission_name = "Proposal"
    list_title = show_title = _("提案与规范性意见")
    list_columns = ["title", "kind_label", "research", "status_label"]
    add_columns = edit_columns = ["title", "kind", "units", "research", "text"]
    show_columns = ["title", "kind_label", "units", "research", "status_label", "text", "review_note"]
    search_columns = ["title", "kind", "status"]
    base_order = ("id", "desc")


class ResearchApi(ResearchRules, ScopedApi):
    resource_name = "research"
    datamodel = SQLAInterface(m.ResearchProject)
    class_permission_name = "Research"
    list_columns = ["id", "topic", "category.id", "lead_unit.id", "start_date", "end_date", "status"]
    show_columns = list_columns + ["problem", "units.id", "units.name", "findings", "report", "version_id"]
    add_columns = edit_columns = ["topic", "category", "problem", "lead_unit", "units", "start_date", "end_date",
                                  "findings", "report"]
    base_order = ("id", "desc")


class ProposalApi(ProposalRules, ScopedApi):
    resource_name = "proposal"
    datamodel = SQLAInterface(m.Proposal)
    class_permission_name = "Proposal"
    list_columns = ["id", "title", "kind", "research.id", "status", "meeting.id"]
    show_columns = list_columns + ["units.id", "units.name", "text", "review_note", "version_id"]
    add_columns = edit_columns = ["title", "kind", "units", "research", "text"]
    base_order = ("id", "desc")


def register(appbuilder):
    add_view(appbuilder, ResearchView, "联合调研", "联合调研及提案", icon="fa-search")
    add_view(appbuilder, ProposalView, "提案与规范性意见", "联合调研及提案", icon="fa-lightbulb-o")
    for api in (ResearchApi, ProposalApi):
        appbuilder.add_api(api)
