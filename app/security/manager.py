"""FAB security manager: our user model (with unit), JWT login bound to a login session, API keys, sign-in audit."""
from __future__ import annotations

from flask import current_app, g, has_request_context, request
from flask_appbuilder.api import safe
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.schemas import login_post
from flask_appbuilder.views import expose
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt, jwt_required
from marshmallow import ValidationError
from flask_appbuilder.security.sqla.manager import SecurityManager as FabSecurityManager

from app.models.org import ApiCredential, AppUser
from app.security.api_keys import CredentialRefused, PasswordChangeRequired, user_of_api_key
from app.security.permission_cache import PermissionCacheMixin
from app.security.sessions import _now as now_utc
from app.security.sessions import end_session, open_session, session_ends_at, user_of_open_session


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


class SecurityManager(PermissionCacheMixin, FabSecurityManager):
    """Who may do what, and how they sign in. Its pages (users, roles, passwords) are the web
    layer's: app/views/security.py sets them on this class before AppBuilder starts (factory)."""

    user_model = AppUser
    userstatschartview = None  # FAB's chart loads Google Charts from the internet; the product works offline
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
            elif isinstance(view, self.resetmypasswordview):  # the current password, asked before a change
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
