"""Request hooks: session lifetime, page-size limits, security headers, Chinese error pages."""
from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import time

from flask import Flask, flash, g, jsonify, redirect, render_template, request, session, url_for
from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.services.errors import BusinessError, database_refusal

log = logging.getLogger(__name__)
PASSWORD_CHANGE_ENDPOINTS = {"ResetMyPasswordView.this_form_get", "ResetMyPasswordView.this_form_post",
                             "AuthDBView.logout", "AuthDBView.login", "static", "appbuilder.static"}
DB_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError)  # → 503, the app retries by itself
PAGE_ARG = re.compile(r"^(psize|page)_")
ERROR_TEXT = {
    400: ("请求无效", "请求的参数不正确，请返回上一页重试。"),
    403: ("无权访问", "您没有执行此操作的权限。如需开通，请联系系统管理员。"),
    404: ("页面不存在", "您要找的记录不存在，或您无权查看。"),
    405: ("操作方式不允许", "该操作不支持这种请求方式。"),
    409: ("操作冲突", "该记录已被他人修改或状态已变化，请刷新后重试。"),
    413: ("内容过大", "提交的内容（上传的文件或请求体）过大，超过了允许的大小，未作任何修改。"),
    422: ("数据无效", "提交的数据未通过校验，未作任何修改。"),
    429: ("操作过于频繁", "登录尝试次数过多，请稍后再试。"),
    500: ("系统错误", "系统出现错误，已记录。您的操作未完成，请稍后重试或联系系统管理员。"),
    503: ("服务暂不可用", "数据库暂时无法连接，系统将自动恢复，请稍后刷新页面。"),
}


