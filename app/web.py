"""Request hooks: session lifetime, page-size limits, security headers, Chinese error pages."""
from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import time

from flask import Flask, g, jsonify, redirect, render_template, request, session
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)
PAGE_ARG = re.compile(r"^(psize|page)_")
ERROR_TEXT = {
    400: ("请求无效", "请求的参数不正确，请返回上一页重试。"),
    403: ("无权访问", "您没有执行此操作的权限。如需开通，请联系系统管理员。"),
    404: ("页面不存在", "您要找的记录不存在，或您无权查看。"),
    405: ("操作方式不允许", "该操作不支持这种请求方式。"),
    409: ("操作冲突", "该记录已被他人修改或状态已变化，请刷新后重试。"),
    413: ("文件过大", "上传的文件超过了允许的大小。"),
    422: ("数据无效", "提交的数据未通过校验，未作任何修改。"),
    429: ("操作过于频繁", "登录尝试次数过多，请稍后再试。"),
    500: ("系统错误", "系统出现错误，已记录。您的操作未完成，请稍后重试或联系系统管理员。"),
    503: ("服务暂不可用", "数据库暂时无法连接，系统将自动恢复，请稍后刷新页面。"),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(code: int, message: str | None = None):
    title, text = ERROR_TEXT.get(code, ERROR_TEXT[500])
    if _wants_json():
        return jsonify(message=message or text), code
    try:
        from flask import current_app

        return render_template("errors/error.html", code=code, title=title, text=message or text,
                               appbuilder=current_app.appbuilder), code
    except Exception:  # the template itself may need the database
        return f"<h1>{title}</h1><p>{message or text}</p>", code, {"Content-Type": "text/html; charset=utf-8"}


def register_web_hooks(app: Flask) -> None:
    idle = dt.timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    absolute = dt.timedelta(hours=app.config["SESSION_MAX_HOURS"])
    app.permanent_session_lifetime = idle
    max_page = app.config.get("FAB_API_MAX_PAGE_SIZE", 100)

    @app.before_request
    def _session_lifetime():
        # FAB never marks the session permanent (FAB-NOTES): do it here so the idle timeout applies.
        if request.path.startswith("/static"):
            return None
        session.permanent = True
        now = int(time.time())
        started = session.get("_started")
        if started is None:
            session["_started"] = now
        elif now - started > absolute.total_seconds() and "_user_id" in session:
            session.clear()
            return redirect("/login/")
        return None

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

    @app.before_request
    def _csp_nonce():
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        nonce = g.get("csp_nonce", "")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            f"script-src 'self' 'nonce-{nonce}'; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return error_response(exc.code or 500)

    @app.errorhandler(OperationalError)
    def _db_down(exc):
        log.exception("database unavailable")
        _rollback()
        return error_response(503)

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

    @app.context_processor
    def _notifications():
        from app.services.notifications import unread_count

        return {"unread_notifications": unread_count, "csp_nonce": lambda: g.get("csp_nonce", "")}


def _rollback():
    try:
        from app.extensions import db

        db.session.rollback()
    except Exception:
        pass
