"""系统管理 → API 密钥: the administrator issues and revokes integrations' keys (issue 15).

The list shows each key's name, account, prefix and use; the secret is shown once, on the page that
answers the creation (never flashed: the flash message would sit in the session cookie), and only
hashes are kept. Rules live in app/security/api_keys.py; this page only calls them.
"""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import ModelView, action, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models.org import ApiCredential, AppUser
from app.security.api_keys import KeyFormError, create_key, expiry_from_date, key_prefix, revoke_key
from app.security.scope import current_user
from app.services.errors import BusinessError
from app.views import add_view


def _when(value):
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def account_label(user) -> str:
    if user is None:
        return ""
    roles = "、".join(r.name for r in user.roles or [])
    unit = f"，{user.unit.name}" if getattr(user, "unit", None) else ""
    return f"{user.username}（{user.first_name}；{roles}{unit}）"


class ApiKeyView(ModelView):
    """List, show, create and revoke; no edit (a key is re-issued, not changed) and no delete (the
    record of a revoked key stays for the audit)."""

    datamodel = SQLAInterface(ApiCredential)
    class_permission_name = "ApiKey"
    route_base = "/apikeys"
    list_title = show_title = _("API 密钥")
    add_title = _("新建 API 密钥")
    include_route_methods = {"list", "show", "add", "action", "action_post"}
    method_permission_name = {"list": "list", "show": "show", "add": "add", "revoke": "revoke",
                              "action": "list", "action_post": "list"}
    base_permissions = ["can_list", "can_show", "can_add", "can_revoke"]
    list_columns = ["name", "account", "key_prefix", "status_label", "created_on", "last_used_on", "last_used_from"]
    show_columns = ["name", "account", "key_prefix", "status_label", "created_on", "created_by", "expires_on",
                    "last_used_on", "last_used_from", "revoked_on", "revoked_by"]
    search_columns = ["name", "key_prefix", "created_by"]
    order_columns = ["name", "created_on", "last_used_on"]
    base_order = ("id", "desc")
    label_columns = {
        "name": _("名称"), "account": _("所属账号（角色、单位）"), "key_prefix": _("密钥前缀"),
        "status_label": _("状态"), "created_on": _("签发时间"), "created_by": _("签发人"),
        "expires_on": _("有效期至"), "last_used_on": _("最近使用时间"), "last_used_from": _("最近使用地址"),
        "revoked_on": _("吊销时间"), "revoked_by": _("吊销人"),
    }
    formatters_columns = {"account": account_label, "created_on": _when, "last_used_on": lambda v: _when(v) or "从未使用",
                          "expires_on": lambda v: _when(v) or "长期有效，直到吊销", "revoked_on": _when,
                          "key_prefix": lambda v: f"{v}…", "created_by": lambda v: v or "",
                          "revoked_by": lambda v: v or "", "last_used_from": lambda v: v or ""}
    description_columns = {"key_prefix": _("密钥的开头几位，用于辨认；完整密钥只在签发时显示一次")}

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """The form; on success the secret, once. Errors sit beside their field, the input kept."""
        form = {"name": "", "account": "", "expires_on": ""}
        errors: dict[str, str] = {}
        if request.method == "POST":
            form = {key: (request.form.get(key) or "").strip() for key in form}
            try:
                key, secret = create_key(db.session, current_user(), _account(form["account"]), form["name"],
                                         expiry_from_date(form["expires_on"]))
                db.session.commit()
            except KeyFormError as exc:
                db.session.rollback()
                errors[exc.field] = exc.message
            else:
                return self.render_template("security/api_key_created.html", title="API 密钥已签发",
                                            key=key, secret=secret, account=account_label(key.account))
        return self.render_template("security/api_key_add.html", title=str(self.add_title), form=form,
                                    errors=errors, accounts=_accounts(), prefix=key_prefix())

    @action("revoke", _("吊销"), _("吊销后，使用该密钥的请求立即被拒绝，且不能恢复（需要时重新签发）。确定吊销？"),
            "fa-ban", multiple=True, single=True)
    def revoke(self, items):
        items = items if isinstance(items, list) else [items]
        done = 0
        for item in items:
            try:
                revoke_key(db.session, current_user(), item)
                done += 1
            except BusinessError as exc:
                flash(f"{item.name}：{exc.message}", "warning")
        db.session.commit()
        if done:
            flash(f"已吊销 {done} 个 API 密钥，立即生效。", "success")
        return redirect(url_for(f"{self.endpoint}.list"))


def _accounts():
    return (db.session.query(AppUser).options(joinedload(AppUser.roles))
            .filter(AppUser.active.is_(True)).order_by(AppUser.username).all())


def _account(value: str):
    try:
        return db.session.get(AppUser, int(value))
    except (TypeError, ValueError):
        return None


def register(appbuilder):
    add_view(appbuilder, ApiKeyView, "API 密钥", "系统管理", icon="fa-key")
