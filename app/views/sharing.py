"""信息共享机制: the policy library with attachments, bulletins (通报) drafted from data, issued, printed.

The ledger of major and sensitive cases lives with the cases (app/views/basic.py: CaseView.ledger).
"""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _
from marshmallow import Schema, fields

from app import models as m
from app.extensions import db
from app.models.sharing import BULLETIN_KIND_LABELS, POLICY_KIND_LABELS
from app.security.scope import current_user, get_in_scope
from app.services import bulletins as bulletin_service
from app.services import policy_files
from app.services.errors import BusinessError, NotFound
from app.services.validation import check_date_order
from app.views import add_link, add_view
from app.views.base import (API_PERMISSIONS, PAGE_PERMISSIONS, RecordRules, ScopedApi, ScopedModelView,
                            workflow_call)
from app.views.steps import Step


def _pdf_response(data: bytes, filename: str):
    from urllib.parse import quote

    from flask import Response

    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(filename)}", "Cache-Control": "no-store"})


def _parse_date(value):
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


class PolicyRules(RecordRules):
    choice_columns = {"kind": POLICY_KIND_LABELS}
    required_columns = ("title",)



class BulletinRules(RecordRules):
    choice_columns = {"kind": BULLETIN_KIND_LABELS}
    required_columns = ("title",)

    def rules(self, item):
        check_date_order(item.period_start, item.period_end, "通报期间的结束日期不能早于开始日期")



class BulletinSectionRules(RecordRules):
    """An issued bulletin and its sections are locked in app/models/locks.py."""


# --- the policy's upload step: one declaration for the page and the API (app/views/steps.py) ------
def attach_policy_file(session, policy, user, files=()):
    """The page's and the API's multipart `file`, kept with the policy."""
    return policy_files.save_attachment(session, user, "policy", policy.id, files[0] if files else None)


POLICY_STEPS = {
    "attach": Step(attach_policy_file, "附件已上传", summary="上传附件（multipart 的 file）", files="file"),
}


class UploadedFile(Schema):
    id = fields.Integer(required=True)
    filename = fields.String(required=True, metadata={"description": "文件名"})
    size = fields.Integer(required=True, metadata={"description": "字节数"})


# --- the bulletin's workflow step: one declaration for the page and the API (app/views/steps.py) ----
def _issued(bulletin, result) -> str:
    return f"已印发 {bulletin.number}，已分发各成员单位"


BULLETIN_STEPS = {
    "issue": Step(bulletin_service.issue_bulletin, _issued, summary="印发通报草稿：编文号和期号、锁定内容并分发各成员单位"),
}


class IssuedBulletin(Schema):
    """What 印发 answers."""

    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"description": "通报文号"})
    issue_label = fields.String(required=True, metadata={"description": "期号，如 2026年第1期（总第1期）"})
    distributed_to = fields.Integer(required=True, metadata={"description": "分发的成员单位数"})


# --- policy library ----------------------------------------------------------------------------------
class PolicyView(PolicyRules, ScopedModelView):
    datamodel = SQLAInterface(m.Policy)
    class_permission_name = "Policy"
    list_title = show_title = _("政策文件与典型案例")
    add_title = _("收录政策文件或案例")
    edit_title = _("编辑")
    list_columns = ["kind_label", "title", "doc_number", "issuer", "publish_date"]
    add_columns = edit_columns = ["kind", "title", "doc_number", "issuer", "publish_date", "summary", "content"]
    show_columns = ["kind_label", "title", "doc_number", "issuer", "publish_date", "summary", "content"]
    search_columns = ["kind", "title", "doc_number", "issuer", "summary", "content", "publish_date"]
    base_order = ("publish_date", "desc")
    show_template = "sharing/policy_show.html"
    steps = POLICY_STEPS
    method_permission_name = {**PAGE_PERMISSIONS, "library": "list", "file": "show", "attach": "edit",
                              "detach": "edit"}

    @expose("/library/")
    @has_access
    def library(self):
        """政策文件库: one search box over title, summary, content, number and issuer."""
        q, kind = (request.args.get("q") or "").strip()[:100], request.args.get("kind") or ""
        kind = kind if kind in POLICY_KIND_LABELS else ""
        items = policy_files.search_policies(db.session, current_user(), q, kind)
        counts = policy_files.attachment_counts(db.session, [p.id for p in items])
        return self.render_template("sharing/policy_library.html", title="政策文件与典型案例", items=items, q=q,
                                    kind=kind, kinds=POLICY_KIND_LABELS, counts=counts)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        widgets = self._show(pk)
        item = self.datamodel.get(pk, self._base_filters)
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=widgets,
                                    related_views=self._related_views, item=item,
                                    attachments=policy_files.attachments_of(db.session, "policy", item.id))

    @expose("/attach/<int:pk>", methods=["POST"])
    @has_access
    def attach(self, pk):
        return self.page_step(pk, "attach", next_url=url_for("PolicyView.show", pk=pk))

    @expose("/detach/<int:att_id>", methods=["POST"])
    @has_access
    def detach(self, att_id):
        try:
            attachment, _path = policy_files.policy_attachment(db.session, att_id)
        except NotFound:
            abort(404)
        owner = attachment.owner_id
        policy_files.delete_attachment(db.session, attachment)
        db.session.commit()
        flash("附件已删除", "success")
        return redirect(url_for("PolicyView.show", pk=owner))

    @expose("/file/<int:att_id>")
    @has_access
    def file(self, att_id):
        try:
            attachment, path = policy_files.policy_attachment(db.session, att_id)
        except NotFound:
            abort(404)
        return send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename)


