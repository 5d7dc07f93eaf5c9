"""The navbar's menu rendered once per set of entries a user may see.

FAB renders the menu on every page: for each of some sixty entries a permission check, a `url_for`
and a translation, about a fifth of an ordinary page's time. The HTML depends only on which entries
are visible, the language and the address the app is mounted at, so it is kept per those, in the
process (a handful of role combinations in practice; bounded). Visibility is still asked of the
security manager on every page, so a role edited by an administrator shows on the next page.
"""
from __future__ import annotations

from flask import current_app, g, render_template, request
from flask_login import current_user
from flask_babel import get_locale
from markupsafe import Markup

LIMIT = 256


def _visible_entries(menu) -> tuple:
    sm = current_app.appbuilder.sm
    entries = [(item, [child for child in item.childs if child is not None and child.name != "-"])
               for item in menu.get_list()]
    user = g.user if current_user.is_authenticated else None
    if user is not None and user.is_active:
        # what FAB's has_access answers entry by entry, from the user's permission set in one look-up
        # (not FAB's get_user_menu_access: signed out, it reads the JWT user outside a token request)
        names = [name for item, children in entries for name in [item.name, *(c.name for c in children)]]
        allowed = sm._get_user_permission_view_menus(user, "menu_access", names)
        shown = allowed.__contains__
    else:
        shown = lambda name: sm.has_access("menu_access", name)  # noqa: E731  (signed out, API key …)
    seen = []
    for item, children in entries:
        seen.append(shown(item.name))
        if seen[-1]:
            seen.extend(shown(child.name) for child in children)
    return tuple(seen)


def navbar_menu(menu) -> Markup:
    key = (_visible_entries(menu), str(get_locale()), request.script_root)
    cache = current_app.extensions.setdefault("fyld_navbar_menus", {})
    html = cache.get(key)
    if html is None:
        if len(cache) >= LIMIT:
            cache.clear()
        html = cache[key] = Markup(render_template("appbuilder/navbar_menu.html", menu=menu))
    return html


def install(app) -> None:
    app.jinja_env.globals["navbar_menu"] = navbar_menu
