"""The audit log page (read-only for everyone) and the user's notifications."""
from __future__ import annotations

from flask import redirect
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _

from app import models as m
from app.extensions import db
from app.security.scope import scoped
from app.views import add_view
from app.views.base import ScopedApi, ScopedModelView
from app.views.dashboard import ShowExtrasMixin


ACTION_LABELS = {"create": "新增", "update": "修改", "delete": "删除", "login": "登录", "login_failed": "登录失败",
                 "logout": "退出", "export": "导出", "sessions_ended": "结束会话", "api_key_used": "API密钥调用"}
TABLE_LABELS = {
    "unit": "成员单位", "ab_user": "用户", "setting": "系统设置", "holiday": "节假日", "category": "事项类别",
    "bankruptcy_case": "破产案件", "case_progress": "案件进展", "matter": "协调事项", "matter_assignment": "承办单位",
    "extension_request": "延期申请", "reminder": "催办", "meeting": "会议", "meeting_topic": "会议议题",
    "attendance": "参会签到", "minutes": "会议纪要", "decision": "议定事项", "policy": "政策与案例",
    "bulletin": "通报", "bulletin_section": "通报内容", "assessment": "风险评估", "disposal_plan": "处置方案",
    "plan_measure": "处置措施", "research_project": "联合调研", "proposal": "提案", "coordination_group": "领导协调组",
    "group_member": "协调组成员", "group_log": "协调组工作日志", "evaluation": "年度评价通报",
    "evaluation_entry": "单位评价", "clue_report": "违纪违法线索", "attachment": "附件", "ab_api_key": "API 密钥",
    "ab_role": "角色", "ab_user_role": "用户角色", "ab_permission_view_role": "角色权限", "ab_permission_view": "权限",
    "ab_permission": "基础权限", "ab_view_menu": "视图与菜单", "ab_group": "用户组", "ab_user_group": "用户组成员",
    "risk_scheme": "评估方案", "research_unit": "调研参与单位", "proposal_unit": "提案相关单位",
    "meeting_unit": "会议相关单位", "decision_co_unit": "议定事项配合单位", "minutes_distribution": "纪要分送",
    "bulletin_distribution": "通报分送", "category_unit": "类别建议单位", "notification": "通知",
}
# columns of FAB's own tables, for the before/after table of an audit row
FIELD_LABELS = {
    "first_name": "姓名", "last_name": "职务", "username": "用户名", "email": "电子邮箱", "phone": "联系电话",
    "last_login": "最近登录", "login_count": "登录次数", "fail_login_count": "失败次数", "created_on": "创建时间",
    "changed_on": "修改时间", "created_by_fk": "创建人", "changed_by_fk": "修改人", "unit_id": "所属单位",
    "must_change_password": "下次登录须修改密码", "password": "密码", "roles": "角色", "permissions": "权限",
    "id": "编号", "user_id": "用户", "role_id": "角色", "permission_view_id": "权限", "version_id": "版本号",
    "created_by_id": "创建人", "updated_at": "更新时间",
}


class AuditLogView(ShowExtrasMixin, ScopedModelView):
    """Read-only for everybody, admins included: only list and show routes exist."""

    datamodel = SQLAInterface(m.AuditLog)
    class_permission_name = "Audit"
    route_base = "/audit"
    list_title = show_title = _("审计日志")
    show_template = "audit/show.html"
    base_permissions = ["can_list", "can_show"]
    include_route_methods = {"list", "show"}
    list_columns = ["at", "username", "action", "table_name", "record_id", "summary"]
    show_columns = ["at", "username", "ip", "action", "table_name", "record_id", "summary"]
    search_columns = ["username", "action", "table_name", "record_id", "at"]
    order_columns = ["at", "username", "record_id"]
    base_order = ("id", "desc")
    label_columns = {**ScopedModelView.label_columns, "summary": _("记录")}
    formatters_columns = {"action": lambda v: ACTION_LABELS.get(v, v), "ip": lambda v: v or "",
                          "username": lambda v: "系统（自动）" if v in (None, "", "system") else v,
                          "table_name": lambda v: TABLE_LABELS.get(v, v or "")}

    def show_extras(self, item):
        return {"diff": audit_diff(item)}