# --- bulletins ----------------------------------------------------------------------------------------
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
    add_title = _("新建通报")
    list_columns = ["number", "title", "kind_label", "period_start", "period_end", "status_label"]
    add_columns = edit_columns = ["kind", "title", "period_start", "period_end", "recipients", "document_date"]
    show_columns = ["number", "title", "kind_label", "period_start", "period_end", "recipients", "status_label",
                    "document_date", "issued_at"]
    search_columns = ["title", "kind", "status", "period_start"]
    base_order = ("id", "desc")
    related_views = [BulletinSectionView]
    show_template = "sharing/bulletin_show.html"
    method_permission_name = {**PAGE_PERMISSIONS, "draft": "add", "compose": "edit"}
    steps = BULLETIN_STEPS

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """The list's + opens the 起草 page: a bulletin is drafted from the period's data, never empty."""
        return redirect(url_for("BulletinView.draft"))

    @expose("/draft/", methods=["GET", "POST"])
    @has_access
    def draft(self):
        """Create a bulletin for a period: every section drafted from the data, then edited."""
        kind = request.values.get("kind") or "quarter"
        default_start, default_end = bulletin_service.default_period(kind if kind != "special" else "quarter",
                                                                     dt.date.today())
        if request.method == "POST":
            try:
                bulletin = bulletin_service.draft_bulletin(
                    db.session, current_user(), kind, _parse_date(request.form.get("period_start")),
                    _parse_date(request.form.get("period_end")), (request.form.get("title") or "").strip() or None)
                db.session.commit()
                flash("已按本期数据起草通报，请逐节修改后印发", "success")
                return redirect(url_for("BulletinView.compose", pk=bulletin.id))
            except BusinessError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
        periods = {k: [d.isoformat() for d in bulletin_service.default_period(k, dt.date.today())]
                   for k in ("month", "quarter", "year")}
        return self.render_template("sharing/bulletin_draft.html", title="起草工作通报", kinds=BULLETIN_KIND_LABELS,
                                    kind=kind, start=request.form.get("period_start") or default_start.isoformat(),
                                    end=request.form.get("period_end") or default_end.isoformat(), periods=periods)

    @expose("/compose/<int:pk>", methods=["GET", "POST"])
    @has_access
    def compose(self, pk):
        """Edit every section of a draft on one page (headings, text); tables come from the data."""
        from sqlalchemy.orm.exc import StaleDataError

        try:
            bulletin = get_in_scope(db.session, m.Bulletin, pk)
        except NotFound:
            abort(404)
        if request.method == "POST":
            try:
                bulletin_service.check_draft(bulletin)
                title = (request.form.get("title") or "").strip()
                if not title:
                    raise BusinessError("通报标题不能为空", 422)
                bulletin.title = title[:200]
                bulletin.recipients = (request.form.get("recipients") or "各成员单位").strip()[:200]
                for section in bulletin.sections:
                    if request.form.get(f"delete_{section.id}"):
                        db.session.delete(section)
                        continue
                    bulletin_service.update_section(section, request.form.get(f"heading_{section.id}"),
                                                    request.form.get(f"body_{section.id}"),
                                                    request.form.get(f"version_{section.id}") or None)
                new_heading = (request.form.get("new_heading") or "").strip()
                if new_heading:
                    seq = max([s.seq for s in bulletin.sections] or [0]) + 1
                    bulletin.sections.append(m.BulletinSection(seq=seq, heading=new_heading[:200],
                                                               body=request.form.get("new_body") or ""))
                db.session.commit()
                flash("通报已保存", "success")
                return redirect(url_for("BulletinView.compose", pk=pk))
            except StaleDataError:
                db.session.rollback()
                flash("该通报已被他人修改，请刷新后重新编辑。您的修改未保存。", "danger")
            except BusinessError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
            bulletin = get_in_scope(db.session, m.Bulletin, pk)
        sections = [(s, bulletin_service.section_data(s)) for s in bulletin.sections]
        return self.render_template("sharing/bulletin_compose.html", title="编辑通报", bulletin=bulletin,
                                    sections=sections, issue_label=bulletin_service.issue_label(bulletin))

    @expose("/issue/<int:pk>", methods=["POST"])
    @has_access
    def issue(self, pk):
        return self.page_step(pk, "issue", next_url=url_for("BulletinView.show", pk=pk))

    @expose("/pdf/<int:pk>")
    @has_access
    def pdf(self, pk):
        try:
            bulletin = get_in_scope(db.session, m.Bulletin, pk)
        except NotFound:
            abort(404)
        data = bulletin_service.bulletin_pdf(bulletin, pdf_font=current_app.config.get("PDF_FONT"))
        return _pdf_response(data, f"{bulletin.number or '通报草稿'}.pdf")

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        widgets = self._show(pk)
        bulletin = self.datamodel.get(pk, self._base_filters)
        return self.render_template(self.show_template, pk=pk, title=self.show_title, widgets=widgets,
                                    related_views=self._related_views, bulletin=bulletin,
                                    issue_label=bulletin_service.issue_label(bulletin))


