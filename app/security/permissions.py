"""Authorization as data: what a user may do is what their roles' FAB permissions say, never their names.

Every workflow step, export and document checks `(permission, resource)` pairs that the roles page
governs, and the data scope (own unit / all units) is itself a permission on the pseudo-resource
`DataScope`, so a role an administrator creates works without code (issue 11).

The permission set of a user's roles is read once per request (PermissionCacheMixin) — a change on
the roles page is seen by the next request in every worker. Outside a request (CLI, seeding) it is
read from the database and kept on the user object for the command's lifetime.
"""
from __future__ import annotations

from flask import current_app, has_app_context

from app.services.errors import PermissionRefused

SCOPE_RESOURCE = "DataScope"
SCOPE_ALL = "can_all_units"      # 全部单位：sees every unit's records (office, conveners, observers)
SCOPE_UNIT = "can_own_unit"      # 本单位：sees what concerns the user's own member unit (liaisons)
SCOPE_CASES = "can_own_cases"    # 本人承办/管理的案件：cases the user is assigned to (judges, administrators)
SCOPE_PERMISSIONS = (SCOPE_ALL, SCOPE_UNIT, SCOPE_CASES)

_USER_CACHE = "_fyld_permission_pairs"


def permission_pairs(user) -> frozenset[tuple[str, str]]:
    """All (permission, resource) pairs granted to the user's roles."""
    if user is None or not getattr(user, "is_authenticated", True):
        return frozenset()
    role_ids = [role.id for role in getattr(user, "roles", None) or []]
    if not role_ids or not has_app_context():
        return frozenset()
    sm = current_app.appbuilder.sm
    pairs = sm.role_permission_pairs(role_ids)  # per request, shared with FAB's menu and buttons
    if pairs is not None:
        return pairs
    cached = user.__dict__.get(_USER_CACHE)
    if cached is None or cached[0] != tuple(sorted(role_ids)):
        cached = (tuple(sorted(role_ids)), sm.query_role_permission_pairs(role_ids))
        user.__dict__[_USER_CACHE] = cached
    return cached[1]


def can(user, permission: str, resource: str) -> bool:
    """May `user` do `permission` (``can_send``, or just ``send``) on `resource` (``Matter``)?"""
    if not permission.startswith("can_") and permission != "menu_access":
        permission = "can_" + permission
    return (permission, resource) in permission_pairs(user)


def require(user, permission: str, resource: str, what: str) -> None:
    """Refuse (403, nothing changed) unless the user's roles grant the permission.

    `user` None is the system itself (CLI jobs such as reminders, seeding), which the views never pass.
    """
    if user is None:
        return
    if not can(user, permission, resource):
        raise PermissionRefused(f"您没有{what}的权限（需要在角色中授予）")


def sees_all_units(user) -> bool:
    return can(user, SCOPE_ALL, SCOPE_RESOURCE)


def sees_own_unit(user) -> bool:
    return can(user, SCOPE_UNIT, SCOPE_RESOURCE) and getattr(user, "unit_id", None) is not None


def sees_own_cases(user) -> bool:
    return can(user, SCOPE_CASES, SCOPE_RESOURCE) and getattr(user, "id", None) is not None


def acts_for_own_unit_only(user) -> bool:
    """A liaison-like user: bound to one unit and not seeing the others (the UnitStaff role by default)."""
    return user is not None and not sees_all_units(user) and can(user, SCOPE_UNIT, SCOPE_RESOURCE)


def role_requires_unit(role) -> bool:
    """A role whose scope is one unit only makes no sense for a user without a unit."""
    names = {(pv.permission.name, pv.view_menu.name) for pv in getattr(role, "permissions", None) or []}
    return (SCOPE_UNIT, SCOPE_RESOURCE) in names and (SCOPE_ALL, SCOPE_RESOURCE) not in names
