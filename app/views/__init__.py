"""Pages and API resources, registered by mechanism. The menu mirrors the founding document."""
from __future__ import annotations

from app.security.menu_access import MENU_RESOURCES, record_menu_entry  # noqa: F401  (MENU_RESOURCES: the old name)

MENU_ORDER = ["工作台", "督促推进", "会议机制", "信息共享", "风险评估", "联合调研及提案", "重点案件协调组",
              "评价与监督", "基础数据", "系统管理", "Security"]
CATEGORY_ICONS = {
    "工作台": "fa-tachometer", "督促推进": "fa-bullhorn", "会议机制": "fa-users", "信息共享": "fa-share-alt",
    "风险评估": "fa-exclamation-triangle", "联合调研及提案": "fa-search", "重点案件协调组": "fa-flag",
    "评价与监督": "fa-check-square-o", "基础数据": "fa-database", "系统管理": "fa-cogs",
}


def add_view(appbuilder, view, name: str, category: str, icon: str = "fa-list", permission: str = "can_list"):
    appbuilder.add_view(view, name, icon=icon, category=category,
                        category_icon=CATEGORY_ICONS.get(category, "fa-folder"))
    record_menu_entry(name, category, view.class_permission_name or view.__name__, permission)


def add_link(appbuilder, name: str, href: str, category: str, resource: str, permission: str, icon: str = "fa-link"):
    appbuilder.add_link(name, href=href, icon=icon, category=category,
                        category_icon=CATEGORY_ICONS.get(category, "fa-folder"))
    record_menu_entry(name, category, resource, permission)


def register_views(appbuilder) -> None:
    from app.views.forms import install_select_defaults

    install_select_defaults()  # before any form is built
    from app.views import rison

    rison.install()  # FAB's `q` schemas compiled once, not checked against the metaschema per request
    from app.views import openapi

    openapi.install()  # the endpoints' YAML docstrings parsed once per process, not twice per method per spec
    from app.views import (api_keys, audit, basic, dashboard, evaluation, groups, meetings, requests, research, risk,
                           sharing, supervision)

    # Order = menu order: workbench first, then the six mechanisms, then reference data and admin.
    dashboard.register(appbuilder)
    supervision.register(appbuilder)
    requests.register(appbuilder)
    meetings.register(appbuilder)
    sharing.register(appbuilder)
    risk.register(appbuilder)
    research.register(appbuilder)
    groups.register(appbuilder)
    evaluation.register(appbuilder)
    basic.register(appbuilder)
    audit.register(appbuilder)
    api_keys.register(appbuilder)
    from flask import current_app

    if current_app.config.get("FAB_API_SWAGGER_UI"):
        from app.views.openapi import spec_views

        spec_api, swagger_page = spec_views()
        appbuilder.add_api(spec_api)
        appbuilder.add_view_no_menu(swagger_page)

    from app.security.permission_names import role_label

    current_app.jinja_env.globals["role_label"] = role_label
    from app.views import navbar

    navbar.install(current_app)
    order = {name: index for index, name in enumerate(MENU_ORDER)}
    appbuilder.menu.menu.sort(key=lambda item: order.get(item.name, len(order)))
