"""Home page by role (工作台). Every number respects the user's row-level scope."""
from __future__ import annotations

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
        return self.render_template(self.index_template, appbuilder=self.appbuilder, data=data)


def register(appbuilder):
    pass
