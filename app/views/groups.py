"""重点案件专门领导协调组机制: groups, members, tasks (supervised matters) and work log.

Member units' staff see the group (scope: GroupMember) and, on its page, the list of its tasks;
each task opens through the matter's own scope.
"""
from __future__ import annotations

from flask import abort, request
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _

from app import models as m
from app.extensions import db
from app.models.groups import GROUP_ROLE_LABELS
from app.security.scope import current_user, get_in_scope, scoped
from app.services import groups as service
from app.services.errors import BusinessError, NotFound
from app.services.validation import check_date_order
from app.views import add_view
from app.views.base import API_PERMISSIONS, ScopedApi, ScopedModelView, workflow_call
from app.views.base import RecordRules
from app.views.dashboard import ShowExtrasMixin, formatters, form_date, page_step


def _group_or_404(pk):
    try:
        return get_in_scope(db.session, m.CoordinationGroup, pk)
    except NotFound:
        abort(404)


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

    def show_extras(self, item):
        visible = {mid for (mid,) in scoped(db.session.query(m.Matter.id).filter(m.Matter.group_id == item.id),
                                            m.Matter)}
        units = sorted({mb.unit for mb in item.members if mb.unit is not None}, key=lambda u: u.sort_order)
        return {"tasks": group_tasks(item), "visible_task_ids": visible, "member_units": units}

    @expose("/task/<int:pk>", methods=["POST"])
    @has_access
    def task(self, pk):
        group = _group_or_404(pk)

        def run():
            return _create_task(group, request.form.get("title"), request.form.get("lead_unit_id"),
                                request.form.getlist("co_unit_ids"), form_date("deadline"), request.form.get("content"))
        return page_step(run, success="任务已函告成员单位", next_url=f"/group/show/{pk}")

    @expose("/dissolve/<int:pk>", methods=["POST"])
    @has_access
    def dissolve(self, pk):
        group = _group_or_404(pk)

        def run():
            return service.dissolve_group(db.session, group, current_user(), form_date("date"), request.form.get("reason"))
        return page_step(run, success="协调组已撤销", next_url=f"/group/show/{pk}")


def group_tasks(group: m.CoordinationGroup) -> list[m.Matter]:
    """The group's tasks, listed to everybody who may see the group (title, units, deadline, status)."""
    return (db.session.query(m.Matter).filter(m.Matter.group_id == group.id, m.Matter.status != "draft")
            .order_by(m.Matter.id).all())


def _unit(unit_id) -> m.Unit:
    try:
        unit = db.session.get(m.Unit, int(unit_id))
    except (TypeError, ValueError):
        unit = None
    if unit is None:
        raise BusinessError("请选择牵头单位", 422)
    return unit


def _create_task(group, title, lead_unit_id, co_unit_ids, deadline, content):
    lead = _unit(lead_unit_id)
    co = [_unit(i) for i in co_unit_ids or [] if str(i).strip()]
    return service.create_task(db.session, group, current_user(), title=title, lead_unit=lead, co_units=co,
                               deadline=deadline, content=content or "")


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
        group, error = self._group(pk)
        if error:
            return error
        try:
            date = form_date("date")
        except BusinessError as exc:
            return self.response(exc.status_code, message=exc.message)
        body = request.get_json(silent=True) or {}
        reason = body.get("reason") if isinstance(body, dict) else None
        result = workflow_call(self, service.dissolve_group, db.session, group, current_user(), date, reason)
        if not isinstance(result, m.CoordinationGroup):
            return result
        return self.response(200, id=group.id, status=group.status, dissolved_date=group.dissolved_date.isoformat())

    @expose("/<int:pk>/task", methods=["POST"])
    @protect()
    @safe
    def task(self, pk):
        """A task for member units: a supervised matter, sent at once
        ({"title", "lead_unit_id", "co_unit_ids", "deadline", "content"})."""
        group, error = self._group(pk)
        if error:
            return error
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message="请求体必须是 JSON 对象")
        try:
            deadline = form_date("deadline")
        except BusinessError as exc:
            return self.response(exc.status_code, message=exc.message)
        result = workflow_call(self, _create_task, group, body.get("title"), body.get("lead_unit_id"),
                               body.get("co_unit_ids") or [], deadline, body.get("content"))
        if not isinstance(result, m.Matter):
            return result
        return self.response(201, id=result.id, letter_number=result.letter_number, status=result.status)

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
        group, error = self._group(pk)
        if error:
            return error
        try:
            date = form_date("date")
        except BusinessError as exc:
            return self.response(exc.status_code, message=exc.message)
        body = request.get_json(silent=True) or {}
        content = body.get("content") if isinstance(body, dict) else None
        result = workflow_call(self, service.add_log, db.session, group, current_user(), content, date)
        if not isinstance(result, m.GroupLog):
            return result
        return self.response(201, id=result.id, author=result.author, log_date=result.log_date.isoformat())


def register(appbuilder):
    add_view(appbuilder, GroupView, "领导协调组", "重点案件协调组", icon="fa-flag")
    appbuilder.add_view_no_menu(MemberView)
    appbuilder.add_view_no_menu(LogView)
    appbuilder.add_api(GroupApi)
