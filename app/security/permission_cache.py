"""One permission query per request instead of one per menu item and button.

FAB asks the database once for every `has_access` (each menu entry, each list button, each
custom endpoint): about 35 statements a page. Here the user's roles' whole permission set
(a few hundred (permission, view) pairs) is read once per request — on the request object, so a
change to a role is seen by the very next request and by every worker (nothing is kept across
requests). Outside a request (CLI, seeding) FAB's own queries run unchanged.
"""
from __future__ import annotations

from flask import has_request_context, request
from flask_appbuilder.security.sqla.models import Permission, PermissionView, ViewMenu, assoc_permissionview_role

_ATTR = "_fyld_role_permissions"


def _request_cache() -> dict | None:
    if not has_request_context():
        return None
    cache = getattr(request, _ATTR, None)
    if cache is None:
        cache = {}
        setattr(request, _ATTR, cache)
    return cache


class PermissionCacheMixin:
    """Mixed into the SecurityManager before FAB's class: answers the two per-role look-ups FAB
    makes (`exist_permission_on_roles` for views and buttons, `find_roles_permission_view_menus`
    for the menu) from one set per request."""

    def role_permission_pairs(self, role_ids) -> frozenset[tuple[str, str]] | None:
        cache = _request_cache()
        if cache is None:
            return None
        key = tuple(sorted(set(role_ids)))
        if key not in cache:
            cache[key] = self.query_role_permission_pairs(key)
        return cache[key]

    def query_role_permission_pairs(self, role_ids) -> frozenset[tuple[str, str]]:
        rows = (self.session.query(Permission.name, ViewMenu.name)
                .select_from(PermissionView)
                .join(Permission, Permission.id == PermissionView.permission_id)
                .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
                .join(assoc_permissionview_role,
                      assoc_permissionview_role.c.permission_view_id == PermissionView.id)
                .filter(assoc_permissionview_role.c.role_id.in_(tuple(role_ids)))
                .distinct().all())
        return frozenset((perm, view) for perm, view in rows)

    def exist_permission_on_roles(self, view_name, permission_name, role_ids) -> bool:
        pairs = self.role_permission_pairs(role_ids)
        if pairs is None:
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        return (permission_name, view_name) in pairs

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        roles = [self.get_public_role()] if user is None else self.get_user_roles(user)
        db_role_ids = [role.id for role in roles if role is not None and role.name not in self.builtin_roles]
        pairs = self.role_permission_pairs(db_role_ids) if db_role_ids else None
        if pairs is None:
            return super()._get_user_permission_view_menus(user, permission_name, view_menus_name)
        result = {name for role in roles if role is not None and role.name in self.builtin_roles
                  for name in view_menus_name
                  if self._has_access_builtin_roles(role, permission_name, name)}
        result.update(view for perm, view in pairs if perm == permission_name)
        return result

    def get_user_by_id(self, pk):
        """The signed-in user with roles and groups in one statement (FAB: three per request)."""
        from sqlalchemy.orm import joinedload

        from flask import g

        preloaded = g.get("_session_user")
        if preloaded is not None and str(preloaded.id) == str(pk):
            return preloaded  # already loaded with its open-session check (app/web.py)
        try:
            pk = int(pk)  # FAB passes the reset-password page's `?pk=` as text: PostgreSQL will not compare it
        except (TypeError, ValueError):
            return None
        model = self.user_model
        return (self.session.query(model).options(joinedload(model.roles), joinedload(model.groups))
                .filter(model.id == pk).one_or_none())

    # A role edited during a request (the roles page, `seed load`) is re-read on the next look-up.
    def add_permission_role(self, role, perm_view):
        forget_permissions()
        return super().add_permission_role(role, perm_view)

    def del_permission_role(self, role, perm_view):
        forget_permissions()
        return super().del_permission_role(role, perm_view)


def forget_permissions() -> None:
    if has_request_context() and hasattr(request, _ATTR):
        delattr(request, _ATTR)
