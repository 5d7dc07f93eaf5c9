"""重点案件专门领导协调组机制: groups, members, tasks (supervised matters) and work log.

Member units' staff see the group (scope: GroupMember) and, on its page, the list of its tasks;
each task opens through the matter's own scope.
"""
from __future__ import annotations

from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _
from marshmallow import Schema, fields

from app import models as m
from app.extensions import db
from app.models.groups import GROUP_ROLE_LABELS
from app.security.scope import current_user, get_in_scope, scoped
from app.services import groups as service
from app.services.errors import BusinessError, NotFound
from app.services.validation import check_date_order
from app.views import add_view
from app.views.base import API_PERMISSIONS, ScopedApi, ScopedModelView
from app.views.base import RecordRules
from app.views.dashboard import ShowExtrasMixin, formatters
from app.views.steps import Step, StepBody, day, numbers, pick, text


class GroupRules(RecordRules):
    required_columns = ("name",)

    def rules(self, item):
        if item.case_id is None and item.case is None:
            raise BusinessError("请选择协调组对应的重点案件", 422)
        check_date_order(item.setup_date, item.dissolved_date, "撤销日期不能早于成立日期")

    def check_delete(self, item):
        if item.tasks:
            raise BusinessError("协调组已有任务，不能删除；工作结束请撤销协调组", 409)


class MemberRules(RecordRules):
    choice_columns = {"role": GROUP_ROLE_LABELS}

    def rules(self, item):
        if not item.unit_id and not item.unit and not (item.person_name or "").strip():
            raise BusinessError("请选择成员单位或填写成员姓名", 422)


class LogRules(RecordRules):
    required_columns = ("content",)

    def fill_owner(self, item):
        user = current_user()
        if user is not None and not (item.author or "").strip():
            from app.services.research import actor_name

            item.author = actor_name(user)


# --------------------------------------------------------------------------- workflow steps
# One declaration per step: the page form and the API body are read by the same schema.

def _unit(session, unit_id) -> m.Unit:
    try:
        return get_in_scope(session, m.Unit, unit_id)
    except NotFound:
        raise BusinessError("请选择牵头单位", 422)


def create_task(session, group, user, *, title, lead_unit_id, co_unit_ids=(), deadline=None, content=None):
    """A task from the units' ids (each read in the user's scope)."""
    return service.create_task(session, group, user, title=title, lead_unit=_unit(session, lead_unit_id),
                               co_units=[_unit(session, i) for i in co_unit_ids], deadline=deadline,
                               content=content or "")


class TaskBody(StepBody):
    title = text("事项标题", required=True, limit=200)
    lead_unit_id = pick("牵头单位", required=True)
    co_unit_ids = numbers("配合单位")
    deadline = day("办理期限")
    content = text("任务内容", limit=10000)


class DissolveBody(StepBody):
    date = day("撤销日期")
    reason = text("撤销原因", required=True)


class LogBody(StepBody):
    content = text("工作日志内容", required=True, limit=10000)
    date = day("日志日期")


GROUP_STEPS = {
    "task": Step(create_task, "任务已函告成员单位", TaskBody, "安排任务：成员单位办理的督办事项，立即函告",
                 created=True),
    "dissolve": Step(service.dissolve_group, "协调组已撤销", DissolveBody, "撤销协调组（运行中 → 已撤销）；日期默认今天"),
    "worklog": Step(service.add_log, "工作日志已记录", LogBody, "记录工作日志，记录人为当前用户；日期默认今天",
                    created=True),
}


class GroupStepResult(Schema):
    """What a group step answers: the group (撤销), the task's matter (任务) or the log entry (工作日志)."""

    id = fields.Integer(required=True)
    status = fields.String(metadata={"description": "协调组或任务（督办事项）的状态"})
    dissolved_date = fields.Date(allow_none=True, metadata={"description": "撤销日期"})
    letter_number = fields.String(allow_none=True, metadata={"description": "任务的函告文号"})
    author = fields.String(metadata={"description": "工作日志记录人"})
    log_date = fields.Date(metadata={"description": "工作日志日期"})


class MemberView(MemberRules, ScopedModelView):
    datamodel = SQLAInterface(m.GroupMember)
    class_permission_name = "GroupMember"
    route_base = "/groupmember"
    list_title = _("协调组成员")
    list_columns = ["role_label", "unit", "person_name", "position"]
    add_columns = edit_columns = ["group", "role", "unit", "person_name", "position"]
    search_columns = ["unit", "person_name"]


class LogView(LogRules, ScopedModelView):
    datamodel = SQLAInterface(m.GroupLog)
    class_permission_name = "GroupLog"
    route_base = "/grouplog"
    list_title = _("工作日志")
    list_columns = ["log_date", "content", "author"]
    add_columns = edit_columns = ["group", "log_date", "content", "author"]
    search_columns = ["log_date", "content"]
    description_columns = {"author": _("留空则为当前用户")}
    base_order = ("log_date", "desc")