class PolicyApi(PolicyRules, ScopedApi):
    resource_name = "policy"
    datamodel = SQLAInterface(m.Policy)
    class_permission_name = "Policy"
    list_columns = ["id", "kind", "title", "doc_number", "issuer", "publish_date"]
    show_columns = list_columns + ["summary", "content", "proposal.id", "version_id"]
    add_columns = edit_columns = ["kind", "title", "doc_number", "issuer", "publish_date", "summary", "content"]
    search_columns = ["kind", "title", "summary", "content"]
    base_order = ("publish_date", "desc")
    method_permission_name = {**API_PERMISSIONS, "search": "list", "attachments": "show", "attach": "edit",
                              "file": "show"}
    steps = POLICY_STEPS
    step_result_schema = UploadedFile

    @expose("/search", methods=["GET"])
    @protect()
    @safe
    def search(self):
        """?q=words&kind=policy — every word must appear in title, summary, content, number or issuer."""
        kind = request.args.get("kind") or ""
        items = policy_files.search_policies(db.session, current_user(), request.args.get("q") or "",
                                             kind if kind in POLICY_KIND_LABELS else "")
        return self.response(200, count=len(items), result=[
            {"id": p.id, "kind": p.kind, "kind_label": p.kind_label, "title": p.title, "doc_number": p.doc_number,
             "issuer": p.issuer, "publish_date": p.publish_date.isoformat() if p.publish_date else None,
             "summary": p.summary} for p in items])

    @expose("/<int:pk>/attachments", methods=["GET"])
    @protect()
    @safe
    def attachments(self, pk):
        try:
            policy = get_in_scope(db.session, m.Policy, pk)
        except NotFound:
            return self.response_404()
        return self.response(200, result=[
            {"id": a.id, "filename": a.filename, "size": a.size, "content_type": a.content_type,
             "uploaded_at": a.uploaded_at.isoformat(), "url": f"/api/v1/policy/attachment/{a.id}"}
            for a in policy_files.attachments_of(db.session, "policy", policy.id)])

    def step_result(self, record, result) -> dict:
        return {"id": result.id, "filename": result.filename, "size": result.size}

    @expose("/<int:pk>/attachments", methods=["POST"])
    @protect()
    @safe
    def attach(self, pk):
        """multipart `file`."""
        return self.api_step(pk, "attach")

    @expose("/attachment/<int:att_id>", methods=["GET"])
    @protect()
    @safe
    def file(self, att_id):
        try:
            attachment, path = policy_files.policy_attachment(db.session, att_id)
        except NotFound:
            return self.response_404()
        return send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename)


