"""信息共享机制: policies and typical cases, bulletins (通报)."""
from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _

from app import models as m
from app.models.sharing import BULLETIN_KIND_LABELS, POLICY_KIND_LABELS
from app.services.errors import BusinessError
from app.services.validation import check_date_order
from app.views import add_view
from app.views.base import RecordRules, ScopedApi, ScopedModelView


class PolicyRules(RecordRules):
    choice_columns = {"kind": POLICY_KIND_LABELS}


class BulletinRules(RecordRules):
    choice_columns = {"kind": BULLETIN_KIND_LABELS}

    def rules(self, item):
        check_date_order(item.period_start, item.period_end, "通报期间的结束日期不能早于开始日期")

    def check_update(self, item):
        if item.status != "draft":
            raise BusinessError("通报已印发，不能修改", 409)

    check_delete = check_update


class BulletinSectionRules(RecordRules):
    def check_add(self, item):
        from app.extensions import db

        bulletin = item.bulletin or db.session.get(m.Bulletin, item.bulletin_id)
        if bulletin is not None and bulletin.status != "draft":
            raise BusinessError("通报已印发，不能修改", 409)

    check_update = check_delete = check_add


class PolicyView(PolicyRules, ScopedModelView):
    datamodel = SQLAInterface(m.Policy)
    class_permission_name = "Policy"
    list_title = show_title = _("政策文件与典型案例")
    list_columns = ["kind_label", "title", "doc_number", "issuer", "publish_date"]
    add_columns = edit_columns = ["kind", "title", "doc_number", "issuer", "publish_date", "summary", "content"]
    show_columns = ["kind_label", "title", "doc_number", "issuer", "publish_date", "summary", "content"]
    search_columns = ["kind", "title", "doc_number", "issuer", "summary", "content", "publish_date"]
    base_order = ("publish_date", "desc")


class BulletinSectionView(BulletinSectionRules, ScopedModelView):
    datamodel = SQLAInterface(m.BulletinSection)
    class_permission_name = "BulletinSection"
    list_title = _("通报内容")
    list_columns = ["seq", "heading", "body"]
    add_columns = edit_columns = ["bulletin", "seq", "heading", "body"]
    search_columns = ["heading"]
    base_order = ("seq", "asc")


class BulletinView(BulletinRules, ScopedModelView):
    datamodel = SQLAInterface(m.Bulletin)
    class_permission_name = "Bulletin"
    list_title = show_title = _("工作通报")
    list_columns = ["number", "title", "kind_label", "period_start", "period_end", "status_label"]
    add_columns = edit_columns = ["kind", "title", "period_start", "period_end", "recipients", "document_date"]
    show_columns = ["number", "title", "kind_label", "period_start", "period_end", "recipients", "status_label",
                    "document_date", "issued_at"]
    search_columns = ["title", "kind", "status", "period_start"]
    base_order = ("id", "desc")
    related_views = [BulletinSectionView]


class PolicyApi(PolicyRules, ScopedApi):
    resource_name = "policy"
    datamodel = SQLAInterface(m.Policy)
    class_permission_name = "Policy"
    list_columns = ["id", "kind", "title", "doc_number", "issuer", "publish_date"]
    show_columns = list_columns + ["summary", "content", "proposal.id", "version_id"]
    add_columns = edit_columns = ["kind", "title", "doc_number", "issuer", "publish_date", "summary", "content"]
    search_columns = ["kind", "title", "summary", "content"]
    base_order = ("publish_date", "desc")


class BulletinApi(BulletinRules, ScopedApi):
    resource_name = "bulletin"
    datamodel = SQLAInterface(m.Bulletin)
    class_permission_name = "Bulletin"
    list_columns = ["id", "number", "title", "kind", "period_start", "period_end", "status", "issued_at"]
    show_columns = list_columns + ["recipients", "document_date", "sections.id", "sections.heading",
                                   "sections.body", "version_id"]
    add_columns = edit_columns = ["kind", "title", "period_start", "period_end", "recipients", "document_date"]
    base_order = ("id", "desc")


def register(appbuilder):
    add_view(appbuilder, PolicyView, "政策文件与典型案例", "信息共享", icon="fa-book")
    add_view(appbuilder, BulletinView, "工作通报", "信息共享", icon="fa-newspaper-o")
    appbuilder.add_view_no_menu(BulletinSectionView)
    for api in (PolicyApi, BulletinApi):
        appbuilder.add_api(api)