class GroupView(ShowExtrasMixin, GroupRules, ScopedModelView):
    datamodel = SQLAInterface(m.CoordinationGroup)
    class_permission_name = "Group"
    route_base = "/group"
    list_title = show_title = _("领导协调组")
    show_template = "groups/show.html"
    list_columns = ["name", "case", "court_leader", "government_leader", "setup_date", "status_label"]
    add_columns = edit_columns = ["name", "case", "court_leader", "government_leader", "mandate", "setup_date"]
    show_columns = ["name", "case", "court_leader", "government_leader", "mandate", "setup_date", "status_label",
                    "dissolved_date", "dissolve_reason"]
    search_columns = ["name", "case", "status"]
    formatters_columns = formatters("court_leader", "government_leader", "mandate", "setup_date", "dissolved_date",
                                    "dissolve_reason")
    base_order = ("id", "desc")
    related_views = [MemberView, LogView]
    steps = GROUP_STEPS

    def show_extras(self, item):
        visible = {mid for (mid,) in scoped(db.session.query(m.Matter.id).filter(m.Matter.group_id == item.id),
                                            m.Matter)}
        units = sorted({mb.unit for mb in item.members if mb.unit is not None}, key=lambda u: u.sort_order)
        return {"tasks": group_tasks(item), "visible_task_ids": visible, "member_units": units}

    @expose("/task/<int:pk>", methods=["POST"])
    @has_access
    def task(self, pk):
        return self.page_step(pk, "task")

    @expose("/dissolve/<int:pk>", methods=["POST"])
    @has_access
    def dissolve(self, pk):
        return self.page_step(pk, "dissolve")


def group_tasks(group: m.CoordinationGroup) -> list[m.Matter]:
    """The group's tasks, listed to everybody who may see the group (title, units, deadline, status)."""
    return (db.session.query(m.Matter).filter(m.Matter.group_id == group.id, m.Matter.status != "draft")
            .order_by(m.Matter.id).all())


class GroupApi(GroupRules, ScopedApi):
    resource_name = "group"
    datamodel = SQLAInterface(m.CoordinationGroup)
    class_permission_name = "Group"
    method_permission_name = {**API_PERMISSIONS, "tasks": "show"}
    list_columns = ["id", "name", "case.id", "court_leader", "government_leader", "setup_date", "status"]
    show_columns = list_columns + ["mandate", "dissolved_date", "dissolve_reason", "members.id", "members.position",
                                   "members.person_name", "members.role", "version_id"]
    add_columns = edit_columns = ["name", "case", "court_leader", "government_leader", "mandate", "setup_date"]
    base_order = ("id", "desc")
    steps = GROUP_STEPS
    step_result_schema = GroupStepResult

    def step_result(self, group, result) -> dict:
        if isinstance(result, m.Matter):
            return {"id": result.id, "letter_number": result.letter_number, "status": result.status}
        if isinstance(result, m.GroupLog):
            return {"id": result.id, "author": result.author, "log_date": result.log_date.isoformat()}
        return {"id": group.id, "status": group.status, "dissolved_date": group.dissolved_date.isoformat()}

    def _group(self, pk):
        try:
            return get_in_scope(db.session, m.CoordinationGroup, pk), None
        except NotFound:
            return None, self.response_404()

    @expose("/<int:pk>/dissolve", methods=["POST"])
    @protect()
    @safe
    def dissolve(self, pk):
        """运行中 → 已撤销 ({"date": "YYYY-MM-DD", "reason"})."""
        return self.api_step(pk, "dissolve")

    @expose("/<int:pk>/task", methods=["POST"])
    @protect()
    @safe
    def task(self, pk):
        """A task for member units: a supervised matter, sent at once
        ({"title", "lead_unit_id", "co_unit_ids", "deadline", "content"})."""
        return self.api_step(pk, "task")

    @expose("/<int:pk>/tasks", methods=["GET"])
    @protect()
    @safe
    def tasks(self, pk):
        """The group's tasks as its members see them on the group page."""
        group, error = self._group(pk)
        if error:
            return error
        rows = [{"id": t.id, "letter_number": t.letter_number, "title": t.title, "lead_unit": t.lead_unit.name,
                 "co_units": [u.name for u in t.co_units], "deadline": t.deadline.isoformat() if t.deadline else None,
                 "status": t.status} for t in group_tasks(group)]
        return self.response(200, count=len(rows), result=rows)

    @expose("/<int:pk>/worklog", methods=["POST"])
    @protect()
    @safe
    def worklog(self, pk):
        """Add a work-log entry ({"date", "content"}); the author is the current user."""
        return self.api_step(pk, "worklog")


def register(appbuilder):
    add_view(appbuilder, GroupView, "领导协调组", "重点案件协调组", icon="fa-flag")
    appbuilder.add_view_no_menu(MemberView)
    appbuilder.add_view_no_menu(LogView)
    appbuilder.add_api(GroupApi)
