"""重点案件专门领导协调组机制: leadership coordination groups for key cases."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import CreatedByMixin, Model, TimestampMixin, VersionedMixin, label_of
from app.models.cases import Case
from app.models.org import Unit

GROUP_STATUS_LABELS = {"active": "运行中", "dissolved": "已撤销"}
GROUP_ROLE_LABELS = {"court_leader": "法院牵头领导", "gov_leader": "政府牵头领导", "member": "成员", "liaison": "联络员"}


class CoordinationGroup(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    __tablename__ = "coordination_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    case_id: Mapped[int] = mapped_column(ForeignKey("bankruptcy_case.id"), nullable=False, index=True)
    case: Mapped[Case] = relationship(lazy="joined")
    court_leader: Mapped[Optional[str]] = mapped_column(String(100))
    government_leader: Mapped[Optional[str]] = mapped_column(String(100))
    mandate: Mapped[Optional[str]] = mapped_column(Text)
    setup_date: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default="active", nullable=False, index=True)
    dissolved_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    dissolve_reason: Mapped[Optional[str]] = mapped_column(Text)
    members: Mapped[list["GroupMember"]] = relationship(back_populates="group", cascade="all, delete-orphan")
    tasks: Mapped[list["Matter"]] = relationship("Matter", back_populates="group")  # noqa: F821
    logs: Mapped[list["GroupLog"]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupLog.log_date.desc()"
    )

    def __repr__(self) -> str:
        return self.name

    @property
    def status_label(self) -> str:
        return label_of(GROUP_STATUS_LABELS, self.status)


class GroupMember(VersionedMixin, Model):
    __tablename__ = "group_member"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("coordination_group.id", ondelete="CASCADE"), nullable=False, index=True)
    group: Mapped[CoordinationGroup] = relationship(back_populates="members")
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    unit: Mapped[Optional[Unit]] = relationship(lazy="joined")
    person_name: Mapped[Optional[str]] = mapped_column(String(50))
    position: Mapped[Optional[str]] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20), default="member", nullable=False)

    @property
    def role_label(self) -> str:
        return label_of(GROUP_ROLE_LABELS, self.role)


class GroupLog(VersionedMixin, CreatedByMixin, Model):
    __tablename__ = "group_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("coordination_group.id", ondelete="CASCADE"), nullable=False, index=True)
    group: Mapped[CoordinationGroup] = relationship(back_populates="logs")
    log_date: Mapped[dt.date] = mapped_column(Date, default=dt.date.today, nullable=False, index=True)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    author: Mapped[Optional[str]] = mapped_column(String(100))
