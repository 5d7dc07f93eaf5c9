"""信息共享机制: policies and typical cases, periodic and special bulletins (通报)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import CreatedByMixin, Model, TimestampMixin, VersionedMixin, label_of
from app.models.org import Unit

POLICY_KIND_LABELS = {"policy": "政策文件", "typical_case": "典型案例", "guide": "操作指引", "experience": "工作经验"}
BULLETIN_KIND_LABELS = {"month": "月度通报", "quarter": "季度通报", "year": "年度通报", "special": "专项通报"}
BULLETIN_STATUS_LABELS = {"draft": "草稿", "issued": "已印发"}


class Policy(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    __tablename__ = "policy"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="policy", nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    doc_number: Mapped[Optional[str]] = mapped_column(String(100))
    issuer: Mapped[Optional[str]] = mapped_column(String(200))
    publish_date: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    summary: Mapped[Optional[str]] = mapped_column(Text)
    content: Mapped[Optional[str]] = mapped_column(Text)
    proposal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("proposal.id"), index=True)
    proposal: Mapped[Optional["Proposal"]] = relationship("Proposal")  # noqa: F821

    def __repr__(self) -> str:
        return self.title

    @property
    def kind_label(self) -> str:
        return label_of(POLICY_KIND_LABELS, self.kind)


class Bulletin(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    __tablename__ = "bulletin"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="quarter", nullable=False, index=True)
    period_start: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    period_end: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    number: Mapped[Optional[str]] = mapped_column(String(60), unique=True)
    year: Mapped[Optional[int]] = mapped_column(Integer)
    seq: Mapped[Optional[int]] = mapped_column(Integer)
    total_seq: Mapped[Optional[int]] = mapped_column(Integer)
    recipients: Mapped[Optional[str]] = mapped_column(String(200), default="各成员单位")
    status: Mapped[str] = mapped_column(String(10), default="draft", nullable=False, index=True)
    document_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    issued_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, index=True)
    issued_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)
    sections: Mapped[list["BulletinSection"]] = relationship(
        back_populates="bulletin", cascade="all, delete-orphan", order_by="BulletinSection.seq"
    )
    distributions: Mapped[list["BulletinDistribution"]] = relationship(
        back_populates="bulletin", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return self.title

    @property
    def status_label(self) -> str:
        return label_of(BULLETIN_STATUS_LABELS, self.status)

    @property
    def kind_label(self) -> str:
        return label_of(BULLETIN_KIND_LABELS, self.kind)


class BulletinSection(VersionedMixin, Model):
    __tablename__ = "bulletin_section"
    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletin.id", ondelete="CASCADE"), nullable=False, index=True)
    bulletin: Mapped[Bulletin] = relationship(back_populates="sections")
    seq: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    heading: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # Machine-readable figures the section was drafted from (JSON), e.g. the per-unit table.
    data: Mapped[Optional[str]] = mapped_column(Text)


class BulletinDistribution(Model):
    __tablename__ = "bulletin_distribution"
    __table_args__ = (UniqueConstraint("bulletin_id", "unit_id", name="uq_bulletin_distribution_unit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletin.id", ondelete="CASCADE"), nullable=False, index=True)
    bulletin: Mapped[Bulletin] = relationship(back_populates="distributions")
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    unit: Mapped[Unit] = relationship(lazy="joined")