class BulletinApi(BulletinRules, ScopedApi):
    resource_name = "bulletin"
    datamodel = SQLAInterface(m.Bulletin)
    class_permission_name = "Bulletin"
    list_columns = ["id", "number", "title", "kind", "period_start", "period_end", "status", "issued_at"]
    show_columns = list_columns + ["recipients", "document_date", "year", "seq", "total_seq", "sections.id",
                                   "sections.seq", "sections.heading", "sections.body", "sections.data",
                                   "version_id"]
    add_columns = edit_columns = ["kind", "title", "period_start", "period_end", "recipients", "document_date"]
    base_order = ("id", "desc")
    method_permission_name = {**API_PERMISSIONS, "draft": "add", "edit_section": "edit"}
    steps = BULLETIN_STEPS
    step_result_schema = IssuedBulletin

    @expose("/draft", methods=["POST"])
    @protect()
    @safe
    def draft(self):
        """{"kind": "quarter", "period_start": "2026-01-01", "period_end": "2026-03-31", "title"?}"""
        body = request.get_json(silent=True) or {}
        start, end = _parse_date(body.get("period_start")), _parse_date(body.get("period_end"))
        result = workflow_call(self, bulletin_service.draft_bulletin, db.session, current_user(),
                               str(body.get("kind") or ""), start, end, body.get("title"))
        if not isinstance(result, m.Bulletin):
            return result
        return self.response(201, id=result.id, title=result.title, sections=[
            {"id": s.id, "seq": s.seq, "heading": s.heading, "body": s.body,
             "data": bulletin_service.section_data(s)} for s in result.sections])

    @expose("/<int:pk>/sections/<int:section_id>", methods=["PUT"])
    @protect()
    @safe
    def edit_section(self, pk, section_id):
        """{"heading"?, "body"?, "version_id"?} on a draft."""
        body = request.get_json(silent=True) or {}

        def run():
            bulletin = get_in_scope(db.session, m.Bulletin, pk)
            section = next((s for s in bulletin.sections if s.id == section_id), None)
            if section is None:
                raise NotFound()
            bulletin_service.update_section(section, body.get("heading"), body.get("body"), body.get("version_id"))
            return section

        result = workflow_call(self, run)
        if not isinstance(result, m.BulletinSection):
            return result
        return self.response(200, id=result.id, heading=result.heading, body=result.body,
                             version_id=result.version_id)

    def step_result(self, record, result) -> dict:
        return {"id": record.id, "number": record.number, "issue_label": bulletin_service.issue_label(record),
                "distributed_to": len(record.distributions)}

    @expose("/<int:pk>/issue", methods=["POST"])
    @protect()
    @safe
    def issue(self, pk):
        """印发 a draft: numbered, locked and distributed to every member unit."""
        return self.api_step(pk, "issue")

    @expose("/<int:pk>/pdf", methods=["GET"])
    @protect()
    @safe
    def pdf(self, pk):
        try:
            bulletin = get_in_scope(db.session, m.Bulletin, pk)
        except NotFound:
            return self.response_404()
        data = bulletin_service.bulletin_pdf(bulletin, pdf_font=current_app.config.get("PDF_FONT"))
        return _pdf_response(data, f"bulletin-{bulletin.id}.pdf")


def register(appbuilder):
    add_link(appbuilder, "重大敏感案件台账", "/caseview/ledger/", "信息共享", "Case", "can_ledger", icon="fa-table")
    appbuilder.add_view_no_menu(PolicyView)
    add_link(appbuilder, "政策文件与典型案例", "/policyview/library/", "信息共享", "Policy", "can_list", icon="fa-book")
    add_view(appbuilder, BulletinView, "工作通报", "信息共享", icon="fa-newspaper-o")
    add_link(appbuilder, "起草工作通报", "/bulletinview/draft/", "信息共享", "Bulletin", "can_add", icon="fa-pencil")
    appbuilder.add_view_no_menu(BulletinSectionView)
    for api in (PolicyApi, BulletinApi):
        appbuilder.add_api(api)
