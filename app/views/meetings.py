"""会议机制: joint and special meetings, topics, attendance, minutes and decisions."""
from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _

from app import models as m
from app.models.meetings import ATTENDANCE_LABELS, MEETING_KIND_LABELS
from app.extensions import db
from app.services.errors import BusinessError
from app.views import add_view
from app.views.base import RecordRules, ScopedApi, ScopedModelView


class MeetingRules(RecordRules):
    choice_columns = {"kind": MEETING_KIND_LABELS}


class MinutesRules(RecordRules):
    def check_update(self, item):
        if item.status != "draft":
            raise BusinessError("纪要已印发，不能修改；如需更正请制发修正纪要", 409)

    def check_delete(self, item):
        if item.status != "draft":
            raise BusinessError("纪要已印发，不能删除", 409)


class DecisionRules(RecordRules):
    def _locked(self, item):
        minutes = item.minutes or (db.session.get(m.Minutes, item.minutes_id) if item.minutes_id else None)
        return minutes is not None and minutes.status != "draft"

    def check_add(self, item):
        if self._locked(item):
            raise BusinessError("纪要已印发，议定事项不能增加", 409)

    check_update = check_add

    def check_delete(self, item):
        if self._locked(item):
            raise BusinessError("纪要已印发，议定事项不能删除", 409)


class TopicView(ScopedModelView):
    datamodel = SQLAInterface(m.MeetingTopic)
    class_permission_name = "MeetingTopic"
    list_title = _("会议议题")
    list_columns = ["meeting", "title", "reporting_unit", "case"]
    add_columns = edit_columns = ["meeting", "title", "reporting_unit", "case", "material", "sort_order"]
    search_columns = ["title", "meeting", "reporting_unit"]


class AttendanceView(ScopedModelView):
    datamodel = SQLAInterface(m.Attendance)
    class_permission_name = "Attendance"
    list_title = _("参会签到")
    choice_columns = {"status": ATTENDANCE_LABELS}
    list_columns = ["meeting", "unit", "organisation", "person_name", "person_title", "status_label"]
    add_columns = edit_columns = ["meeting", "unit", "organisation", "person_name", "person_title", "status", "note"]
    search_columns = ["meeting", "unit", "status"]


class DecisionView(DecisionRules, ScopedModelView):
    datamodel = SQLAInterface(m.Decision)
    class_permission_name = "Decision"
    list_title = _("议定事项")
    list_columns = ["minutes", "seq", "content", "lead_unit", "deadline"]
    add_columns = edit_columns = ["minutes", "seq", "content", "lead_unit", "co_units", "deadline", "case"]
    search_columns = ["minutes", "lead_unit", "deadline"]
    base_order = ("seq", "asc")


class MinutesView(MinutesRules, ScopedModelView):
    datamodel = SQLAInterface(m.Minutes)
    class_permission_name = "Minutes"
    list_title = show_title = _("会议纪要")
    list_columns = ["number", "title", "meeting", "status_label", "document_date"]
    add_columns = edit_columns = ["meeting", "title", "body", "document_date", "cc_text"]
    show_columns = ["number", "title", "meeting", "status_label", "document_date", "body", "cc_text", "amends", "issued_at"]
    search_columns = ["number", "title", "meeting", "status"]
    base_order = ("id", "desc")
    related_views = [DecisionView]


class MeetingView(MeetingRules, ScopedModelView):
    datamodel = SQLAInterface(m.Meeting)
    class_permission_name = "Meeting"
    list_title = show_title = _("会议")
    list_columns = ["kind_label", "number_label", "title", "start_at", "place", "status_label"]
    add_columns = edit_columns = ["kind", "title", "start_at", "place", "chair", "convener", "units", "reason"]
    show_columns = ["kind_label", "number_label", "title", "status_label", "start_at", "place", "chair", "convener",
                    "proposed_by_unit", "units", "reason", "decline_reason"]
    search_columns = ["kind", "title", "status", "start_at"]
    base_order = ("start_at", "desc")
    related_views = [TopicView, AttendanceView, MinutesView]


class MeetingApi(MeetingRules, ScopedApi):
    resource_name = "meeting"
    datamodel = SQLAInterface(m.Meeting)
    class_permission_name = "Meeting"
    list_columns = ["id", "kind", "year", "seq", "title", "start_at", "place", "chair", "status"]
    show_columns = list_columns + ["convener", "reason", "decline_reason", "proposed_by_unit.id", "version_id"]
    add_columns = edit_columns = ["kind", "title", "start_at", "place", "chair", "convener", "units", "reason"]
    order_columns = ["id", "start_at"]
    base_order = ("start_at", "desc")


class MinutesApi(MinutesRules, ScopedApi):
    resource_name = "minutes"
    datamodel = SQLAInterface(m.Minutes)
    class_permission_name = "Minutes"
    list_columns = ["id", "number", "title", "meeting.id", "status", "document_date", "issued_at"]
    show_columns = list_columns + ["body", "cc_text", "amends.id", "version_id"]
    add_columns = edit_columns = ["meeting", "title", "body", "document_date", "cc_text"]
    base_order = ("id", "desc")


class DecisionApi(DecisionRules, ScopedApi):
    resource_name = "decision"
    datamodel = SQLAInterface(m.Decision)
    class_permission_name = "Decision"
    list_columns = ["id", "minutes.id", "seq", "content", "lead_unit.id", "deadline", "case.id"]
    show_columns = list_columns + ["co_units.id", "co_units.name", "version_id"]
    add_columns = edit_columns = ["minutes", "seq", "content", "lead_unit", "co_units", "deadline", "case"]
    base_order = ("seq", "asc")


def register(appbuilder):
    add_view(appbuilder, MeetingView, "会议", "会议机制", icon="fa-users")
    add_view(appbuilder, MinutesView, "会议纪要", "会议机制", icon="fa-file-text-o")
    add_view(appbuilder, DecisionView, "议定事项", "会议机制", icon="fa-gavel")
    appbuilder.add_view_no_menu(TopicView)
    appbuilder.add_view_no_menu(AttendanceView)
    for api in (MeetingApi, MinutesApi, DecisionApi):
        appbuilder.add_api(api)
