"""Home page by role (工作台), plus two small helpers the workbench pages of issue 6 share:
extra context on a show page, and running a workflow step from a page form.
"""
from __future__ import annotations

import json

from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose

from app.services import dashboard as dashboard_service


class HomeIndexView(IndexView):
    index_template = "home.html"

    @expose("/")
    def index(self):
        user = getattr(g, "user", None)
        if user is None or not getattr(user, "is_authenticated", False):
            return redirect(url_for("AuthDBView.login"))
        data = dashboard_service.home_data(user)
        chart_json = json.dumps(data.chart or {}, ensure_ascii=False).replace("</", "<\\/")
        return self.render_template(self.index_template, appbuilder=self.appbuilder, data=data, chart_json=chart_json)


def blank(value):
    """Show nothing instead of FAB's "None" for an empty field."""
    return "" if value is None else value


def names(values):
    return "、".join(str(v) for v in values or [])


def formatters(*blank_columns: str, **others) -> dict:
    return {**{c: blank for c in blank_columns}, **others}


class ShowExtrasMixin:
    """Adds `show_extras(item)` to the context of a ModelView's show page (item already in scope)."""

    def show_extras(self, item) -> dict:
        return {}

    def render_template(self, template, **kwargs):
        if template == self.show_template and "pk" in kwargs:
            item = self.datamodel.get(kwargs["pk"], self._base_filters)
            if item is not None:
                kwargs.update(self.show_extras(item))
                kwargs["item"] = item
        return super().render_template(template, **kwargs)


def register(appbuilder):
    pass