def csp_nonce() -> str:
    """One random nonce per response, made on first use (also for responses that a before_request
    hook, such as the CSRF check, ended early)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(code: int, message: str | None = None):
    title, text = ERROR_TEXT.get(code, ERROR_TEXT[500])
    if _wants_json():
        return jsonify(message=message or text), code
    try:
        from flask import current_app

        return render_template("errors/error.html", code=code, title=title, text=message or text,
                               appbuilder=current_app.appbuilder,
                               base_template=current_app.appbuilder.base_template), code
    except Exception:  # the template itself may need the database
        return f"<h1>{title}</h1><p>{message or text}</p>", code, {"Content-Type": "text/html; charset=utf-8"}


def register_web_hooks(app: Flask) -> None:
    """Everything around the views, in the order Flask must run it: session limits, request guards,
    response headers, error pages, template globals."""
    _install_proxy(app)
    _install_login_session_signals(app)
    _install_fresh_nonce(app)
    _install_session_limits(app)
    _install_request_guards(app)
    _install_security_headers(app)
    _install_error_pages(app)
    _install_template_globals(app)
    _install_static_versions(app)


def _install_static_versions(app: Flask) -> None:
    """Static files are cached by browsers for a year (SEND_FILE_MAX_AGE_DEFAULT), so each URL of one
    (ours and FAB's, both built with `url_for`) carries a digest of the file's content: a release that
    changes a script or a style sheet is fetched at once, not a year later."""
    import hashlib

    from werkzeug.security import safe_join

    digests: dict[tuple[str, str], str | None] = {}

    @app.url_defaults
    def _static_version(endpoint, values):
        if endpoint not in ("static", "appbuilder.static") or "filename" not in values or "v" in values:
            return
        key = (endpoint, values["filename"])
        if key not in digests:
            folder = app.static_folder if endpoint == "static" else app.blueprints["appbuilder"].static_folder
            path = safe_join(folder, values["filename"]) if folder else None
            try:
                with open(path, "rb") as handle:
                    digests[key] = hashlib.sha256(handle.read()).hexdigest()[:12]
            except (OSError, TypeError):  # no such file: the URL stays as asked (a 404 says why)
                digests[key] = None
        if digests[key]:
            values["v"] = digests[key]


def _install_proxy(app: Flask) -> None:
    if app.config.get("PROXY_COUNT"):
        # Behind nginx: the client address (login throttling, audit) and the scheme (Secure cookies,
        # HSTS) come from X-Forwarded-For / X-Forwarded-Proto, trusted for that many proxies only.
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def _install_fresh_nonce(app: Flask) -> None:
    def _fresh_nonce():
        g.pop("csp_nonce", None)

    # first of all hooks (CSRF's included), so a shared app context (tests) never reuses a nonce
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_nonce)


def _install_session_limits(app: Flask) -> None:
    """Idle and absolute session limits, checked server-side on every request."""
    idle = dt.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    absolute = dt.timedelta(hours=app.config["SESSION_MAX_HOURS"])
    app.permanent_session_lifetime = idle

    @app.before_request
    def _session_lifetime():
        # FAB never marks the session permanent (FAB-NOTES): do it here so the cookie expires too.
        # The limits themselves are checked here, server-side, from times kept in the signed cookie,
        # and the `_sid` must name an open login_session row (logout closes it).
        if request.path.startswith("/static"):
            return None
        session.permanent = True
        now = int(time.time())
        if "_user_id" in session:
            from app.extensions import db
            from app.security.sessions import end_session, user_of_open_session

            started = session.get("_started", now)
            seen = session.get("_seen", now)
            expired = now - started > absolute.total_seconds() or now - seen > idle.total_seconds()
            if expired:
                end_session(db.session, session.get("_sid"))
            user = None if expired else user_of_open_session(db.session, session.get("_sid"), session["_user_id"],
                                                             kind="web")
            g._session_user = user
            if user is None:
                session.clear()
                for name in ("_login_user", "user"):
                    g.pop(name, None)
                if _wants_json():
                    return error_response(401, "登录已失效，请重新登录")
                flash("登录已超时或已退出，请重新登录。", "warning")
                return redirect(url_for("AuthDBView.login"))
        session["_seen"] = now
        return None


def _install_request_guards(app: Flask) -> None:
    """A forced password change leads to its form; paging arguments are numbers within the maximum."""
    max_page = app.config.get("FAB_API_MAX_PAGE_SIZE", 100)

    @app.before_request
    def _forced_password_change():
        # An administrator ticked "下次登录须修改密码" (or reset the password for the user):
        # every page leads to the change-password form until the user has chosen a new one.
        user = g.get("user")
        if (request.endpoint in PASSWORD_CHANGE_ENDPOINTS or request.path.startswith("/static")
                or user is None or not getattr(user, "is_authenticated", False)
                or not getattr(user, "must_change_password", False)):
            return None
        if _wants_json():
            return error_response(403, "请先在网页上修改密码")
        flash("管理员要求您修改密码：请设置一个新密码后继续。", "warning")
        return redirect(url_for("ResetMyPasswordView.this_form_get"))

    @app.before_request
    def _page_args():
        for key, value in request.args.items():
            if PAGE_ARG.match(key):
                if not value.isdigit():
                    return error_response(400, "分页参数必须是数字")
                if key.startswith("psize_") and int(value) > max_page:
                    args = request.args.to_dict(flat=True)
                    args[key] = str(max_page)
                    from urllib.parse import urlencode

                    return redirect(f"{request.path}?{urlencode(args)}")
        return None


def _install_security_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        nonce = csp_nonce()
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            f"script-src 'self' 'nonce-{nonce}'; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
        if not request.path.startswith("/static") and ("_user_id" in session or request.path.startswith("/api/")):
            # confidential pages, data and documents: never kept by browsers or shared caches
            response.headers["Cache-Control"] = "no-store"
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def _install_error_pages(app: Flask) -> None:
    """Every error as a Chinese page (or JSON under /api/), the session rolled back."""
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        # a throttle says which attempts it counts (sign-in, current password) in its own words
        said = exc.description if exc.code == 429 and isinstance(exc.description, str) else ""
        return error_response(exc.code or 500, said if any("\u4e00" <= ch <= "\u9fff" for ch in said) else None)

    from app.security.api_keys import CredentialRefused, PasswordChangeRequired

    # Flask files handlers of HTTP errors by status code: each class with its own code is named here.
    @app.errorhandler(CredentialRefused)
    @app.errorhandler(PasswordChangeRequired)
    def _credential_refused(exc: CredentialRefused):
        # a refused API key or token, or a forced password change: 401/403 with its own message
        return error_response(exc.code, exc.message)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(DisconnectionError)
    def _db_down(exc):
        log.exception("database unavailable")
        _rollback()
        return error_response(503)

    @app.errorhandler(BusinessError)
    def _refused(exc: BusinessError):
        # a refusal no handler caught (e.g. a lock met at commit): the user's words, nothing changed
        _rollback()
        return error_response(exc.status_code, exc.message)

    @app.errorhandler(IntegrityError)
    def _conflict(exc):
        _rollback()
        refusal = database_refusal(exc)
        return error_response(refusal.status_code, refusal.message)

    @app.errorhandler(SQLAlchemyError)
    def _db_error(exc):
        log.exception("database error")
        _rollback()
        return error_response(500)

    @app.errorhandler(Exception)
    def _unexpected(exc):
        log.exception("unexpected error")
        _rollback()
        return error_response(500)


def _install_template_globals(app: Flask) -> None:
    # A Jinja global, not only a context variable: FAB's templates import baselib without context,
    # where only globals are visible (its list widget printed nonce="" and the CSP blocked it).
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.context_processor
    def _notifications():
        from app.services.notifications import unread_count

        return {"unread_notifications": unread_count, "csp_nonce": csp_nonce}


def _install_login_session_signals(app: Flask) -> None:
    from flask_login import user_logged_in, user_logged_out

    def _logged_in(sender, user, **extra):
        from app.extensions import db
        from app.security.sessions import open_session

        now = int(time.time())
        session["_sid"] = open_session(db.session, user.id, app.config["SESSION_MAX_HOURS"], kind="web")
        session["_started"] = now
        session["_seen"] = now

    def _logged_out(sender, user, **extra):
        from app.extensions import db
        from app.security.sessions import end_session
        from app.services.audit import log_event

        sid = session.pop("_sid", None)
        if sid and getattr(user, "username", None):
            log_event(db.session, "logout", f"退出登录：{user.username}", username=user.username, user_id=user.id)
        end_session(db.session, sid)

    user_logged_in.connect(_logged_in, app, weak=False)
    user_logged_out.connect(_logged_out, app, weak=False)


def _rollback():
    try:
        from app.extensions import db

        db.session.rollback()
    except Exception:
        pass
