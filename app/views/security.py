"""The security pages: users (with their member unit), passwords, and the Chinese role editor.

The security manager (app/security/manager.py) decides who may do what and knows nothing of pages;
`install_security_views` puts these pages on its class, as FAB's documented way of customising them
(``userdbmodelview = …`` on the security manager), before AppBuilder starts (app/factory.py).
"""
from __future__ import annotations

from flask import g
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.forms import ResetPasswordForm
from flask_appbuilder.security.views import ResetMyPasswordView as FabResetMyPasswordView
from flask_appbuilder.security.views import ResetPasswordView as FabResetPasswordView
from flask_appbuilder.security.views import UserDBModelView
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import lazy_gettext as _
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo

from app.security.permission_names import role_label
from app.views.forms import FriendlyListWidget, KeepFormOnRefusal
from app.views.roles import (ChineseGroupView, ChinesePermissionView, ChinesePermissionViewView, ChineseRoleView,
                             ChineseViewMenuView)

PASSWORD_HINT = _("至少 12 个字符，可用中文、空格和任意符号，建议用一句好记的长句；过于常见的口令会被拒绝")


def _new_password_field():
    return PasswordField(_("新密码"), description=PASSWORD_HINT,
                         validators=[DataRequired(), PasswordComplexityValidator()], widget=BS3PasswordFieldWidget())


def _confirm_password_field():
    return PasswordField(_("确认密码"), description=_("请再输入一次新密码"),
                         validators=[EqualTo("password", message=_("两次输入的密码不一致"))],
                         widget=BS3PasswordFieldWidget())


class PolicyResetPasswordForm(ResetPasswordForm):
    """FAB's form said "this application does not check this for you" — it does now."""

    password = _new_password_field()
    # redefined after `password` so that the form keeps its order (WTForms orders by creation)
    conf_password = _confirm_password_field()


def _is_current_password(form, field):
    """Changing one's own password needs the current one: a borrowed or stolen page session must not
    be enough to lock the owner out (OWASP ASVS 2.1.6)."""
    from werkzeug.security import check_password_hash
    from wtforms.validators import ValidationError as FormValidationError

    user = g.get("user")
    if not field.data or not getattr(user, "password", None) or not check_password_hash(user.password, field.data):
        g.login_failed = True  # counts towards the sign-in throttle: no guessing through this form either
        raise FormValidationError("当前密码不正确")


class OwnPasswordForm(DynamicForm):
    """The user's own change: current password first, then the new one twice (WTForms keeps the order
    of definition)."""

    current_password = PasswordField(_("当前密码"), description=_("为确认是您本人，请先输入当前密码"),
                                     validators=[DataRequired(message=_("请输入当前密码")), _is_current_password],
                                     widget=BS3PasswordFieldWidget())
    password = _new_password_field()
    conf_password = _confirm_password_field()


# Same class names as FAB's: the endpoints and permission names stay ResetMyPasswordView / ResetPasswordView.
class ResetMyPasswordView(FabResetMyPasswordView):
    form = OwnPasswordForm
    form_title = _("修改密码")
    message = _("密码已修改。您在其他浏览器或设备上的登录和 API 令牌均已失效，本页面可继续使用。")


class ResetPasswordView(FabResetPasswordView):
    form = PolicyResetPasswordForm
    form_title = _("重设用户密码")
    message = _("密码已重设。该用户的全部登录会话和 API 令牌已立即失效，下次登录须设置新密码。")


class UnitUserView(KeepFormOnRefusal, UserDBModelView):
    """Users page where the admin picks the member unit of a UnitStaff user."""

    list_widget = FriendlyListWidget

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
    description_columns = {"unit": _("成员单位联络人（UnitStaff）必须选择所属单位；其他角色可不选"),
                           "password": PASSWORD_HINT,
                           "must_change_password": _("勾选后，该用户下次登录须先设置新密码才能使用系统")}
    validators_columns = {}
    formatters_columns = {
        "roles": lambda roles: "、".join(role_label(r.name) for r in roles or []),
        "unit": lambda unit: unit.name if unit else "",
        "phone": lambda value: value or "", "last_name": lambda value: value or "", "email": lambda value: value or "",
        "login_count": lambda value: value or 0, "fail_login_count": lambda value: value or 0,
        "active": lambda value: "是" if value else "否",
        "must_change_password": lambda value: "是" if value else "否",
        "last_login": lambda value: value.strftime("%Y-%m-%d %H:%M") if value else "从未登录",
        "created_on": lambda value: value.strftime("%Y-%m-%d %H:%M") if value else "",
        "changed_on": lambda value: value.strftime("%Y-%m-%d %H:%M") if value else "",
    }
    user_show_fieldsets = [
        (_("用户信息"), {"fields": ["username", "first_name", "last_name", "unit", "roles"]}),
        (_("联系方式"), {"fields": ["email", "phone"], "expanded": True}),
    ]
    add_form_extra_fields = {
        "password": PasswordField(_("密码"), description=PASSWORD_HINT,
                                  validators=[DataRequired(), PasswordComplexityValidator()], widget=BS3PasswordFieldWidget()),
        "conf_password": PasswordField(_("确认密码"), description=_("请再输入一次密码"),
                                       validators=[DataRequired(), EqualTo("password", message=_("两次输入的密码不一致"))],
                                       widget=BS3PasswordFieldWidget()),
    }

    def _init_forms(self):
        """Roles by their Chinese names in the select box (成员单位联络人, not UnitStaff)."""
        from flask_appbuilder.fields import QuerySelectMultipleField
        from flask_appbuilder.fieldwidgets import Select2ManyWidget

        def roles():
            from app.extensions import db

            return db.session.query(self.appbuilder.sm.role_model).order_by(self.appbuilder.sm.role_model.id).all()

        field = QuerySelectMultipleField(_("角色"), query_func=roles, get_pk_func=lambda r: r.id,
                                         get_label=lambda r: role_label(r.name), widget=Select2ManyWidget(),
                                         validators=[DataRequired(message=_("请至少选择一个角色"))])
        self.add_form_extra_fields = {**(self.add_form_extra_fields or {}), "roles": field}
        self.edit_form_extra_fields = {**(self.edit_form_extra_fields or {}), "roles": field}
        super()._init_forms()

    def pre_add(self, item):
        _require_unit_for_staff(item)
        super().pre_add(item)

    def pre_update(self, item):
        _require_unit_for_staff(item)
        super().pre_update(item)


def _require_unit_for_staff(user) -> None:
    from app.extensions import db
    from app.security.permissions import role_requires_unit

    with db.session.no_autoflush:  # the new user is not in the session yet
        needs_unit = user.unit is None and any(role_requires_unit(role) for role in user.roles or [])
    if needs_unit:
        raise ValueError("所选角色只能查看本单位的记录（如成员单位联络人），必须选择所属单位")
    if not user.roles:
        raise ValueError("请至少选择一个角色")


def install_security_views(security_manager_class) -> None:
    """Our pages in place of FAB's, on the security manager class AppBuilder is about to start."""
    security_manager_class.userdbmodelview = UnitUserView
    security_manager_class.rolemodelview = ChineseRoleView  # role and permission names in Chinese, the matrix
    security_manager_class.groupmodelview = ChineseGroupView
    security_manager_class.permissionmodelview = ChinesePermissionView
    security_manager_class.viewmenumodelview = ChineseViewMenuView
    security_manager_class.permissionviewmodelview = ChinesePermissionViewView
    security_manager_class.resetmypasswordview = ResetMyPasswordView
    security_manager_class.resetpasswordview = ResetPasswordView
