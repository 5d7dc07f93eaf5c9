"""重点案件专门领导协调组机制: groups, members and work log."""
from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _

from app import models as m
from app.models.groups import GROUP_ROLE_LABELS
from app.views import add_view
from app.views.base import RecordRules, ScopedApi, ScopedModelView


class MemberRules(RecordRules):
    choice_columns = {"role": GROUP_ROLE_LABELS}


class MemberView(MemberRules, ScopedModelView):
    datamodel = SQLAInterface(m.GroupMember)
    class_permission_name = "GroupMember"
    list_title = _("协调组成员")
    list_columns = ["role_label", "unit", "person_name", "position"]
    add_columns = edit_columns = ["group", "role", "unit", "person_name", "position"]
    search_columns = ["unit", "person_name"]


class LogView(ScopedModelView):
    datamodel = SQLAInterface(m.GroupLog)
    class_permission_name = "GroupLog"
    list_title = _("工作日志")
    list_columns = ["log_date", "content", "author"]
    add_columns = edit_columns = ["group", "log_date", "content", "author"]
    search_columns = ["log_date", "content"]
    base_order = ("log_date", "desc")


class GroupView(ScopedModelView):
    datamodel = SQLAInterface(m.CoordinationGroup)
    class_permission_name = "Group"
    list_title = show_title = _("领导协调组")
    list_columns = ["name", "case", "court_leader", "government_leader", "setup_date", "status_label"]
    add_columns = edit_columns = ["name", "case", "court_leader", "government_leader", "mandate", "setup_date"]
    show_columns = ["name", "case", "court_leader", "government_leader", "mandate", "setup_date", "status_label",
                    "dissolved_date", "dissolve_reason"]
    search_columns = ["name", "case", "status"]
    base_order = ("id", "desc")
    related_views = [MemberView, LogView]


class GroupApi(ScopedApi):
    resource_name = "group"
    datamodel = SQLAInterface(m.CoordinationGroup)
    class_permission_name = "Group"
    list_columns = ["id", "name", "case.id", "court_leader", "government_leader", "setup_date", "status"]
    show_columns = list_columns + ["mandate", "dissolved_date", "dissolve_reason", 
                                   "members.person_name", "members.role", "version_id"]
    add_columns = edit_columns = ["name", "case", "court_leader", "government_leader", "mandate", "setup_date"]
    base_order = ("id", "desc")


def register(appbuilder):
    add_view(appbuilder, GroupView, "领导协调组", "重点案件协调组", icon="fa-flag")
    appbuilder.add_view_no_menu(MemberView)
    appbuilder.add_view_no_menu(LogView)
    appbuilder.add_api(GroupApi)
