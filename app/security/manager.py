"""FAB security manager: our user model (with unit), Chinese user pages, sign-in audit."""
from __future__ import annotations

from flask import current_app, g, has_request_context, request
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager as FabSecurityManager
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.security.forms import ResetPasswordForm
from flask_appbuilder.security.views import ResetMyPasswordView as FabResetMyPasswordView
from flask_appbuilder.security.views import ResetPasswordView as FabResetPasswordView
from flask_appbuilder.security.views import UserDBModelView
from flask_appbuilder.validators import PasswordComplexityValidator
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo
from flask_babel import lazy_gettext as _

from app.models.org import AppUser
from app.security.permission_cache import PermissionCacheMixin
from app.security.permission_names import role_label
from app.views.forms import FriendlyListWidget, KeepFormOnRefusal


PASSWORD_HINT = _("至少 12 个字符，可用中文、空格和任意符号，建议用一句好记的长句；过于常见的口令会被拒绝")


class PolicyResetPasswordForm(ResetPasswordForm):
    """FAB's form said "this application does not check this for you" — it does now."""

    password = PasswordField(_("密码"), description=PASSWORD_HINT,
                             validators=[DataRequired(), PasswordComplexityValidator()], widget=BS3PasswordFieldWidget())
    # redefined after `password` so that the form keeps its order (WTForms orders by creation)
    conf_password = PasswordField(_("确认密码"), description=_("请再输入一次新密码"),
                                  validators=[EqualTo("password", message=_("两次输入的密码不一致"))],
                                  widget=BS3PasswordFieldWidget())


# Same class names as FAB's: the endpoints and permission names stay ResetMyPasswordView / ResetPasswordView.
class ResetMyPasswordView(FabResetMyPasswordView):
    form = PolicyResetPasswordForm
    form_title = _("修改密码")


class ResetPasswordView(FabResetPasswordView):
    form = PolicyResetPasswordForm
    form_title = _("重设用户密码")


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
    names = {role.name for role in user.roles or []}
    if "UnitStaff" in names and user.unit is None:
        raise ValueError("成员单位联络人必须选择所属单位")
    if not user.roles:
        raise ValueError("请至少选择一个角色")


LOGIN_MESSAGES = {
    400: "请求无效：请提供用户名和密码（JSON）。",
    401: "用户名或密码错误。",
    403: "无权访问。",
    404: "记录不存在或无权访问。",
    500: "系统错误，已记录。请稍后重试或联系系统管理员。",
}


class FyldSecurityApi(SecurityApi):
    """FAB's JWT login endpoint with Chinese messages (FAB answers "Not authorized" etc.)."""

    def response_400(self, message=None):
        return self.response(400, message=LOGIN_MESSAGES[400])

    def response_401(self):
        return self.response(401, message=g.get("login_refusal") or LOGIN_MESSAGES[401])

    def response_403(self):
        return self.response(403, message=LOGIN_MESSAGES[403])

    def response_404(self):
        return self.response(404, message=LOGIN_MESSAGES[404])

    def response_500(self, message=None):
        return self.response(500, message=LOGIN_MESSAGES[500])


def _login_failed(response) -> bool:
    """Flask-Limiter deduct_when: only failed sign-ins count towards the throttle."""
    return bool(g.get("login_failed"))


from app.views.roles import (ChineseGroupView, ChinesePermissionView, ChinesePermissionViewView,  # noqa: E402
                             ChineseRoleView, ChineseViewMenuView)


class SecurityManager(PermissionCacheMixin, FabSecurityManager):
    user_model = AppUser
    userdbmodelview = UnitUserView
    rolemodelview = ChineseRoleView  # Chinese role and permission names, the permission matrix (app/views/roles.py)
    groupmodelview = ChineseGroupView
    permissionmodelview = ChinesePermissionView
    viewmenumodelview = ChineseViewMenuView
    permissionviewmodelview = ChinesePermissionViewView
    userstatschartview = None  # FAB's chart loads Google Charts from the internet; the product works offline
    resetmypasswordview = ResetMyPasswordView
    resetpasswordview = ResetPasswordView
    security_api = FyldSecurityApi

    @property
    def is_auth_limited(self) -> bool:
        # FAB would count every POST to /login/ (successful ones too, and not the API login):
        # register_views applies our own limit, on failures only, to both doors.
        return False

    def register_views(self):
        super().register_views()
        config = current_app.config
        if not config.get("AUTH_RATE_LIMITED"):
            return
        # one counter per client for both doors: failures on the page and on the API add up
        limit = self.limiter.shared_limit(config["AUTH_RATE_LIMIT"], scope="login", methods=["POST"],
                                          deduct_when=_login_failed, error_message="登录尝试次数过多，请稍后再试。")
        limit(self.auth_view.blueprint)
        for view in self.appbuilder.baseviews:
            if isinstance(view, SecurityApi):
                limit(view.blueprint)

    def create_jwt_manager(self, app):
        """flask-jwt-extended answers {"msg": "Missing Authorization Header"}: Chinese instead."""
        manager = super().create_jwt_manager(app)

        def answer(code, message):
            from flask import jsonify

            return jsonify(message=message), code

        manager.unauthorized_loader(lambda reason: answer(401, "未登录或登录已失效：请先取得访问令牌（JWT）"))
        manager.invalid_token_loader(lambda reason: answer(401, "访问令牌无效，请重新登录"))
        manager.expired_token_loader(lambda header, payload: answer(401, "访问令牌已过期，请重新登录"))
        manager.revoked_token_loader(lambda header, payload: answer(401, "访问令牌已失效，请重新登录"))
        manager.needs_fresh_token_loader(lambda header, payload: answer(401, "请重新登录后再执行此操作"))
        manager.user_lookup_error_loader(lambda header, payload: answer(401, "用户不存在或已停用"))
        return manager

    def auth_user_db(self, username, password):
        user = super().auth_user_db(username, password)
        from app.extensions import db
        from app.services.audit import log_event

        if (user is not None and getattr(user, "must_change_password", False) and has_request_context()
                and request.path.startswith("/api/")):
            # A forced password change happens on the page; no API token until then.
            g.login_refusal = "管理员要求您修改密码：请先登录网页修改密码。"
            try:
                log_event(db.session, "login_failed", f"登录被拒（须先修改密码）：{user.username}",
                          username=user.username, user_id=user.id)
                db.session.commit()
            except Exception:
                db.session.rollback()
            return None
        try:
            if user is None:
                log_event(db.session, "login_failed", f"登录失败：{(username or '')[:60]}", username=(username or "")[:128])
            else:
                log_event(db.session, "login", f"登录成功：{user.username}", username=user.username, user_id=user.id)
            db.session.commit()
        except Exception:  # the audit must never block a sign-in
            db.session.rollback()
        if user is None and has_request_context():
            g.login_failed = True
        return user

    def reset_password(self, userid, password):
        """Someone else (an administrator) setting the password means the user must choose their
        own at next sign-in; the user changing it themselves clears the flag."""
        user = self.get_user_by_id(userid)
        current = getattr(g, "user", None) if has_request_context() else None
        if user is not None:
            user.must_change_password = current is None or getattr(current, "id", None) != user.id
        super().reset_password(userid, password)

    def current_unit_id(self):
        return getattr(getattr(g, "user", None), "unit_id", None)
