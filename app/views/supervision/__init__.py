"""督促推进机制: matters (协调事项), their letters, replies, extensions and reminders.

Pages and API call the same services (app.services.matters); the page and the API endpoint of a
step share one permission name on the resource "Matter" (send → can_send, 退回 → can_return …).
Every record is fetched through the row-level scope first: another unit's matter answers 404.
"""
from __future__ import annotations

from flask import current_app

from app.views import add_link, add_view
from app.views.supervision.api import MatterApi
from app.views.supervision.common import ALERT_CLASSES
from app.views.supervision.pages import MatterView, list_alert

__all__ = ["MatterApi", "MatterView", "register"]


def register(appbuilder):
    from app.views import attachments

    add_view(appbuilder, MatterView, "协调事项", "督促推进", icon="fa-tasks")
    add_link(appbuilder, "本单位待办", "/matter/inbox", "督促推进", "Matter", "can_inbox", icon="fa-inbox")
    add_link(appbuilder, "督办台", "/matter/supervise", "督促推进", "Matter", "can_supervise", icon="fa-bullhorn")
    appbuilder.add_api(MatterApi)
    attachments.register(appbuilder)
    current_app.jinja_env.globals["matter_list_alert"] = list_alert
    current_app.jinja_env.globals["matter_alert_classes"] = ALERT_CLASSES
