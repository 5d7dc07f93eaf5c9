"""The audit log: mapper hooks that see every row the ORM writes (who, when, which record, before/after).

Hooks rather than per-view code so that no path (page, API, CLI, bulk action, a child removed from a
collection, a link changed through a relationship) can change business data without leaving a trace.
Password hashes are never logged.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, object_session

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


def _snapshot(obj) -> dict:
    state = inspect(obj)
    out = {}
    for column in state.mapper.column_attrs:
        key = column.key
        if key in SECRET_COLUMNS:
            continue
        out[key] = _plain(state.dict[key] if key in state.dict else getattr(obj, key, None))
    for rel in state.mapper.relationships:  # many-to-many links are part of the record
        if rel.secondary is not None and rel.key in state.dict:
            out[rel.key] = sorted(_related_label(v) for v in state.dict[rel.key] or [])
    return out


def _related_label(obj) -> str:
    identity = inspect(obj).identity
    return f"{describe(obj)}#{identity[0]}" if identity else describe(obj)


def describe(obj) -> str:
    """How a record reads in the log: its own text (number, title, name), never a Python repr."""
    text = str(obj)
    if " object at 0x" in text or not text.strip():
        identity = inspect(obj).identity
        text = f"{obj.__tablename__}#{identity[0] if identity else '新'}"
    return text[:300]


def _changes(obj) -> tuple[dict, dict]:
    """Before and after of every changed column, foreign keys and many-to-many links included."""
    state = inspect(obj)
    before, after = {}, {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in SECRET_COLUMNS or key in NOISE_COLUMNS:
            continue
        hist = state.attrs[key].history
        if hist.has_changes():
            old = _plain(hist.deleted[0] if hist.deleted else None)
            new = _plain(hist.added[0] if hist.added else state.dict.get(key))
            if old != new:
                before[key], after[key] = old, new
    for rel in state.mapper.relationships:
        hist = state.attrs[rel.key].history
        if not hist.has_changes():
            continue
        if rel.direction.name == "MANYTOONE":
            # the foreign key is synchronised during the flush: record it from the relationship too
            for column in rel.local_columns:
                if column.key in before or column.key in NOISE_COLUMNS:
                    continue
                old = next((_plain(getattr(o, "id", None)) for o in hist.deleted if o is not None), None)
                new = next((_plain(getattr(o, "id", None)) for o in hist.added if o is not None), None)
                if old != new:
                    before[column.key], after[column.key] = old, new
        elif rel.secondary is not None:
            unchanged = [_related_label(v) for v in hist.unchanged]
            before[rel.key] = sorted(unchanged + [_related_label(v) for v in hist.deleted])
            after[rel.key] = sorted(unchanged + [_related_label(v) for v in hist.added])
    return before, after


def _record_id(obj) -> str | None:
    state = inspect(obj)
    identity = state.identity or state.mapper.primary_key_from_instance(obj)
    if identity and all(v is not None for v in identity):
        return ",".join(str(v) for v in identity)
    return None


def _pending(session) -> list:
    return session.info.setdefault("audit_rows", [])


def _audited(target) -> bool:
    table = getattr(target, "__tablename__", None)
    return table is not None and table not in SKIPPED_TABLES


def install(session_factory=None) -> None:
    """Mapper-level hooks on every model: they fire for every row the flush writes — children
    removed from a collection (orphans), foreign keys set through a relationship and many-to-many
    links included — and the rows are written at the end of the same flush."""
    from flask_appbuilder import Model

    if id(Model) in _installed:
        return
    _installed.add(id(Model))

    @event.listens_for(Model, "after_insert", propagate=True)
    def _inserted(mapper, connection, target):
        if _audited(target):
            _pending(object_session(target)).append(("create", target, None, _snapshot(target)))

    @event.listens_for(Model, "after_update", propagate=True)
    def _updated(mapper, connection, target):
        if not _audited(target):
            return
        before, after = _changes(target)
        if before or after:
            _pending(object_session(target)).append(("update", target, before, after))

    @event.listens_for(Model, "before_delete", propagate=True)
    def _deleted(mapper, connection, target):
        if _audited(target):
            _pending(object_session(target)).append(("delete", target, _snapshot(target), None))

    @event.listens_for(Session, "after_flush")
    def _write(session, flush_context):
        from app.models.common import AuditLog

        pending = session.info.pop("audit_rows", [])
        if not pending:
            return
        user_id, username, ip = _actor()
        rows = [_row(action, obj, before, after, user_id, username, ip) for action, obj, before, after in pending]
        session.connection().execute(AuditLog.__table__.insert(), rows)

    def _forget(session, *args):
        session.info.pop("audit_rows", None)

    event.listen(Session, "after_rollback", _forget)
    event.listen(Session, "after_soft_rollback", _forget)


def _row(action, obj, before, after, user_id, username, ip) -> dict:
    return {
        "at": dt.datetime.now().replace(microsecond=0),
        "user_id": user_id,
        "username": username,
        "action": action,
        "table_name": obj.__tablename__,
        "record_id": _record_id(obj),
        "summary": describe(obj),
        "before": json.dumps(before, ensure_ascii=False) if before is not None else None,
        "after": json.dumps(after, ensure_ascii=False) if after is not None else None,
        "ip": ip,
    }


def record_update(session, obj, before: dict, after: dict) -> None:
    """An update the mapper hooks cannot see (rows written with Core, such as a category's ordered
    suggested units), recorded as they record theirs."""
    if before == after:
        return
    from app.models.common import AuditLog

    user_id, username, ip = _actor()
    session.connection().execute(AuditLog.__table__.insert(),
                                 [_row("update", obj, before, after, user_id, username, ip)])


def log_event(session, action: str, summary: str, username: str | None = None, user_id: int | None = None) -> None:
    """Record a non-data event (sign-in, failed sign-in, export) in the same log."""
    from app.models.common import AuditLog

    actor_id, actor_name, ip = _actor()
    session.connection().execute(AuditLog.__table__.insert(), [{
        "at": dt.datetime.now().replace(microsecond=0), "user_id": user_id or actor_id,
        "username": username or actor_name, "action": action, "table_name": None, "record_id": None,
        "summary": summary[:300], "before": None, "after": None, "ip": ip,
    }])
