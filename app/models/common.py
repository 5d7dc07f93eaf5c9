"""Cross-cutting records: file attachments and the audit log."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model, now


class Attachment(Model):
    """A file stored under instance/uploads with a generated name; read through a checked route."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_owner", "owner_type", "owner_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(40), nullable=False)
    owner_id: Mapped[int] = mapped_column(Integer, nullable=False)
    # For a reply: the unit whose part it belongs to.
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    content_type: Mapped[Optional[str]] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, nullable=False)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)


class AuditLog(Model):
    """Who changed what and when, with before and after. Written by a session hook; never edited."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_record", "table_name", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, nullable=False, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)  # no FK: survives user deletion
    username: Mapped[Optional[str]] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    table_name: Mapped[Optional[str]] = mapped_column(String(60))
    record_id: Mapped[Optional[str]] = mapped_column(String(60))
    summary: Mapped[Optional[str]] = mapped_column(String(300))
    before: Mapped[Optional[str]] = mapped_column(Text)
    after: Mapped[Optional[str]] = mapped_column(Text)
    ip: Mapped[Optional[str]] = mapped_column(String(60))
