"""The navbar's menu rendered once per set of entries a user may see.

FAB renders the menu on every page: for each of some sixty entries a permission check, a `url_for`
and a translation, about a fifth of an ordinary page's time. The HTML depends only on which entries
are visible, the language and the address the app is mounted at, so it is kept per those, in the
process (a handful of role combinations in practice; bounded). Visibility is still asked of the
security manager on every page, so a role edited by an administrator shows on the next page.
"""
from __future__ import annotations

from flask import current_app, render_template, request
from flask_babel import get_locale
from markupsafe import Markup

LIMIT = 256


def _visible_entries(menu) -> tuple:
    sm = current_app.appbuilder.sm
    seen = []
    for item in menu.get_list():
        shown = sm.has_access("menu_access", item.name)
        seen.append(shown)
        if shown:
            seen.extend(child is not None and child.name != "-" and sm.has_access("menu_access", child.name)
                        for child in item.childs)
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
