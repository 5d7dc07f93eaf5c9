"""评价通报 of member units, and clue reports (违纪违法线索)."""
from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _

from app import models as m
from app.models.evaluation import CLUE_STATUS_LABELS
from app.security.scope import current_user, is_unit_staff
from app.services.errors import BusinessError
from app.views import add_view
from app.views.base import RecordRules, ScopedApi, ScopedModelView


class EvaluationRules(RecordRules):
    def check_update(self, item):
        if item.status == "issued":
            raise BusinessError("评价通报已印发，指标和评价已冻结，不能修改", 409)

    check_delete = check_update


class ClueRules(RecordRules):
    choice_columns = {"status": CLUE_STATUS_LABELS}

    def fill_owner(self, item):
        user = current_user()
        if user is not None and user.unit_id and not item.reporter_unit_id:
            item.reporter_unit_id = user.unit_id
        if is_unit_staff(user):
            item.reporter_unit_id = user.unit_id
            item.status = "received"


class EntryView(ScopedModelView):
    datamodel = SQLAInterface(m.EvaluationEntry)
    class_permission_name = "EvaluationEntry"
    list_title = _("各单位评价")
    list_columns = ["unit", "grade", "comment"]
    edit_columns = ["grade", "comment"]
    search_columns = ["unit", "grade"]
    base_permissions = ["can_list", "can_show", "can_edit"]


class EvaluationView(EvaluationRules, ScopedModelView):
    datamodel = SQLAInterface(m.Evaluation)
    class_permission_name = "Evaluation"
    list_title = show_title = _("年度评价通报")
    list_columns = ["year", "title", "number", "status_label", "issued_at"]
    add_columns = ["year", "title", "intro"]
    edit_columns = ["title", "intro"]
    show_columns = ["year", "title", "number", "status_label", "intro", "computed_at", "approved_at", "issued_at"]
    search_columns = ["year", "status"]
    base_order = ("year", "desc")
    related_views = [EntryView]


class ClueView(ClueRules, ScopedModelView):
    datamodel = SQLAInterface(m.ClueReport)
    class_permission_name = "Clue"
    list_title = show_title = _("违纪违法线索")
    list_columns = ["title", "reporter_unit", "subject_unit", "status_label", "created_at"]
    add_columns = ["title", "description", "subject_unit", "matter", "case"]
    edit_columns = ["status", "referred_to", "handling_note"]
    show_columns = ["title", "description", "reporter_unit", "subject_unit", "matter", "case", "status_label",
                    "referred_to", "handling_note", "created_at"]
    search_columns = ["title", "status", "reporter_unit", "subject_unit"]
    base_order = ("id", "desc")


class EvaluationApi(EvaluationRules, ScopedApi):
    resource_name = "evaluation"
    datamodel = SQLAInterface(m.Evaluation)
    class_permission_name = "Evaluation"
    list_columns = ["id", "year", "title", "number", "status", "issued_at"]
    show_columns = list_columns + ["intro", "computed_at", "entries.grade", "entries.comment",
                                   "entries.metrics", "version_id"]
    add_columns = ["year", "title", "intro"]
    edit_columns = ["title", "intro"]
    base_order = ("year", "desc")


class ClueApi(ClueRules, ScopedApi):
    resource_name = "clue"
    datamodel = SQLAInterface(m.ClueReport)
    class_permission_name = "Clue"
    list_columns = ["id", "title", "reporter_unit.id", "subject_unit.id", "status", "created_at"]
    show_columns = list_columns + ["description", "matter.id", "case.id", "referred_to", "handling_note", "version_id"]
    add_columns = ["title", "description", "subject_unit", "matter", "case"]
    edit_columns = ["status", "referred_to", "handling_note"]
    base_order = ("id", "desc")


def register(appbuilder):
    add_view(appbuilder, EvaluationView, "年度评价通报", "评价与监督", icon="fa-star")
    add_view(appbuilder, ClueView, "违纪违法线索", "评价与监督", icon="fa-eye")
    appbuilder.add_view_no_menu(EntryView)
    for api in (EvaluationApi, ClueApi):
        appbuilder.add_api(api)
