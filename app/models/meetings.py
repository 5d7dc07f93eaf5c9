"""会议机制: joint and special meetings, their minutes and decisions (议定事项)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (Column, Date, DateTime, ForeignKey, Integer, String, Table, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import CreatedByMixin, Model, TimestampMixin, VersionedMixin, label_of
from app.models.cases import Case
from app.models.org import Unit

MEETING_KIND_LABELS = {"joint": "联席会议", "special": "专题会议"}
MEETING_STATUS_LABELS = {
    "proposed": "提议中", "scheduled": "已安排", "held": "已召开", "minutes_issued": "纪要已印发",
    "cancelled": "已取消", "declined": "不予召开",
}
ATTENDANCE_LABELS = {"present": "出席", "leave": "请假", "nonvoting": "列席", "absent": "缺席"}
MINUTES_STATUS_LABELS = {"draft": "草稿", "issued": "已印发", "superseded": "已被修正"}
DISTRIBUTION_KIND_LABELS = {"main": "主送", "cc": "抄送"}

meeting_unit = Table(
    "meeting_unit",
    Model.metadata,
    Column("meeting_id", ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Meeting(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    __tablename__ = "meeting"
    __table_args__ = (UniqueConstraint("kind", "year", "seq", name="uq_meeting_kind_year_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="joint", nullable=False, index=True)
    year: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    seq: Mapped[Optional[int]] = mapped_column(Integer)  # 第N次, assigned once when scheduled
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    start_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, index=True)
    place: Mapped[Optional[str]] = mapped_column(String(200))
    chair: Mapped[Optional[str]] = mapped_column(String(100))
    convener: Mapped[Optional[str]] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="scheduled", nullable=False, index=True)
    proposed_by_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    proposed_by_unit: Mapped[Optional[Unit]] = relationship(lazy="joined")
    reason: Mapped[Optional[str]] = mapped_column(Text)
    decline_reason: Mapped[Optional[str]] = mapped_column(Text)
    units: Mapped[list[Unit]] = relationship(secondary=meeting_unit, lazy="selectin", order_by=Unit.sort_order)
    topics: Mapped[list["MeetingTopic"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingTopic.sort_order"
    )
    attendances: Mapped[list["Attendance"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Attendance.id"
    )
    minutes: Mapped[list["Minutes"]] = relationship(back_populates="meeting", order_by="Minutes.id")

    def __repr__(self) -> str:
        return self.title

    @property
    def kind_label(self) -> str:
        return label_of(MEETING_KIND_LABELS, self.kind)

    @property
    def status_label(self) -> str:
        return label_of(MEETING_STATUS_LABELS, self.status)

    @property
    def number_label(self) -> str:
        if not self.seq:
            return ""
        return f"{self.year}年第{self.seq}次{self.kind_label}"


class MeetingTopic(VersionedMixin, Model):
    __tablename__ = "meeting_topic"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False, index=True)
    meeting: Mapped[Meeting] = relationship(back_populates="topics")
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    reporting_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    reporting_unit: Mapped[Optional[Unit]] = relationship(lazy="joined")
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bankruptcy_case.id"), index=True)
    case: Mapped[Optional[Case]] = relationship(lazy="joined")
    proposal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("proposal.id"), index=True)
    material: Mapped[Optional[str]] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    def __repr__(self) -> str:
        return self.title


class Attendance(VersionedMixin, Model):
    """Sign-in of one unit's person: present, on leave, attending without vote, absent."""

    __tablename__ = "attendance"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False, index=True)
    meeting: Mapped[Meeting] = relationship(back_populates="attendances")
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    unit: Mapped[Optional[Unit]] = relationship(lazy="joined")
    organisation: Mapped[Optional[str]] = mapped_column(String(200))  # for non-member attendees
    person_name: Mapped[Optional[str]] = mapped_column(String(50))
    person_title: Mapped[Optional[str]] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="present", nullable=False, index=True)
    note: Mapped[Optional[str]] = mapped_column(String(200))
    signed_in_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    @property
    def status_label(self) -> str:
        return label_of(ATTENDANCE_LABELS, self.status)


class Minutes(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    __tablename__ = "minutes"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), nullable=False, index=True)
    meeting: Mapped[Meeting] = relationship(back_populates="minutes", lazy="joined")
    number: Mapped[Optional[str]] = mapped_column(String(60), unique=True)
    year: Mapped[Optional[int]] = mapped_column(Integer)
    seq: Mapped[Optional[int]] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, default="", nullable=False)
    status: Mapped[str] = mapped_column(String(12), default="draft", nullable=False, index=True)
    document_date: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    issued_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, index=True)
    issued_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)
    cc_text: Mapped[Optional[str]] = mapped_column(String(500))  # 抄送 organisations outside the mechanism
    amends_id: Mapped[Optional[int]] = mapped_column(ForeignKey("minutes.id"), index=True)
    amends: Mapped[Optional["Minutes"]] = relationship(remote_side=[id])
    decisions: Mapped[list["Decision"]] = relationship(
        back_populates="minutes", cascade="all, delete-orphan", order_by="Decision.seq"
    )
    distributions: Mapped[list["MinutesDistribution"]] = relationship(
        back_populates="minutes", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return self.number or self.title

    @property
    def status_label(self) -> str:
        return label_of(MINUTES_STATUS_LABELS, self.status)


class MinutesDistribution(Model):
    __tablename__ = "minutes_distribution"
    __table_args__ = (UniqueConstraint("minutes_id", "unit_id", name="uq_minutes_distribution_unit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id", ondelete="CASCADE"), nullable=False, index=True)
    minutes: Mapped[Minutes] = relationship(back_populates="distributions")
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    unit: Mapped[Unit] = relationship(lazy="joined")
    kind: Mapped[str] = mapped_column(String(5), default="main", nullable=False)


decision_co_unit = Table(
    "decision_co_unit",
    Model.metadata,
    Column("decision_id", ForeignKey("decision.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Decision(VersionedMixin, Model):
    """A numbered 议定事项 of the minutes; issuing turns it into one supervised matter."""

    __tablename__ = "decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id", ondelete="CASCADE"), nullable=False, index=True)
    minutes: Mapped[Minutes] = relationship(back_populates="decisions")
    seq: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    lead_unit: Mapped[Unit] = relationship(lazy="joined")
    co_units: Mapped[list[Unit]] = relationship(secondary=decision_co_unit, lazy="selectin")
    deadline: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bankruptcy_case.id"), index=True)
    case: Mapped[Optional[Case]] = relationship()
    matters: Mapped[list["Matter"]] = relationship("Matter", back_populates="decision")  # noqa: F821

    def __repr__(self) -> str:
        return f"（{self.seq}）{self.content[:30]}"
