"""风险评估机制: risk schemes, assessments before acceptance, and disposal plans."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import CreatedByMixin, Model, TimestampMixin, VersionedMixin, label_of
from app.models.cases import Case
from app.models.org import Unit

PLAN_STATUS_LABELS = {"draft": "草稿", "approved": "已批准", "in_effect": "执行中", "closed": "已结束"}


class RiskScheme(VersionedMixin, TimestampMixin, Model):
    """A versioned scoring scheme; assessments keep the version they were scored with."""

    __tablename__ = "risk_scheme"
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_version: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    definition: Mapped[str] = mapped_column(Text, nullable=False)  # JSON, see seed/risk_scheme.json
    active: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False, index=True)

    def __repr__(self) -> str:
        # the seeded names already say “（第1版）”: never “（第1版）（第1版）”
        if f"第{self.scheme_version}版" in (self.name or ""):
            return self.name
        return f"{self.name}（第{self.scheme_version}版）"


class Assessment(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    __tablename__ = "assessment"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("bankruptcy_case.id", ondelete="CASCADE"), nullable=False, index=True)
    case: Mapped[Case] = relationship(lazy="joined")
    scheme_id: Mapped[int] = mapped_column(ForeignKey("risk_scheme.id"), nullable=False, index=True)
    scheme: Mapped[RiskScheme] = relationship(lazy="joined")
    assessed_on: Mapped[dt.date] = mapped_column(Date, default=dt.date.today, nullable=False, index=True)
    answers: Mapped[str] = mapped_column(Text, default="{}", nullable=False)  # JSON
    score: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    level: Mapped[str] = mapped_column(String(10), default="低", nullable=False, index=True)
    breakdown: Mapped[str] = mapped_column(Text, default="[]", nullable=False)  # JSON
    note: Mapped[Optional[str]] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"{self.case} {self.level}"


class DisposalPlan(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    __tablename__ = "disposal_plan"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("bankruptcy_case.id", ondelete="CASCADE"), nullable=False, index=True)
    case: Mapped[Case] = relationship(lazy="joined")
    assessment_id: Mapped[Optional[int]] = mapped_column(ForeignKey("assessment.id"), index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[Optional[str]] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="draft", nullable=False, index=True)
    approved_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)
    measures: Mapped[list["PlanMeasure"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanMeasure.seq"
    )

    def __repr__(self) -> str:
        return self.title

    @property
    def status_label(self) -> str:
        return label_of(PLAN_STATUS_LABELS, self.status)


class PlanMeasure(VersionedMixin, Model):
    __tablename__ = "plan_measure"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("disposal_plan.id", ondelete="CASCADE"), nullable=False, index=True)
    plan: Mapped[DisposalPlan] = relationship(back_populates="measures")
    seq: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    responsible_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    responsible_unit: Mapped[Unit] = relationship(lazy="joined")
    deadline: Mapped[Optional[dt.date]] = mapped_column(Date)
    matters: Mapped[list["Matter"]] = relationship("Matter", back_populates="plan_measure")  # noqa: F821

    def __repr__(self) -> str:
        return self.content[:30]
