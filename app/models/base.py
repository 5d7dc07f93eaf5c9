"""Shared column conventions: optimistic locking, timestamps, who-created, labelled codes."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


class VersionedMixin:
    """Optimistic lock: an UPDATE whose version does not match the row changes nothing.

    SQLAlchemy adds `WHERE version_id = <loaded>` to every UPDATE and raises StaleDataError when
    another user saved first; forms and the API additionally compare the version the user saw.
    """

    version_id: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):  # noqa: N805
        return {"version_id_col": cls.version_id}


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, onupdate=now, nullable=False)


class CreatedByMixin:
    """Nullable author: seed and CLI code run without a logged-in user (FAB-NOTES: Wiring)."""

    @declared_attr
    def created_by_id(cls) -> Mapped[Optional[int]]:  # noqa: N805
        return mapped_column(ForeignKey("ab_user.id"), nullable=True, index=True, default=_current_user_id)


def _current_user_id() -> Optional[int]:
    try:
        from flask import g

        user = getattr(g, "user", None)
        return getattr(user, "id", None)
    except RuntimeError:
        return None


def label_of(labels: dict[str, str], code: Optional[str]) -> str:
    return labels.get(code or "", code or "")


__all__ = ["Model", "VersionedMixin", "TimestampMixin", "CreatedByMixin", "now", "label_of"]
