"""Reference data: member units, users, settings, holidays, matter categories, document counters."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder.security.sqla.models import ApiKey as FabApiKey
from flask_appbuilder.security.sqla.models import User as FabUser
from sqlalchemy import (Boolean, Column, Date, ForeignKey, Integer, String, Table, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, TimestampMixin, VersionedMixin, label_of

UNIT_KIND_LABELS = {"office": "联动办公室", "member": "成员单位", "other": "其他单位"}


class Unit(VersionedMixin, TimestampMixin, Model):
    """A member unit of the mechanism (section 二/四 of the founding document), or the office."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    short_name: Mapped[Optional[str]] = mapped_column(String(50))
    # 全称 for documents (the reply letter's red mark, 国家税务总局平陆县税务局); empty: the name
    full_name: Mapped[Optional[str]] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="member", nullable=False, index=True)
    liaison_name: Mapped[Optional[str]] = mapped_column(String(50))
    liaison_phone: Mapped[Optional[str]] = mapped_column(String(50))
    leader_name: Mapped[Optional[str]] = mapped_column(String(50))
    email: Mapped[Optional[str]] = mapped_column(String(200))
    responsibilities: Mapped[Optional[str]] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=100, nullable=False, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def __repr__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        return label_of(UNIT_KIND_LABELS, self.kind)

    @property
    def document_name(self) -> str:
        """The name a document prints as the unit's mark or signature: its full name when set."""
        return (self.full_name or "").strip() or self.name


class AppUser(FabUser):
    """FAB's user, extended with the member unit a UnitStaff user belongs to."""

    __tablename__ = "ab_user"
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), nullable=True, index=True)
    unit: Mapped[Optional[Unit]] = relationship(Unit, lazy="joined")
    phone: Mapped[Optional[str]] = mapped_column(String(50))
    must_change_password: Mapped[Optional[bool]] = mapped_column(Boolean, default=False)

    def get_full_name(self) -> str:
        """The person's name, then the position when there is one ("王明 科长", not "王明 " or "王明 None")."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Setting(VersionedMixin, Model):
    """A key/value setting an administrator edits on the settings page (低代码配置)."""

    __tablename__ = "setting"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    value: Mapped[str] = mapped_column(Text, default="", nullable=False)
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[Optional[str]] = mapped_column(Text)
    value_type: Mapped[str] = mapped_column(String(10), default="str", nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=100, nullable=False)

    def __repr__(self) -> str:
        return self.label


HOLIDAY_KIND_LABELS = {"holiday": "法定节假日（休息）", "workday": "调休上班日"}


class Holiday(VersionedMixin, Model):
    """One day of the calendar that differs from the Monday–Friday week."""

    __tablename__ = "holiday"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), default="holiday", nullable=False)
    name: Mapped[Optional[str]] = mapped_column(String(50))

    @property
    def kind_label(self) -> str:
        return label_of(HOLIDAY_KIND_LABELS, self.kind)


category_unit = Table(
    "category_unit",
    Model.metadata,
    Column("category_id", ForeignKey("category.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True, index=True),
    # the seed's order: the first suggested unit is the suggested lead unit
    Column("position", Integer, nullable=False, server_default="100"),
)


class Category(VersionedMixin, Model):
    """A category of matters, with the units its matters usually go to (from section 四)."""

    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)
    description: Mapped[Optional[str]] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=100, nullable=False)
    suggested_units: Mapped[list[Unit]] = relationship(
        Unit, secondary=category_unit, lazy="selectin", order_by=(category_unit.c.position, Unit.sort_order)
    )

    def __repr__(self) -> str:
        return self.name


class DocCounter(Model):
    """The last sequence number used per document kind and year (letters, minutes, bulletins…)."""

    __tablename__ = "doc_counter"
    __table_args__ = (UniqueConstraint("kind", "year", name="uq_doc_counter_kind_year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class Notification(Model):
    """An in-app notice to a unit (or one user): reminders, new letters, returned replies."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)
    message: Mapped[str] = mapped_column(String(500), nullable=False)
    link: Mapped[Optional[str]] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=dt.datetime.now, nullable=False, index=True)
    read_at: Mapped[Optional[dt.datetime]] = mapped_column(index=True)


SESSION_KIND_LABELS = {"web": "网页", "api": "API 令牌"}


class LoginSession(Model):
    """A signed-in session (issue 7, issue 11): every credential a person holds names one row.

    A page session's cookie carries its `sid`; an API login's access and refresh tokens carry it as
    the `sid` claim. Flask's cookie and a JWT are signed, not stored: without this row a copy taken
    before logout, a password reset or a deactivation would still sign its holder in. `seen_at`
    is the server-side idle clock (updated at most once a minute). Written with plain statements
    (not audited row by row: the audit log records sign-ins, sign-outs and sessions ended).
    """

    __tablename__ = "login_session"
    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False, default="web", server_default=text("'web'"))
    created_at: Mapped[dt.datetime] = mapped_column(nullable=False, index=True)
    seen_at: Mapped[dt.datetime] = mapped_column(nullable=False)
    ended_at: Mapped[Optional[dt.datetime]] = mapped_column(nullable=True)


class ApiCredential(FabApiKey):
    """An integration's API key (issue 15) on FAB's own `ab_api_key` table, with what the admin needs
    to know besides FAB's columns: where it was last used from, who issued and who revoked it.

    The key acts as its user account (role, unit): the request loads that user exactly as a sign-in
    does, so every permission and row-level rule applies unchanged. Only hashes are stored; the
    secret is shown once, at creation.
    """

    last_used_from: Mapped[Optional[str]] = mapped_column(String(64), nullable=True)
    # user names, not foreign keys: they stay readable after an account is deleted (and FAB's
    # ApiKey.user relationship needs the table's only foreign key to ab_user)
    created_by: Mapped[Optional[str]] = mapped_column(String(128), nullable=True)
    revoked_by: Mapped[Optional[str]] = mapped_column(String(128), nullable=True)
    account: Mapped[AppUser] = relationship(AppUser, viewonly=True, lazy="joined")

    def __repr__(self) -> str:
        return f"{self.name}（{self.key_prefix}…）"

    @property
    def status_label(self) -> str:
        import datetime as _dt

        if self.revoked_on is not None or not self.active:
            return "已吊销"
        if self.expires_on is not None and self.expires_on < _dt.datetime.now():
            return "已过期"
        return "有效"
