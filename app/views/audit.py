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


class AuditLogView(ScopedModelView):
    datamodel = SQLAInterface(m.AuditLog)
    class_permission_name = "Audit"
    list_title = show_title = _("审计日志")
    base_permissions = ["can_list", "can_show"]
    list_columns = ["at", "username", "action", "table_name", "record_id", "summary"]
    show_columns = ["at", "username", "ip", "action", "table_name", "record_id", "summary", "before", "after"]
    search_columns = ["username", "action", "table_name", "record_id", "at"]
    base_order = ("id", "desc")
    label_columns = {**ScopedModelView.label_columns, "summary": _("记录")}


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
    base_permissions = ["can_list", "can_show", "can_read"]
    list_columns = ["created_at", "message", "read_at"]
    show_columns = ["created_at", "message", "link", "read_at"]
    search_columns = ["message", "created_at"]
    base_order = ("id", "desc")
    label_columns = {**ScopedModelView.label_columns, "message": _("通知"), "link": _("链接"), "read_at": _("已读时间")}

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
