"""The role pages in Chinese: role names, permissions named and grouped by mechanism, and a matrix.

FAB lists 271 English strings ("can list on Matter") in one select box where one click on × cleared
all of them. Here the select box names each permission in Chinese (search 导出 finds it), asks before
clearing, and /roles/matrix/<id> shows resources × permissions by mechanism, with check boxes.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.fields import QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import Select2ManyWidget
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.security.views import (PermissionModelView, PermissionViewModelView, RoleModelView,
                                            UserGroupModelView, ViewMenuModelView)
from flask_appbuilder.widgets import ShowWidget

from app.views.forms import FriendlyListWidget
from flask_babel import lazy_gettext as _
from wtforms import validators

from app.security.permission_cache import forget_permissions
from app.security.permission_names import (COMMON, GROUPS, permission_label, permission_view_label, resource_label,
                                           role_label, sort_key)
CONFIRM_EMPTY_FIELD = "confirm_empty"


def _all_permission_views():
    from app.extensions import db

    sm = _sm()
    return sorted(db.session.query(sm.permissionview_model).all(), key=sort_key)


def _sm():
    from flask import current_app

    return current_app.appbuilder.sm


def role_name_label(name) -> str:
    label = role_label(name)
    return label if label == name else f"{label}（{name}）"


def permissions_summary(permissions) -> str:
    count = len(permissions or [])
    return f"共 {count} 项权限" if count else "无任何权限"


def matrix(role) -> list[dict]:
    """Groups of rows: each row a resource with its permissions (id, label, granted), common ones first."""
    granted = {pv.id for pv in role.permissions} if role is not None else set()
    groups: dict[str, dict[str, dict]] = {}
    for pv in _all_permission_views():
        permission, view = pv.permission.name, pv.view_menu.name
        group, resource = resource_label(view)
        if permission == "menu_access":
            group = "菜单"
        row = groups.setdefault(group, {}).setdefault(resource, {"resource": resource, "common": {}, "other": []})
        cell = {"id": pv.id, "label": permission_label(permission), "granted": pv.id in granted}
        if permission in COMMON:
            row["common"][permission] = cell
        else:
            row["other"].append(cell)
    order = {g: i for i, g in enumerate(GROUPS)}
    return [{"name": name, "rows": list(rows.values())}
            for name, rows in sorted(groups.items(), key=lambda kv: order.get(kv[0], len(order)))]


class ChineseRoleView(RoleModelView):
    class_permission_name = "RoleModelView"  # the permissions FAB created for its role page stay valid
    list_title = show_title = _("角色")
    add_title = _("新增角色")
    edit_title = _("编辑角色")
    list_widget = FriendlyListWidget
    show_widget = ShowWidget
    edit_template = add_template = "security/role_edit.html"
    list_template = "security/role_list.html"
    label_columns = {"name": _("角色"), "permissions": _("权限"), "user": _("用户")}
    description_columns = {
        "name": _("角色代码（系统内部使用，建议用英文）；列表中显示中文名称，如 Office 显示为“联动办公室”"),
        "permissions": _("可输入中文搜索，如“导出”“函告”“菜单”；按机制分组查看和勾选请用“权限矩阵”"),
    }
    formatters_columns = {"name": role_name_label, "permissions": permissions_summary}
    search_columns = ["name"]

    def _init_forms(self):
        field = QuerySelectMultipleField(
            _("权限"), query_func=_all_permission_views, get_label=permission_view_label,
            get_pk_func=lambda pv: pv.id, widget=Select2ManyWidget(extra_classes="confirm-clear"),
            validators=[validators.Optional()], description=self.description_columns["permissions"])
        self.add_form_extra_fields = {"permissions": field}
        self.edit_form_extra_fields = {"permissions": field}
        super()._init_forms()

    @expose("/matrix/<int:pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def matrix(self, pk):
        """资源 × 权限, grouped by mechanism; saving with nothing ticked needs an explicit confirmation."""
        from app.extensions import db

        role = db.session.get(self.datamodel.obj, pk)
        if role is None:
            abort(404)
        if request.method == "POST":
            wanted = {int(v) for v in request.form.getlist("pv") if v.isdigit()}
            if not wanted and request.form.get(CONFIRM_EMPTY_FIELD) != "1":
                flash(f"未勾选任何权限：{role_label(role.name)}的全部权限将被清空。如确要清空，请在提示框中确认。", "danger")
                return redirect(url_for(".matrix", pk=pk))
            role.permissions = [pv for pv in _all_permission_views() if pv.id in wanted]
            db.session.commit()
            forget_permissions()
            flash(f"已保存“{role_label(role.name)}”的权限（共 {len(wanted)} 项）", "success")
            return redirect(url_for(".matrix", pk=pk))
        return self.render_template("security/role_matrix.html", title=f"权限矩阵：{role_label(role.name)}",
                                    role=role, role_label=role_label(role.name), groups=matrix(role),
                                    common=[(p, permission_label(p)) for p in COMMON],
                                    confirm_field=CONFIRM_EMPTY_FIELD)


# --- FAB's other security pages, in Chinese -----------------------------------------------------

class ChineseGroupView(UserGroupModelView):
    class_permission_name = "UserGroupModelView"
    list_title = show_title = _("用户组")
    add_title, edit_title = _("新增用户组"), _("编辑用户组")
    label_columns = {"name": _("名称"), "label": _("显示名称"), "description": _("说明"), "users": _("用户"),
                     "roles": _("角色")}
    formatters_columns = {"roles": lambda roles: "、".join(role_label(r.name) for r in roles or []),
                          "users": lambda users: "、".join(u.first_name or u.username for u in users or []),
                          "description": lambda v: v or "", "label": lambda v: v or ""}


class ChinesePermissionView(PermissionModelView):
    class_permission_name = "PermissionModelView"
    list_title = show_title = _("基础权限")
    label_columns = {"name": _("权限")}
    formatters_columns = {"name": permission_label}


class ChineseViewMenuView(ViewMenuModelView):
    class_permission_name = "ViewMenuModelView"
    list_title = show_title = _("视图与菜单")
    label_columns = {"name": _("视图或菜单")}
    formatters_columns = {"name": lambda name: "｜".join(resource_label(name)) if name else ""}


class ChinesePermissionViewView(PermissionViewModelView):
    class_permission_name = "PermissionViewModelView"
    list_title = show_title = _("视图与菜单的权限")
    label_columns = {"permission": _("权限"), "view_menu": _("视图或菜单"), "role": _("角色")}
    formatters_columns = {"permission": lambda p: permission_label(p.name) if p else "",
                          "view_menu": lambda v: "｜".join(resource_label(v.name)) if v else "",
                          "role": lambda roles: "、".join(role_label(r.name) for r in roles or [])}
