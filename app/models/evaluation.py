"""评价通报: the annual evaluation of member units, and clue reports (违纪违法线索)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import CreatedByMixin, Model, TimestampMixin, VersionedMixin, label_of
from app.models.cases import Case
from app.models.org import Unit
from app.models.supervision import Matter

EVALUATION_STATUS_LABELS = {"draft": "草稿", "approved": "已审定", "issued": "已印发"}
GRADE_CHOICES = ("优秀", "良好", "合格", "不合格")
CLUE_STATUS_LABELS = {"received": "已接收", "verifying": "核查中", "referred": "已移送", "closed": "已办结"}


class Evaluation(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    __tablename__ = "evaluation"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    number: Mapped[Optional[str]] = mapped_column(String(60), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", nullable=False, index=True)
    computed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    approved_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)
    issued_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, index=True)
    document_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    intro: Mapped[Optional[str]] = mapped_column(Text)
    entries: Mapped[list["EvaluationEntry"]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="EvaluationEntry.id"
    )

    def __repr__(self) -> str:
        return self.title

    @property
    def status_label(self) -> str:
        return label_of(EVALUATION_STATUS_LABELS, self.status)


class EvaluationEntry(VersionedMixin, Model):
    __tablename__ = "evaluation_entry"
    __table_args__ = (UniqueConstraint("evaluation_id", "unit_id", name="uq_evaluation_entry_unit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), nullable=False, index=True)
    evaluation: Mapped[Evaluation] = relationship(back_populates="entries")
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    unit: Mapped[Unit] = relationship(lazy="joined")
    metrics: Mapped[str] = mapped_column(Text, default="{}", nullable=False)  # JSON with derivations
    grade: Mapped[Optional[str]] = mapped_column(String(10))
    comment: Mapped[Optional[str]] = mapped_column(Text)


class ClueReport(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    """A clue of a violation found while handling a matter; confidential to office and conveners."""

    __tablename__ = "clue_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    reporter_unit: Mapped[Optional[Unit]] = relationship(foreign_keys=[reporter_unit_id], lazy="joined")
    subject_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    subject_unit: Mapped[Optional[Unit]] = relationship(foreign_keys=[subject_unit_id], lazy="joined")
    matter_id: Mapped[Optional[int]] = mapped_column(ForeignKey("matter.id"), index=True)
    matter: Mapped[Optional[Matter]] = relationship()
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("bankruptcy_case.id"), index=True)
    case: Mapped[Optional[Case]] = relationship()
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="received", nullable=False, index=True)
    referred_to: Mapped[Optional[str]] = mapped_column(String(200))
    handling_note: Mapped[Optional[str]] = mapped_column(Text)

    def __repr__(self) -> str:
        return self.title

    @property
    def status_label(self) -> str:
        return label_of(CLUE_STATUS_LABELS, self.status)
