"""Server-side record of page sessions: a signed cookie alone cannot outlive logout.

The cookie carries a random `_sid`; the `login_session` row says whether it is still open.
Logout (or an administrator ending a user's sessions) closes the row, so a copy of the old cookie
is refused on the next request. Plain statements, not ORM objects: no audit-log noise per login.
"""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, select, update

from app.models.org import LoginSession


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def open_session(db_session, user_id: int, max_hours: int) -> str:
    sid = secrets.token_urlsafe(32)
    now = _now()
    # Housekeeping: rows older than the absolute lifetime can never be valid again.
    db_session.execute(delete(LoginSession).where(LoginSession.created_at < now - dt.timedelta(hours=max_hours + 1)))
    db_session.execute(LoginSession.__table__.insert().values(sid=sid, user_id=user_id, created_at=now))
    db_session.commit()
    return sid


def user_of_open_session(db_session, sid: str | None, user_id):
    """The signed-in user (with roles and groups) if `sid` names their open login session, else None.

    One statement per request: the session check and FAB's user load are the same query
    (see PermissionCacheMixin.get_user_by_id, which takes the user found here).
    """
    from sqlalchemy.orm import joinedload

    from app.models.org import AppUser

    if not sid:
        return None
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    return (db_session.query(AppUser).options(joinedload(AppUser.roles), joinedload(AppUser.groups))
            .join(LoginSession, LoginSession.user_id == AppUser.id)
            .filter(LoginSession.sid == sid, LoginSession.ended_at.is_(None), AppUser.id == user_id)
            .one_or_none())


def end_session(db_session, sid: str | None) -> None:
    if not sid:
        return
    db_session.execute(update(LoginSession).where(LoginSession.sid == sid, LoginSession.ended_at.is_(None))
                       .values(ended_at=_now()))
    db_session.commit()


def end_user_sessions(db_session, user_id: int) -> int:
    """Sign a user out everywhere (e.g. after an administrator forces a password change)."""
    result = db_session.execute(update(LoginSession)
                                .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
                                .values(ended_at=_now()))
    return result.rowcount or 0
