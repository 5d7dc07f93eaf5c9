"""The numbers on each role's home page, computed with the same scope as the lists."""
from __future__ import annotations

from sqlalchemy import func, select

from app import models as m
from app.extensions import db
from app.models.supervision import OPEN_MATTER_STATUSES
from app.security.scope import role_names, scoped


def _count(model, *where, user) -> int:
    query = select(func.count()).select_from(model).where(*where) if where else select(func.count()).select_from(model)
    return db.session.execute(scoped(query, model, user)).scalar_one()


def home_data(user) -> dict:
    roles = role_names(user)
    return {
        "roles": roles,
        "open_matters": _count(m.Matter, m.Matter.status.in_(OPEN_MATTER_STATUSES), user=user),
        "replied_matters": _count(m.Matter, m.Matter.status == "replied", user=user),
        "cases": _count(m.Case, user=user),
        "major_cases": _count(m.Case, m.Case.is_major_sensitive.is_(True), user=user),
        "meetings": _count(m.Meeting, user=user),
    }
