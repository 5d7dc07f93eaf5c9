"""In-app notifications to units and users (the bell count in the navigation bar)."""
from __future__ import annotations

from flask import g
from sqlalchemy import func, select

from app import models as m
from app.extensions import db
from app.security.scope import scoped


def unread_count() -> int:
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    try:
        query = select(func.count()).select_from(m.Notification).where(m.Notification.read_at.is_(None))
        return db.session.execute(scoped(query, m.Notification, user)).scalar_one()
    except Exception:
        db.session.rollback()
        return 0


def notify_unit(session, unit_id: int, message: str, link: str | None = None) -> None:
    session.add(m.Notification(unit_id=unit_id, message=message[:500], link=link))


def notify_user(session, user_id: int, message: str, link: str | None = None) -> None:
    session.add(m.Notification(user_id=user_id, message=message[:500], link=link))
