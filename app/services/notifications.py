"""In-app notifications to units and users (the bell count in the navigation bar)."""
from __future__ import annotations

from flask import g
from sqlalchemy import func, select

from app import models as m
from app.extensions import db
from app.security.scope import scoped


def unread_count() -> int:
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    try:
        query = select(func.count()).select_from(m.Notification).where(m.Notification.read_at.is_(None))
        return db.session.execute(scoped(query, m.Notification, user)).scalar_one()
    except Exception:
        db.session.rollback()
        return 0


def notify_unit(session, unit_id: int, message: str, link: str | None = None) -> None:
    session.add(m.Notification(unit_id=unit_id, message=message[:500], link=link))


def notify_user(session, user_id: int, message: str, link: str | None = None) -> None:
    session.add(m.Notification(user_id=user_id, message=message[:500], link=link))


def _holders_of(session, permission: str, resource: str) -> list[int]:
    """Active users whose roles grant `permission` on `resource` (the administrator role aside: it holds
    every permission, and IT staff are not the office)."""
    from flask import current_app
    from flask_appbuilder.security.sqla.models import (Permission, PermissionView, Role, ViewMenu,
                                                       assoc_permissionview_role, assoc_user_role)

    admin_role = current_app.config.get("AUTH_ROLE_ADMIN", "Admin")
    query = (select(m.AppUser.id).distinct()
             .join(assoc_user_role, assoc_user_role.c.user_id == m.AppUser.id)
             .join(Role, Role.id == assoc_user_role.c.role_id)
             .join(assoc_permissionview_role, assoc_permissionview_role.c.role_id == Role.id)
             .join(PermissionView, PermissionView.id == assoc_permissionview_role.c.permission_view_id)
             .join(Permission, Permission.id == PermissionView.permission_id)
             .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
             .where(Permission.name == permission, ViewMenu.name == resource, Role.name != admin_role,
                    m.AppUser.active.is_(True)))
    return [row[0] for row in session.execute(query)]


def notify_office(session, message: str, link: str | None = None, *, permission: str, resource: str) -> None:
    """Tell the 联动办公室 that something waits for it: its unit's notices, and each person whose role
    may act on it (`permission` on `resource`, e.g. can_extension_approve on Matter) and who does not
    already read the office unit's notices — an office clerk set up without a unit was never told."""
    office_units = [uid for (uid,) in session.execute(select(m.Unit.id).where(m.Unit.kind == "office"))]
    for unit_id in office_units:
        notify_unit(session, unit_id, message, link)
    users = _holders_of(session, permission, resource)
    if not users:
        return
    reading_office = {uid for (uid,) in session.execute(
        select(m.AppUser.id).where(m.AppUser.id.in_(users), m.AppUser.unit_id.in_(office_units or [-1])))}
    for user_id in users:
        if user_id not in reading_office:
            notify_user(session, user_id, message, link)