def _load(text):
    import json

    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"": text}
    return value if isinstance(value, dict) else {"": value}


def audit_diff(item) -> list[dict]:
    """Rows (field, label, before, after, changed) for the show page, in a readable form."""
    from app.views.labels import LABELS

    before, after = _load(item.before), _load(item.after)
    rows = []
    for key in list(dict.fromkeys([*before.keys(), *after.keys()])):
        b, a = before.get(key), after.get(key)
        (shown_before, raw_before), (shown_after, raw_after) = _shown(b), _shown(a)
        rows.append({"field": key, "label": str(FIELD_LABELS.get(key) or LABELS.get(key) or key),
                     "before": shown_before, "after": shown_after, "raw": raw_before or raw_after,
                     "changed": item.action == "update" or b != a})
    return rows


def _shown(value) -> tuple[str, bool]:
    """A column holding JSON text (an evaluation entry's metrics with their derivations) reads as
    "label：value" lines when each part carries its Chinese label; other JSON is shown as the stored
    data it is (marked raw), not as if its keys were words for the reader."""
    import json

    if isinstance(value, str) and value[:1] in "{[":
        try:
            parsed = json.loads(value)
        except ValueError:
            return value, False
        if isinstance(parsed, dict) and parsed and all(isinstance(v, dict) and "label" in v for v in parsed.values()):
            return "\n".join(f"{part['label']}：{_readable(part.get('value'))}" for part in parsed.values()), False
        return value, True
    return _readable(value), False


def _readable(value) -> str:
    if value is None:
        return ""
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


class AuditApi(ScopedApi):
    resource_name = "audit"
    datamodel = SQLAInterface(m.AuditLog)
    class_permission_name = "Audit"
    include_route_methods = {"get", "get_list", "info"}
    base_permissions = ["can_list", "can_show"]
    list_columns = ["id", "at", "username", "action", "table_name", "record_id", "summary"]
    show_columns = list_columns + ["before", "after", "ip"]
    search_columns = ["username", "action", "table_name", "record_id", "at"]
    base_order = ("id", "desc")


class NotificationView(ScopedModelView):
    datamodel = SQLAInterface(m.Notification)
    class_permission_name = "Notification"
    list_title = _("我的通知")
    base_permissions = ["can_list", "can_show", "can_read", "can_read_all"]
    list_columns = ["created_at", "message", "read_at"]
    show_columns = ["created_at", "message", "link", "read_at"]
    search_columns = ["message", "created_at"]
    base_order = ("id", "desc")
    label_columns = {**ScopedModelView.label_columns, "message": _("通知"), "link": _("链接"), "read_at": _("已读时间")}

    @expose("/list/")
    @has_access
    def list(self):
        """The user's (and their unit's) notices, newest first, each opened through `read`."""
        items = (scoped(db.session.query(m.Notification), m.Notification)
                 .order_by(m.Notification.id.desc()).limit(200).all())
        return self.render_template("notifications.html", items=items, title=self.list_title)

    @expose("/read_all", methods=["POST"])
    @has_access
    def read_all(self):
        import datetime as dt

        stamp = dt.datetime.now().replace(microsecond=0)
        for item in scoped(db.session.query(m.Notification).filter(m.Notification.read_at.is_(None)), m.Notification):
            item.read_at = stamp
        db.session.commit()
        return redirect(self.get_redirect())

    @expose("/read/<int:pk>", methods=["POST"])
    @has_access
    def read(self, pk):
        """Mark one notice read and open what it is about."""
        import datetime as dt

        item = scoped(db.session.query(m.Notification).filter(m.Notification.id == pk), m.Notification).first()
        if item is None:
            return self.render_template("errors/404.html"), 404
        if item.read_at is None:
            item.read_at = dt.datetime.now().replace(microsecond=0)
            db.session.commit()
        return redirect(item.link or self.get_redirect())


def register(appbuilder):
    add_view(appbuilder, NotificationView, "我的通知", "工作台", icon="fa-bell")
    add_view(appbuilder, AuditLogView, "审计日志", "系统管理", icon="fa-history")
    appbuilder.add_api(AuditApi)
