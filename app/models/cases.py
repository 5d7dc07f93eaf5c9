"""Bankruptcy cases (基础数据) and their progress entries (信息共享机制)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import CreatedByMixin, Model, TimestampMixin, VersionedMixin, label_of
from app.models.org import Unit

ENTERPRISE_TYPE_LABELS = {
    "private": "民营企业", "state": "国有企业", "state_holding": "国有控股企业",
    "collective": "集体企业", "foreign": "外资企业", "other": "其他",
}
PROCEDURE_LABELS = {"liquidation": "破产清算", "reorganization": "破产重整", "settlement": "破产和解"}
STAGE_LABELS = {
    "application": "申请审查", "accepted": "已受理", "claims": "债权申报",
    "creditors_meeting": "债权人会议", "reorganization_plan": "重整计划执行",
    "declared": "宣告破产", "realization": "财产变价分配", "concluded": "程序终结",
    "rejected": "不予受理",
}
#: Stages from acceptance on, in procedural order: a case at any of them has been accepted (受理).
ACCEPTED_STAGES = ("accepted", "claims", "creditors_meeting", "reorganization_plan", "declared", "realization",
                   "concluded")
RISK_LEVELS = ("低", "中", "高", "重大")


class Case(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    __tablename__ = "bankruptcy_case"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    enterprise_name: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    credit_code: Mapped[Optional[str]] = mapped_column(String(18), index=True)
    enterprise_type: Mapped[str] = mapped_column(String(20), default="private", nullable=False)
    industry: Mapped[Optional[str]] = mapped_column(String(100))
    procedure_type: Mapped[str] = mapped_column(String(20), default="liquidation", nullable=False)
    stage: Mapped[str] = mapped_column(String(30), default="application", nullable=False, index=True)
    application_date: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    acceptance_date: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    closing_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    administrator: Mapped[Optional[str]] = mapped_column(String(200))
    administrator_contact: Mapped[Optional[str]] = mapped_column(String(100))
    judge: Mapped[Optional[str]] = mapped_column(String(50))
    debt_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(16, 2))
    asset_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(16, 2))
    employee_count: Mapped[Optional[int]] = mapped_column(Integer)
    wage_arrears: Mapped[Optional[Decimal]] = mapped_column(Numeric(16, 2))
    social_insurance_arrears: Mapped[Optional[Decimal]] = mapped_column(Numeric(16, 2))
    creditor_count: Mapped[Optional[int]] = mapped_column(Integer)
    is_major_sensitive: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False, index=True)
    monitoring_points: Mapped[Optional[str]] = mapped_column(Text)
    is_zombie: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_capacity_reduction: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Latest assessment's level, kept by the risk service when an assessment is saved.
    risk_level: Mapped[Optional[str]] = mapped_column(String(10), index=True)
    acceptance_override_reason: Mapped[Optional[str]] = mapped_column(Text)
    notes: Mapped[Optional[str]] = mapped_column(Text)

    progress_entries: Mapped[list["CaseProgress"]] = relationship(
        back_populates="case", order_by="CaseProgress.entry_date.desc()", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"{self.case_number} {self.enterprise_name}"

    @property
    def stage_label(self) -> str:
        return label_of(STAGE_LABELS, self.stage)

    @property
    def procedure_label(self) -> str:
        return label_of(PROCEDURE_LABELS, self.procedure_type)

    @property
    def enterprise_type_label(self) -> str:
        return label_of(ENTERPRISE_TYPE_LABELS, self.enterprise_type)


class CaseProgress(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    """A dated progress note on a case, reported by the office or a member unit."""

    __tablename__ = "case_progress"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("bankruptcy_case.id", ondelete="CASCADE"), nullable=False, index=True)
    case: Mapped[Case] = relationship(back_populates="progress_entries", lazy="joined")
    entry_date: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    stage: Mapped[Optional[str]] = mapped_column(String(30))
    content: Mapped[str] = mapped_column(Text, nullable=False)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    unit: Mapped[Optional[Unit]] = relationship(lazy="joined")

    @property
    def stage_label(self) -> str:
        return label_of(STAGE_LABELS, self.stage)
