"""联合调研及提案机制: joint research projects and the proposals drafted from them."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Column, Date, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import CreatedByMixin, Model, TimestampMixin, VersionedMixin, label_of
from app.models.org import Category, Unit

RESEARCH_STATUS_LABELS = {"planned": "计划中", "ongoing": "进行中", "completed": "已完成"}
PROPOSAL_KIND_LABELS = {"proposal": "提案", "opinion": "规范性意见", "guide": "操作指引"}
PROPOSAL_STATUS_LABELS = {
    "drafting": "起草中", "submitted": "已提交联席会议", "adopted": "已审议通过",
    "returned": "退回修改", "issued": "已印发",
}

research_unit = Table(
    "research_unit",
    Model.metadata,
    Column("research_id", ForeignKey("research_project.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True, index=True),
)
proposal_unit = Table(
    "proposal_unit",
    Model.metadata,
    Column("proposal_id", ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ResearchProject(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    __tablename__ = "research_project"
    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(200), nullable=False)
    category_id: Mapped[Optional[int]] = mapped_column(ForeignKey("category.id"), index=True)
    category: Mapped[Optional[Category]] = relationship(lazy="joined")
    problem: Mapped[Optional[str]] = mapped_column(Text)
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    lead_unit: Mapped[Unit] = relationship(lazy="joined")
    units: Mapped[list[Unit]] = relationship(secondary=research_unit, lazy="selectin")
    start_date: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    end_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="planned", nullable=False, index=True)
    findings: Mapped[Optional[str]] = mapped_column(Text)
    report: Mapped[Optional[str]] = mapped_column(Text)

    def __repr__(self) -> str:
        return self.topic

    @property
    def status_label(self) -> str:
        return label_of(RESEARCH_STATUS_LABELS, self.status)


class Proposal(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    __tablename__ = "proposal"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), default="proposal", nullable=False)
    units: Mapped[list[Unit]] = relationship(secondary=proposal_unit, lazy="selectin")
    research_id: Mapped[Optional[int]] = mapped_column(ForeignKey("research_project.id"), index=True)
    research: Mapped[Optional[ResearchProject]] = relationship(lazy="joined")
    text: Mapped[Optional[str]] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="drafting", nullable=False, index=True)
    meeting_id: Mapped[Optional[int]] = mapped_column(ForeignKey("meeting.id"), index=True)
    meeting: Mapped[Optional["Meeting"]] = relationship("Meeting")  # noqa: F821
    review_note: Mapped[Optional[str]] = mapped_column(Text)

    def __repr__(self) -> str:
        return self.title

    @property
    def status_label(self) -> str:
        return label_of(PROPOSAL_STATUS_LABELS, self.status)

    @property
    def kind_label(self) -> str:
        return label_of(PROPOSAL_KIND_LABELS, self.kind)
