"""Server-side record of every signed-in session: neither a cookie nor a token outlives its row.

A page session's cookie carries a random `_sid`; an API login's access and refresh tokens carry the
same kind of id as their `sid` claim. The `login_session` row says whether it is still open, and
every request checks it (one statement, which also loads the user with roles and groups — see
PermissionCacheMixin.get_user_by_id and SecurityManager.load_user_jwt). The database is shared by
all workers, so ending a row refuses its cookie or token everywhere on the next request.

Rows end by logout, by the idle and absolute limits (SESSION_IDLE_MINUTES, SESSION_MAX_HOURS,
checked here on the server's clock) and — below every view — whenever the user's credentials or
authority change: `install()` hooks the ORM flush so that a password reset or change, deactivation,
reactivation, a change of roles, groups or unit, or deletion ends every session of that user,
whichever path made the change (FAB's user pages, the CLI, a future API). Plain statements, not
ORM objects: no audit-log noise per request.
"""
from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app, g, has_request_context, session as cookie_session
from sqlalchemy import delete, event, inspect, select, update
from sqlalchemy.orm import Session, joinedload

from app.models.org import ApiCredential, AppUser, LoginSession

TOUCH_SECONDS = 60  # the idle clock moves in steps of a minute: at most one write per session and minute
WATCHED = ("password", "active", "roles", "groups", "unit_id")
REASONS = {"password": "密码变更", "active": "启用状态变更", "roles": "角色变更", "groups": "用户组变更",
           "unit_id": "所属单位变更", "deleted": "用户删除"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _limits() -> tuple[dt.timedelta, dt.timedelta]:
    config = current_app.config
    return dt.timedelta(minutes=config["SESSION_IDLE_MINUTES"]), dt.timedelta(hours=config["SESSION_MAX_HOURS"])


def open_session(db_session, user_id: int, max_hours: int | None = None, kind: str = "web") -> str:
    sid = secrets.token_urlsafe(32)
    now = _now()
    if max_hours is None:
        max_hours = current_app.config["SESSION_MAX_HOURS"]
    # Housekeeping: rows older than the absolute lifetime can never be valid again.
    db_session.execute(delete(LoginSession).where(LoginSession.created_at < now - dt.timedelta(hours=max_hours + 1)))
    db_session.execute(LoginSession.__table__.insert().values(sid=sid, user_id=user_id, kind=kind, created_at=now,
                                                              seen_at=now))
    db_session.commit()
    return sid


def session_ends_at(db_session, sid: str) -> dt.datetime | None:
    """When the session reaches its absolute lifetime (UTC): no token of it may live longer."""
    created = db_session.execute(select(LoginSession.created_at).where(LoginSession.sid == sid)).scalar()
    return None if created is None else created + _limits()[1]


def user_of_open_session(db_session, sid: str | None, user_id, kind: str | None = None):
    """The signed-in user (with roles and groups) if `sid` names their open login session, else None.

    One statement per request: the session check (open, within the idle and absolute limits, of
    this user and kind) and FAB's user load are the same query.
    """
    if not sid or not isinstance(sid, str):
        return None
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    idle, absolute = _limits()
    now = _now()
    query = (db_session.query(AppUser, LoginSession.seen_at)
             .options(joinedload(AppUser.roles), joinedload(AppUser.groups))
             .join(LoginSession, LoginSession.user_id == AppUser.id)
             .filter(LoginSession.sid == sid, LoginSession.ended_at.is_(None), AppUser.id == user_id,
                     LoginSession.created_at > now - absolute, LoginSession.seen_at > now - idle))
    if kind is not None:
        query = query.filter(LoginSession.kind == kind)
    row = query.one_or_none()
    if row is None:
        return None
    user, seen_at = row
    if (now - seen_at).total_seconds() >= TOUCH_SECONDS:
        _touch(sid, now)
    return user


def _touch(sid: str, now: dt.datetime) -> None:
    """Move the idle clock in its own short transaction: committing the request's session would
    expire the user just loaded (and cost the statements this module saves)."""
    from app.extensions import db

    with db.engine.begin() as conn:
        conn.execute(update(LoginSession).where(LoginSession.sid == sid, LoginSession.ended_at.is_(None))
                     .values(seen_at=now))


def end_session(db_session, sid: str | None) -> bool:
    if not sid or not isinstance(sid, str):
        return False
    result = db_session.execute(update(LoginSession).where(LoginSession.sid == sid, LoginSession.ended_at.is_(None))
                                .values(ended_at=_now()))
    db_session.commit()
    return bool(result.rowcount)


def end_user_sessions(db_session, user_id: int, keep_sid: str | None = None) -> int:
    """Sign a user out everywhere (pages and API tokens), except the session `keep_sid` if given.

    Runs inside the caller's transaction (`db_session` is a Session or the flush's Connection), so
    the ending commits or rolls back with the change that caused it.
    """
    statement = update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
    if keep_sid:
        statement = statement.where(LoginSession.sid != keep_sid)
    result = db_session.execute(statement.values(ended_at=_now()))
    return result.rowcount or 0


# --- the flush hook: credentials or authority changed → every session of the user ends -------------

def _changed(obj) -> list[str]:
    state = inspect(obj)
    return [key for key in WATCHED if key in state.attrs and state.attrs[key].history.has_changes()]


def _own_password_change(user_id: int, changed: list[str]) -> str | None:
    """The page session to keep when users change their own password on the page: they just proved
    who they are, and signing them out of the page they are on would only annoy them. Their other
    page sessions and every API token end all the same."""
    if changed != ["password"] or not has_request_context():
        return None
    actor = g.get("user")
    if getattr(actor, "id", None) != user_id:
        return None
    sid = cookie_session.get("_sid")
    return sid if isinstance(sid, str) else None


def _collect(session, flush_context, instances) -> None:
    from flask_appbuilder.security.sqla.models import User

    pending = session.info.setdefault("credential_changes", {})
    for obj in session.dirty:
        if isinstance(obj, User) and obj.id is not None:
            changed = _changed(obj)
            if changed:
                pending[obj.id] = (changed, _own_password_change(obj.id, changed), getattr(obj, "username", ""),
                                   not getattr(obj, "active", True))
    for obj in session.deleted:
        if isinstance(obj, User) and obj.id is not None:
            pending[obj.id] = (["deleted"], None, getattr(obj, "username", ""), True)


def _actor_name() -> str:
    user = g.get("user") if has_request_context() else None
    return getattr(user, "username", None) or "命令行"


def _apply(session, flush_context) -> None:
    from app.services.audit import log_event

    pending = session.info.pop("credential_changes", None)
    if not pending:
        return
    connection = session.connection()
    for user_id, (changed, keep, username, inactive) in pending.items():
        ended = end_user_sessions(connection, user_id, keep_sid=keep)
        revoked = 0
        if inactive:
            # A deactivated (or deleted) account's keys stay dead: reactivating it does not revive them.
            revoked = connection.execute(
                update(ApiCredential.__table__).where(ApiCredential.__table__.c.user_id == user_id,
                                                      ApiCredential.__table__.c.revoked_on.is_(None))
                .values(revoked_on=dt.datetime.now().replace(microsecond=0), revoked_by=_actor_name())).rowcount or 0
        if ended or revoked or "password" in changed:
            reasons = "、".join(REASONS[c] for c in changed)
            text = f"结束用户 {username} 的 {ended} 个登录会话（{reasons}）"
            if keep:
                text += "，保留其本人修改密码所用的当前网页会话"
            if revoked:
                text += f"，吊销其 {revoked} 个 API 密钥"
            log_event(session, "sessions_ended", text)


def install() -> None:
    """Attach the credential-change hooks once per process (every Session, like the audit log)."""
    if getattr(install, "_done", False):
        return
    install._done = True
    event.listen(Session, "before_flush", _collect)
    event.listen(Session, "after_flush", _apply)
    event.listen(Session, "after_rollback", lambda session: session.info.pop("credential_changes", None))
