"""FAB security manager: our user model (with unit), Chinese user pages, sign-in audit."""
from __future__ import annotations

from flask import g
from flask_appbuilder.security.sqla.manager import SecurityManager as FabSecurityManager
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import lazy_gettext as _

from app.models.org import AppUser
from app.security.permission_cache import PermissionCacheMixin


class UnitUserView(UserDBModelView):
    """Users page where the admin picks the member unit of a UnitStaff user."""

    list_columns = ["first_name", "username", "unit", "roles", "active", "last_login"]
    search_columns = ["username", "first_name", "last_name", "unit", "roles", "active"]
    add_columns = ["first_name", "last_name", "username", "email", "phone", "unit", "roles", "active",
                   "password", "conf_password"]
    edit_columns = ["first_name", "last_name", "username", "email", "phone", "unit", "roles", "active",
                    "must_change_password"]
    show_fieldsets = [
        (_("用户信息"), {"fields": ["username", "first_name", "last_name", "unit", "roles", "active"]}),
        (_("联系方式"), {"fields": ["email", "phone"]}),
        (_("登录情况"), {"fields": ["last_login", "login_count", "fail_login_count", "created_on", "changed_on"],
                      "expanded": False}),
    ]
    label_columns = {
        "first_name": _("姓名"), "last_name": _("职务"), "username": _("用户名"), "email": _("电子邮箱"),
        "phone": _("联系电话"), "unit": _("所属单位"), "roles": _("角色"), "active": _("启用"),
        "last_login": _("最近登录"), "login_count": _("登录次数"), "fail_login_count": _("失败次数"),
        "created_on": _("创建时间"), "changed_on": _("修改时间"), "password": _("密码"),
        "conf_password": _("确认密码"), "must_change_password": _("下次登录须修改密码"),
    }
    description_columns = {"unit": _("成员单位联络人（UnitStaff）必须选择所属单位；其他角色可不选")}
    validators_columns = {}

    def pre_add(self, item):
        _require_unit_for_staff(item)
        super().pre_add(item)

    def pre_update(self, item):
        _require_unit_for_staff(item)
        super().pre_update(item)


def _require_unit_for_staff(user) -> None:
    names = {role.name for role in user.roles or []}
    if "UnitStaff" in names and user.unit is None:
        raise ValueError("成员单位联络人必须选择所属单位")
    if not user.roles:
        raise ValueError("请至少选择一个角色")


class SecurityManager(PermissionCacheMixin, FabSecurityManager):
    user_model = AppUser
    userdbmodelview = UnitUserView

    def auth_user_db(self, username, password):
        user = super().auth_user_db(username, password)
        from app.extensions import db
        from app.services.audit import log_event

        try:
            if user is None:
                log_event(db.session, "login_failed", f"登录失败：{(username or '')[:60]}", username=(username or "")[:128])
            else:
                log_event(db.session, "login", f"登录成功：{user.username}", username=user.username, user_id=user.id)
            db.session.commit()
        except Exception:  # the audit must never block a sign-in
            db.session.rollback()
        return user

    def current_unit_id(self):
        return getattr(getattr(g, "user", None), "unit_id", None)
