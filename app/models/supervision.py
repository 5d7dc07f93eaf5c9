"""督促推进机制: matters (协调事项) assigned by letter to member units, and their timeline."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import CreatedByMixin, Model, TimestampMixin, VersionedMixin, label_of, now
from app.models.cases import Case
from app.models.org import Category, Unit

MATTER_STATUS_LABELS = {
    "draft": "拟办", "sent": "已函告", "signed": "已签收", "in_progress": "办理中",
    "replied": "已函复", "closed": "已办结", "cancelled": "已撤销",
}
OPEN_MATTER_STATUSES = ("sent", "signed", "in_progress")
#: statuses in which units still act on their parts (co-units may finish after the lead replied)
ACTIVE_STATUSES = OPEN_MATTER_STATUSES + ("replied",)
MATTER_SOURCE_LABELS = {
    "office": "办公室交办", "meeting": "会议议定", "group": "协调组任务",
    "plan": "处置方案措施", "unit": "成员单位提请", "request": "协调申请", "check": "信息核查", "other": "其他",
}
ASSIGNMENT_ROLE_LABELS = {"lead": "牵头单位", "co": "配合单位"}
ASSIGNMENT_STATUS_LABELS = {"pending": "待签收", "signed": "已签收", "replied": "已函复"}
EXTENSION_STATUS_LABELS = {"pending": "待审批", "approved": "已同意", "refused": "不同意"}


class Matter(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    """A coordination matter (API resource `item`)."""

    __tablename__ = "matter"
    __table_args__ = (UniqueConstraint("letter_year", "letter_seq", name="uq_matter_letter_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    letter_number: Mapped[Optional[str]] = mapped_column(String(60), unique=True)
    letter_year: Mapped[Optional[int]] = mapped_column(Integer)
    letter_seq: Mapped[Optional[int]] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False, default="")
    category_id: Mapped[Optional[int]] = mapped_column(ForeignKey("category.id"), index=True)
    category: Mapped[Optional[Category]] = relationship(lazy="joined")
    source: Mapped[str] = mapped_column(String(20), default="office", nullable=False)
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bankruptcy_case.id"), index=True)
    case: Mapped[Optional[Case]] = relationship(lazy="joined")
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    lead_unit: Mapped[Unit] = relationship(foreign_keys=[lead_unit_id], lazy="joined")
    assigned_date: Mapped[dt.date] = mapped_column(Date, default=dt.date.today, nullable=False, index=True)
    deadline: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", nullable=False, index=True)
    contact_name: Mapped[Optional[str]] = mapped_column(String(50))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(50))
    sent_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, index=True)
    replied_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, index=True)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, index=True)
    cancel_reason: Mapped[Optional[str]] = mapped_column(Text)
    decision_id: Mapped[Optional[int]] = mapped_column(ForeignKey("decision.id"), index=True)
    group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("coordination_group.id"), index=True)
    plan_measure_id: Mapped[Optional[int]] = mapped_column(ForeignKey("plan_measure.id"), index=True)
    decision: Mapped[Optional["Decision"]] = relationship("Decision", back_populates="matters")  # noqa: F821
    group: Mapped[Optional["CoordinationGroup"]] = relationship("CoordinationGroup", back_populates="tasks")  # noqa: F821
    plan_measure: Mapped[Optional["PlanMeasure"]] = relationship("PlanMeasure", back_populates="matters")  # noqa: F821

    assignments: Mapped[list["MatterAssignment"]] = relationship(
        back_populates="matter", cascade="all, delete-orphan", lazy="selectin",
        order_by="(MatterAssignment.role.desc(), MatterAssignment.id)",
    )
    events: Mapped[list["MatterEvent"]] = relationship(
        back_populates="matter", cascade="all, delete-orphan", order_by="MatterEvent.id"
    )
    extension_requests: Mapped[list["ExtensionRequest"]] = relationship(
        back_populates="matter", cascade="all, delete-orphan", order_by="ExtensionRequest.id"
    )

    def __repr__(self) -> str:
        return self.title

    @property
    def status_label(self) -> str:
        return label_of(MATTER_STATUS_LABELS, self.status)

    @property
    def source_label(self) -> str:
        return label_of(MATTER_SOURCE_LABELS, self.source)

    @property
    def co_units(self) -> list[Unit]:
        return [a.unit for a in self.assignments if a.role == "co"]


class MatterAssignment(VersionedMixin, Model):
    """One unit's part of a matter: the lead unit or a co-unit signs for it and replies."""

    __tablename__ = "matter_assignment"
    __table_args__ = (UniqueConstraint("matter_id", "unit_id", name="uq_matter_assignment_unit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter.id", ondelete="CASCADE"), nullable=False, index=True)
    matter: Mapped[Matter] = relationship(back_populates="assignments")
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    unit: Mapped[Unit] = relationship(lazy="joined")
    role: Mapped[str] = mapped_column(String(10), default="lead", nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="pending", nullable=False, index=True)
    signed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    signed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)
    reply_content: Mapped[Optional[str]] = mapped_column(Text)
    reply_result: Mapped[Optional[str]] = mapped_column(String(200))
    reply_number: Mapped[Optional[str]] = mapped_column(String(60))
    replied_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, index=True)
    replied_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)

    @property
    def role_label(self) -> str:
        return label_of(ASSIGNMENT_ROLE_LABELS, self.role)

    @property
    def status_label(self) -> str:
        return label_of(ASSIGNMENT_STATUS_LABELS, self.status)


class MatterEvent(Model):
    """One step on a matter's timeline: who, when, what, note. Never edited."""

    __tablename__ = "matter_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter.id", ondelete="CASCADE"), nullable=False, index=True)
    matter: Mapped[Matter] = relationship(back_populates="events")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, nullable=False, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)
    username: Mapped[Optional[str]] = mapped_column(String(128))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    unit: Mapped[Optional[Unit]] = relationship(lazy="joined")
    action: Mapped[str] = mapped_column(String(30), nullable=False, index=True)
    note: Mapped[Optional[str]] = mapped_column(Text)


class ExtensionRequest(VersionedMixin, Model):
    __tablename__ = "extension_request"
    # One pending request per matter, held by the database itself: parallel requests cannot both pass
    # the service's check and be saved (issue 11).
    __table_args__ = (Index("uq_extension_pending", "matter_id", unique=True,
                            sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),)
    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter.id", ondelete="CASCADE"), nullable=False, index=True)
    matter: Mapped[Matter] = relationship(back_populates="extension_requests")
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    unit: Mapped[Unit] = relationship(lazy="joined")
    old_deadline: Mapped[Optional[dt.date]] = mapped_column(Date)
    requested_deadline: Mapped[dt.date] = mapped_column(Date, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="pending", nullable=False, index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, nullable=False)
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)
    decision_note: Mapped[Optional[str]] = mapped_column(Text)

    @property
    def status_label(self) -> str:
        return label_of(EXTENSION_STATUS_LABELS, self.status)


class Reminder(Model):
    """A 催办 to a unit: by the office (manual) or automatic per deadline threshold (once each)."""

    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("matter_id", "unit_id", "threshold", name="uq_reminder_threshold"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter.id", ondelete="CASCADE"), nullable=False, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    # "manual-<id>" for office reminders (unique by construction), "near"/"overdue"/"escalated"
    # (plus the deadline, so an extension starts a new round) for the cron command.
    threshold: Mapped[str] = mapped_column(String(40), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), default="manual", nullable=False)
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, nullable=False, index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)
