"""FAB security manager: our user model (with unit), Chinese user pages, sign-in audit."""
from __future__ import annotations

from flask import current_app, g, has_request_context, request
from flask_appbuilder.api import safe
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.schemas import login_post
from flask_appbuilder.views import expose
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt, jwt_required
from marshmallow import ValidationError
from flask_appbuilder.security.sqla.manager import SecurityManager as FabSecurityManager
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.forms import ResetPasswordForm
from flask_appbuilder.security.views import ResetMyPasswordView as FabResetMyPasswordView
from flask_appbuilder.security.views import ResetPasswordView as FabResetPasswordView
from flask_appbuilder.security.views import UserDBModelView
from flask_appbuilder.validators import PasswordComplexityValidator
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo
from flask_babel import lazy_gettext as _

from app.models.org import ApiCredential, AppUser
from app.security.api_keys import CredentialRefused, PasswordChangeRequired, user_of_api_key
from app.security.permission_cache import PermissionCacheMixin
from app.security.sessions import _now as now_utc
from app.security.sessions import end_session, open_session, session_ends_at, user_of_open_session
from app.security.permission_names import role_label
from app.views.forms import FriendlyListWidget, KeepFormOnRefusal


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


LOGIN_MESSAGES = {
    400: "请求无效：请提供用户名和密码（JSON）。",
    401: "用户名或密码错误。",
    403: "无权访问。",
    404: "记录不存在或无权访问。",
    500: "系统错误，已记录。请稍后重试或联系系统管理员。",
}


class FyldSecurityApi(SecurityApi):
    """FAB's JWT login with Chinese messages, and tokens bound to a login session (issue 11).

    The access and refresh tokens of one API login carry the id of its `login_session` row (claim
    `sid`); every request checks that row (SecurityManager.load_user_jwt), so logout, a password
    reset, deactivation or a role change ends the tokens on every worker. A refresh keeps the
    session, and no token outlives the session's absolute lifetime (SESSION_MAX_HOURS).
    """

    def add_apispec_components(self, api_spec):
        """FAB's three security schemes, described in Chinese (the spec is read by integrators)."""
        from flask_appbuilder.api import BaseApi

        BaseApi.add_apispec_components(self, api_spec)
        api_spec.components.security_scheme("jwt", {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "个人登录（POST /api/v1/security/login）取得的访问令牌：Authorization: Bearer <访问令牌>"})
        api_spec.components.security_scheme("jwt_refresh", {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "登录时 refresh 为 true 返回的刷新令牌，只用于 /api/v1/security/refresh 和 logout"})
        api_spec.components.security_scheme("api_key", {
            "type": "http", "scheme": "bearer", "bearerFormat": "API Key",
            "description": "外部系统的 API 密钥（系统管理 → API 密钥签发）：Authorization: Bearer fyld_…"})

    @expose("/login", methods=["POST"])
    @safe
    def login(self):
        """API 登录：用户名和密码换取访问令牌（及刷新令牌）
        ---
        post:
          description: >-
            以用户名和密码登录，开启一个 API 登录会话。访问令牌放在请求头 `Authorization: Bearer <令牌>`；
            `refresh` 为 true 时同时返回刷新令牌。两种令牌都属于本次会话：退出登录、管理员重设密码、
            本人修改密码、停用或改变角色后立即失效；会话最长 SESSION_MAX_HOURS 小时，
            空闲 SESSION_IDLE_MINUTES 分钟后失效。集成系统请使用 API 密钥，而不是个人密码。
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [username, password]
                  properties:
                    username: {type: string, description: 用户名}
                    password: {type: string, description: 密码}
                    provider: {type: string, enum: [db], default: db, description: 认证方式}
                    refresh: {type: boolean, description: 是否同时返回刷新令牌}
          responses:
            200:
              description: 登录成功
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      access_token: {type: string}
                      refresh_token: {type: string}
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            500:
              $ref: '#/components/responses/500'
        """
        if not request.is_json:
            return self.response_400()
        try:
            payload = login_post.load(request.json)
        except ValidationError:
            return self.response_400()
        if payload.get("provider", "db") != "db":
            return self.response_400()
        user = self.appbuilder.sm.auth_user_db(payload["username"], payload["password"])
        if not user:
            return self.response_401()
        sid = open_session(self.appbuilder.session, user.id, kind="api")
        return self.response(200, **issue_tokens(user.id, sid, refresh=bool(payload.get("refresh")), fresh=True))

    @expose("/refresh", methods=["POST"])
    @jwt_required(refresh=True)
    @safe
    def refresh(self):
        """以刷新令牌换取新的访问令牌（同一登录会话）
        ---
        post:
          description: >-
            刷新令牌须属于仍然有效的登录会话；新访问令牌属于同一会话，有效期不超过会话的最长有效期。
          responses:
            200:
              description: 新的访问令牌
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      access_token: {type: string}
            401:
              $ref: '#/components/responses/401'
            500:
              $ref: '#/components/responses/500'
          security:
            - jwt_refresh: []
        """
        claims = get_jwt()
        return self.response(200, **issue_tokens(claims["sub"], claims["sid"], refresh=False, fresh=False))

    @expose("/logout", methods=["POST"])
    @jwt_required(verify_type=False)
    @safe
    def logout(self):
        """退出 API 登录：结束令牌所属的登录会话
        ---
        post:
          description: >-
            用访问令牌或刷新令牌调用；本次登录的访问令牌和刷新令牌随即失效（所有服务器进程）。
          responses:
            200:
              description: 已退出
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message: {type: string}
            401:
              $ref: '#/components/responses/401'
            500:
              $ref: '#/components/responses/500'
          security:
            - jwt: []
        """
        from app.extensions import db
        from app.services.audit import log_event

        user = g.get("user")
        log_event(db.session, "logout", f"退出登录（API）：{getattr(user, 'username', '')}")
        end_session(db.session, get_jwt().get("sid"))
        return self.response(200, message="已退出登录：本次登录的访问令牌和刷新令牌均已失效。")

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


