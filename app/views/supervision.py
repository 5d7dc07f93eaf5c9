"""督促推进机制: matters (协调事项), their letters, replies, extensions and reminders."""
from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _

from app import models as m
from app.models.supervision import MATTER_SOURCE_LABELS
from app.services.errors import BusinessError
from app.services.validation import check_date_order, check_required_text
from app.views import add_view
from app.views.base import RecordRules, ScopedApi, ScopedModelView


class MatterRules(RecordRules):
    choice_columns = {"source": MATTER_SOURCE_LABELS}

    def rules(self, item):
        check_required_text(item, "title")
        check_date_order(item.assigned_date, item.deadline, "办理期限不能早于交办日期")

    def check_update(self, item):
        if item.status not in ("draft",):
            raise BusinessError("事项已函告，不能直接修改；请通过延期、退回等办理流程变更", 409)

    def check_delete(self, item):
        if item.status != "draft":
            raise BusinessError("已函告的事项不能删除，只能撤销（撤销后仍保留记录）", 409)


class MatterView(MatterRules, ScopedModelView):
    datamodel = SQLAInterface(m.Matter)
    class_permission_name = "Matter"
    list_title = show_title = _("协调事项")
    add_title = _("拟办协调事项")
    edit_title = _("编辑协调事项")
    list_columns = ["letter_number", "title", "lead_unit", "deadline", "status_label", "case"]
    search_columns = ["title", "letter_number", "status", "lead_unit", "category", "deadline", "case"]
    add_columns = edit_columns = ["title", "category", "source", "case", "lead_unit", "content",
                                  "assigned_date", "deadline", "contact_name", "contact_phone"]
    show_columns = ["letter_number", "title", "status_label", "category", "source_label", "case", "lead_unit",
                    "co_units", "assigned_date", "deadline", "content", "contact_name", "contact_phone",
                    "sent_at", "replied_at", "closed_at"]
    base_order = ("id", "desc")


class MatterApi(MatterRules, ScopedApi):
    resource_name = "item"
    datamodel = SQLAInterface(m.Matter)
    class_permission_name = "Matter"
    list_columns = ["id", "letter_number", "title", "status", "lead_unit.id", "case.id", "category.id",
                    "assigned_date", "deadline", "sent_at", "replied_at", "closed_at"]
    show_columns = list_columns + ["content", "source", "contact_name", "contact_phone", "decision.id",
                                   "group.id", "version_id"]
    add_columns = edit_columns = ["title", "category", "source", "case", "lead_unit", "content",
                                  "assigned_date", "deadline", "contact_name", "contact_phone"]
    search_columns = ["title", "status", "lead_unit", "deadline", "case"]
    order_columns = ["id", "deadline", "assigned_date", "status"]
    base_order = ("id", "desc")


def register(appbuilder):
    add_view(appbuilder, MatterView, "协调事项", "督促推进", icon="fa-tasks")
    appbuilder.add_api(MatterApi)
