"""协调申请与信息核查 (issue 14): pages and API of requests, their check items, the catalogue of
standard items, and the case ↔ user assignments (承办法官 / 破产管理人).

Every step calls app.services.requests; every record is fetched through the row-level scope first
(another case's request answers 404). A step's page form and its API endpoint share one permission
name on the resource "CoordinationRequest" (受理 → can_accept, 并入 → can_merge …).
"""
from __future__ import annotations

from flask import current_app

from app.models.requests import REQUEST_KIND_LABELS, REQUEST_STATUS_LABELS
from app.views import add_link, add_view
from app.views.requests.api import CaseAssignmentApi, CheckItemApi, CheckLineApi, RequestApi
from app.views.requests.common import RESOURCE
from app.views.requests.pages import CaseAssignmentView, CheckItemView, CheckLineView, RequestView

__all__ = ["CaseAssignmentView", "RequestView", "RequestApi", "register"]


def register(appbuilder):
    add_view(appbuilder, RequestView, "协调申请", "督促推进", icon="fa-hand-paper-o")
    add_link(appbuilder, "信息核查申请", "/request/check", "督促推进", RESOURCE, "can_add", icon="fa-search")
    add_view(appbuilder, CheckItemView, "信息核查事项目录", "督促推进", icon="fa-list-ol")
    appbuilder.add_view_no_menu(CheckLineView)
    appbuilder.add_view_no_menu(CaseAssignmentView)
    for api in (RequestApi, CheckLineApi, CheckItemApi, CaseAssignmentApi):
        appbuilder.add_api(api)
    current_app.jinja_env.globals["request_kind_labels"] = REQUEST_KIND_LABELS
    current_app.jinja_env.globals["request_status_labels"] = REQUEST_STATUS_LABELS
    from app.services.case_story import KIND_LABELS

    current_app.jinja_env.globals["story_kind_labels"] = KIND_LABELS
