"""The audit log: one session hook that sees every ORM change (who, when, which record, before/after).

A hook rather than per-view code so that no path (page, API, CLI, bulk action) can change business
data without leaving a trace. Password hashes are never logged.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

SKIPPED_TABLES = {"audit_log", "doc_counter", "notification", "matter_event", "ab_permission",
                  "ab_view_menu", "ab_permission_view"}
SECRET_COLUMNS = {"password", "key_hash", "lookup_hash"}  # never a hash of a password or an API key
NOISE_COLUMNS = {"version_id", "updated_at", "changed_on", "last_login", "login_count", "fail_login_count"}
_installed: set[int] = set()


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return str(value)


def _actor() -> tuple[int | None, str, str | None]:
    try:
        from flask import g, has_request_context, request

        user = getattr(g, "user", None)
        ip = request.remote_addr if has_request_context() else None
        if user is not None and getattr(user, "id", None):
            return user.id, user.username, ip
        return None, getattr(g, "actor_name", None) or ("anonymous" if has_request_context() else "system"), ip
    except RuntimeError:
        return None, "system", None


def _snapshot(obj, attrs=None) -> dict:
    state = inspect(obj)
    out = {}
    for column in state.mapper.column_attrs:
        key = column.key
        if key in SECRET_COLUMNS or (attrs is not None and key not in attrs):
            continue
        out[key] = _plain(state.attrs[key].loaded_value if key in state.dict else None)
    return out


def _changes(obj) -> tuple[dict, dict]:
    state = inspect(obj)
    before, after = {}, {}
    for attr in state.mapper.attrs:
        key = attr.key
        if key in SECRET_COLUMNS or key in NOISE_COLUMNS:
            continue
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        if hasattr(attr, "columns"):
            before[key] = _plain(hist.deleted[0] if hist.deleted else None)
            after[key] = _plain(hist.added[0] if hist.added else None)
        elif getattr(attr, "secondary", None) is not None:
            unchanged = [str(v) for v in hist.unchanged]
            before[key] = unchanged + [str(v) for v in hist.deleted]
            after[key] = unchanged + [str(v) for v in hist.added]
    return before, after


def _record_id(obj) -> str | None:
    state = inspect(obj)
    # a new row has no identity key yet in after_flush: read its primary key from the instance
    identity = state.identity or state.mapper.primary_key_from_instance(obj)
    if identity and all(v is not None for v in identity):
        return ",".join(str(v) for v in identity)
    return None


def install(session_factory) -> None:
    """Attach the hooks once to the scoped session's Session class."""
    target = Session
    if id(target) in _installed:
        return
    _installed.add(id(target))

    @event.listens_for(target, "before_flush")
    def _collect(session, flush_context, instances):
        pending = session.info.setdefault("audit_pending", [])
        for obj in session.dirty:
            table = getattr(obj, "__tablename__", None)
            if table in SKIPPED_TABLES or table is None or not session.is_modified(obj):
                continue
            before, after = _changes(obj)
            if before or after:
                pending.append(("update", obj, before, after))
        for obj in session.deleted:
            table = getattr(obj, "__tablename__", None)
            if table in SKIPPED_TABLES or table is None:
                continue
            pending.append(("delete", obj, _snapshot(obj), None))
        session.info["audit_new"] = [o for o in session.new if getattr(o, "__tablename__", None) not in SKIPPED_TABLES]

    @event.listens_for(target, "after_flush")
    def _write(session, flush_context):
        from app.models.common import AuditLog

        user_id, username, ip = _actor()
        rows = []
        for action, obj, before, after in session.info.pop("audit_pending", []):
            rows.append(_row(action, obj, before, after, user_id, username, ip))
        for obj in session.info.pop("audit_new", []):
            rows.append(_row("create", obj, None, _snapshot(obj), user_id, username, ip))
        if rows:
            session.connection().execute(AuditLog.__table__.insert(), rows)


def _row(action, obj, before, after, user_id, username, ip) -> dict:
    return {
        "at": dt.datetime.now().replace(microsecond=0),
        "user_id": user_id,
        "username": username,
        "action": action,
        "table_name": obj.__tablename__,
        "record_id": _record_id(obj),
        "summary": str(obj)[:300],
        "before": json.dumps(before, ensure_ascii=False) if before is not None else None,
        "after": json.dumps(after, ensure_ascii=False) if after is not None else None,
        "ip": ip,
    }


def log_event(session, action: str, summary: str, username: str | None = None, user_id: int | None = None) -> None:
    """Record a non-data event (sign-in, failed sign-in, export) in the same log."""
    from app.models.common import AuditLog

    actor_id, actor_name, ip = _actor()
    session.connection().execute(AuditLog.__table__.insert(), [{
        "at": dt.datetime.now().replace(microsecond=0), "user_id": user_id or actor_id,
        "username": username or actor_name, "action": action, "table_name": None, "record_id": None,
        "summary": summary[:300], "before": None, "after": None, "ip": ip,
    }])