def issue_tokens(user_id, sid: str, refresh: bool, fresh: bool) -> dict:
    """Tokens of the login session `sid`: none outlives the session's absolute lifetime."""
    import datetime as dt

    from app.extensions import db

    ends = session_ends_at(db.session, sid)
    remaining = max((ends - now_utc()) if ends else dt.timedelta(0), dt.timedelta(seconds=1))
    access = current_app.config.get("JWT_ACCESS_TOKEN_EXPIRES") or dt.timedelta(minutes=15)
    if not isinstance(access, dt.timedelta):
        access = dt.timedelta(seconds=int(access))
    claims = {"sid": sid}
    tokens = {"access_token": create_access_token(identity=str(user_id), fresh=fresh, additional_claims=claims,
                                                  expires_delta=min(access, remaining))}
    if refresh:
        tokens["refresh_token"] = create_refresh_token(identity=str(user_id), additional_claims=claims,
                                                       expires_delta=remaining)
    return tokens


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
    # FAB's key checks (protect(), has_access) on our model; keys are issued on 系统管理 → API 密钥
    # (app/views/api_keys.py): FAB's own ApiKeyApi stays unregistered (FAB_ADD_SECURITY_API = False).
    api_key_model = ApiCredential

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
        guesses = self.limiter.shared_limit(config["AUTH_RATE_LIMIT"], scope="login", methods=["POST"],
                                            deduct_when=_login_failed, error_message="密码尝试次数过多，请稍后再试。")
        for view in self.appbuilder.baseviews:
            if isinstance(view, SecurityApi):
                limit(view.blueprint)
            elif isinstance(view, ResetMyPasswordView):  # the current password, asked before a change
                guesses(view.blueprint)

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
        manager.user_lookup_error_loader(lambda header, payload: answer(401, "登录已失效（已退出、超时、密码或权限已变更，"
                                                                             "或账号已停用），请重新登录"))
        return manager

    def load_user_jwt(self, _jwt_header, jwt_data):
        """Every JWT request: the token's login session must be open (one statement, which also loads
        the user with roles and groups), and a forced password change blocks the API too."""
        user = user_of_open_session(self.session, jwt_data.get("sid"), jwt_data.get("sub"), kind="api")
        if user is None or not user.is_active:
            return None
        if getattr(user, "must_change_password", False):
            raise PasswordChangeRequired()
        g.user = user
        g._session_user = user
        return user

    def validate_api_key(self, api_key_string):
        """FAB's `protect()` calls this for `Authorization: Bearer fyld_…` before any JWT check."""
        user = user_of_api_key(self.session, api_key_string, request.remote_addr if has_request_context() else None)
        if user is None:
            raise CredentialRefused()
        if getattr(user, "must_change_password", False):
            raise PasswordChangeRequired()
        g.user = user
        g._session_user = user
        g._api_key_user = True
        return user

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
        if user is None:  # `?pk=` of nobody (or not a number) on the reset page
            from flask import abort

            abort(404)
        current = getattr(g, "user", None) if has_request_context() else None
        user.must_change_password = current is None or getattr(current, "id", None) != user.id
        super().reset_password(user.id, password)

    def current_unit_id(self):
        return getattr(getattr(g, "user", None), "unit_id", None)
