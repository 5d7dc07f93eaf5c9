"""协调申请 and 信息核查: matters asked for by the judge or the administrator of a case (issue 14).

A user is linked to a case by a `CaseAssignment` (承办法官 / 破产管理人); what they may then see is
the data scope `DataScope.can_own_cases` (app/security/scope.py). A `CoordinationRequest` is either a
free 协调申请 (the office accepts it into a draft matter, merges it into an existing one, or
declines it) or an 信息核查 request whose `CheckLine`s name standard query items of the catalogue
(`CheckItem`); approving it sends one matter per unit with the items' standard deadlines.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import CreatedByMixin, Model, TimestampMixin, VersionedMixin, label_of, now
from app.models.cases import Case
from app.models.org import AppUser, Category, Unit

CASE_ROLE_LABELS = {"judge": "承办法官", "administrator": "破产管理人"}
REQUEST_KIND_LABELS = {"coordination": "协调申请", "check": "信息核查"}
REQUEST_STATUS_LABELS = {"submitted": "待审核", "accepted": "已受理", "merged": "已并入事项", "declined": "不予受理",
                         "withdrawn": "已撤回"}
#: a request in any of these states has been decided (or withdrawn): it is frozen (app/models/locks.py)
DECIDED_STATUSES = ("accepted", "merged", "declined", "withdrawn")


class CaseAssignment(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    """A user working on a case: its judge or its court-appointed administrator."""

    __tablename__ = "case_assignment"
    __table_args__ = (UniqueConstraint("case_id", "user_id", name="uq_case_assignment_user"),
                      Index("ix_case_assignment_user_case", "user_id", "case_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("bankruptcy_case.id", ondelete="CASCADE"), nullable=False, index=True)
    case: Mapped[Case] = relationship(lazy="joined")
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    user: Mapped[AppUser] = relationship(AppUser, foreign_keys=[user_id], lazy="joined")
    role: Mapped[str] = mapped_column(String(20), default="judge", nullable=False)
    note: Mapped[Optional[str]] = mapped_column(String(200))

    def __repr__(self) -> str:
        name = self.user.first_name if self.user is not None else ""
        return f"{self.role_label} {name}".strip()

    @property
    def role_label(self) -> str:
        return label_of(CASE_ROLE_LABELS, self.role)


class CheckItem(VersionedMixin, TimestampMixin, Model):
    """A standard information item a member unit answers (欠税及申报情况 …), kept by the administrator."""

    __tablename__ = "check_item"
    __table_args__ = (UniqueConstraint("unit_id", "name", name="uq_check_item_unit_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    unit: Mapped[Unit] = relationship(lazy="joined")
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[Optional[str]] = mapped_column(Text)        # what the unit reports back
    requirements: Mapped[Optional[str]] = mapped_column(Text)       # what the requester must provide
    deadline_workdays: Mapped[int] = mapped_column(Integer, default=5, nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=100, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def __repr__(self) -> str:
        return self.name


request_unit = Table(
    "request_unit",
    Model.metadata,
    Column("request_id", ForeignKey("coordination_request.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class CoordinationRequest(VersionedMixin, TimestampMixin, CreatedByMixin, Model):
    """A request to the office about one case (API resource `request`)."""

    __tablename__ = "coordination_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="coordination", nullable=False, index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("bankruptcy_case.id"), nullable=False, index=True)
    case: Mapped[Case] = relationship(lazy="joined")
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    needs: Mapped[str] = mapped_column(Text, default="", nullable=False)     # what is needed
    reason: Mapped[Optional[str]] = mapped_column(Text)                     # why, on what basis
    category_id: Mapped[Optional[int]] = mapped_column(ForeignKey("category.id"), index=True)
    category: Mapped[Optional[Category]] = relationship(lazy="joined")
    suggested_units: Mapped[list[Unit]] = relationship(Unit, secondary=request_unit, lazy="selectin",
                                                       order_by=Unit.sort_order)
    desired_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="submitted", nullable=False, index=True)
    requester_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)
    requester: Mapped[Optional[AppUser]] = relationship(AppUser, foreign_keys=[requester_id], lazy="joined")
    requester_role: Mapped[Optional[str]] = mapped_column(String(20))     # judge / administrator when filed
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now, nullable=False, index=True)
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)
    decision_note: Mapped[Optional[str]] = mapped_column(Text)
    # the matter it became (accepted) or joined (merged); an information check's matters are per line
    matter_id: Mapped[Optional[int]] = mapped_column(ForeignKey("matter.id", ondelete="SET NULL"), index=True)
    matter: Mapped[Optional["Matter"]] = relationship("Matter", foreign_keys=[matter_id])  # noqa: F821
    lines: Mapped[list["CheckLine"]] = relationship(back_populates="request", cascade="all, delete-orphan",
                                                    order_by="(CheckLine.sort_order, CheckLine.id)")

    def __repr__(self) -> str:
        return self.title

    @property
    def kind_label(self) -> str:
        return label_of(REQUEST_KIND_LABELS, self.kind)

    @property
    def status_label(self) -> str:
        return label_of(REQUEST_STATUS_LABELS, self.status)

    @property
    def requester_label(self) -> str:
        """申请人 as the office reads it: 破产管理人 山西黄河律师事务所（张律师）."""
        who = self.requester.first_name if self.requester is not None else ""
        role = label_of(CASE_ROLE_LABELS, self.requester_role) if self.requester_role else ""
        return f"{role} {who}".strip()


class CheckLine(VersionedMixin, Model):
    """One catalogue item asked for in an information check; its unit answers it in a matter."""

    __tablename__ = "check_line"
    __table_args__ = (UniqueConstraint("request_id", "item_id", name="uq_check_line_item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("coordination_request.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    request: Mapped[CoordinationRequest] = relationship(back_populates="lines")
    item_id: Mapped[int] = mapped_column(ForeignKey("check_item.id"), nullable=False, index=True)
    item: Mapped[CheckItem] = relationship(lazy="joined")
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)  # the item's, when asked
    unit: Mapped[Unit] = relationship(lazy="joined")
    note: Mapped[Optional[str]] = mapped_column(String(500))     # e.g. 车牌号、不动产坐落
    matter_id: Mapped[Optional[int]] = mapped_column(ForeignKey("matter.id", ondelete="SET NULL"), index=True)
    matter: Mapped[Optional["Matter"]] = relationship("Matter", foreign_keys=[matter_id])  # noqa: F821
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    def __repr__(self) -> str:
        return self.item.name if self.item is not None else f"核查事项#{self.id}"
