"""联合调研及提案机制: joint research projects and proposals (pages and API).

Workflow steps are buttons on the show pages and POST endpoints on the API; both call
app.services.research and read records only through the row-level scope.
"""
from __future__ import annotations

from flask import abort, request, send_file
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _

from app import models as m
from app.extensions import db
from app.models.research import PROPOSAL_KIND_LABELS
from app.security.scope import current_user, get_in_scope, scoped, unit_id_of
from app.services import research as service
from app.services.errors import BusinessError, NotFound
from app.services.validation import check_date_order
from app.views import add_view
from app.views.base import API_PERMISSIONS, PAGE_PERMISSIONS, ScopedApi, ScopedModelView, workflow_call
from app.views.base import RecordRules
from app.views.dashboard import ShowExtrasMixin, formatters, names, form_date, page_step


def in_scope_or_404(model, pk):
    try:
        return get_in_scope(db.session, model, pk)
    except NotFound:
        abort(404)


class ResearchRules(RecordRules):
    required_columns = ("topic",)

    def rules(self, item):
        check_date_order(item.start_date, item.end_date, "结束日期不能早于开始日期")



class ProposalRules(RecordRules):
    choice_columns = {"kind": PROPOSAL_KIND_LABELS}
    required_columns = ("kind", "title")




class ResearchView(ShowExtrasMixin, ResearchRules, ScopedModelView):
    datamodel = SQLAInterface(m.ResearchProject)
    class_permission_name = "Research"
    route_base = "/research"
    method_permission_name = {**PAGE_PERMISSIONS, "file": "show"}
    list_title = show_title = _("联合调研")
    show_template = "research/show.html"
    list_columns = ["topic", "category", "lead_unit", "start_date", "end_date", "status_label"]
    add_columns = edit_columns = ["topic", "category", "problem", "lead_unit", "units", "start_date", "end_date",
                                  "findings", "report"]
    show_columns = ["topic", "category", "problem", "lead_unit", "units", "start_date", "end_date", "status_label",
                    "findings", "report"]
    search_columns = ["topic", "category", "lead_unit", "status"]
    formatters_columns = formatters("category", "problem", "start_date", "end_date", "findings", "report", units=names)
    description_columns = {"units": _("参与单位可查看本调研并补充调研发现"),
                           "findings": _("参与单位补充的内容按日期追加在此")}
    base_order = ("id", "desc")

    def show_extras(self, item):
        user = current_user()
        return {"attachments": service.attachments_of(db.session, "research", item.id),
                "is_participant": unit_id_of(user) in service.participant_unit_ids(item)}

    def _back(self, pk):
        return f"/research/show/{pk}"

    @expose("/start/<int:pk>", methods=["POST"])
    @has_access
    def start(self, pk):
        item = in_scope_or_404(m.ResearchProject, pk)
        return page_step(service.start_research, db.session, item, current_user(), success="调研已启动",
                         next_url=self._back(pk))

    @expose("/complete/<int:pk>", methods=["POST"])
    @has_access
    def complete(self, pk):
        item = in_scope_or_404(m.ResearchProject, pk)
        return page_step(service.complete_research, db.session, item, current_user(), request.form.get("report"),
                         success="调研已结题", next_url=self._back(pk))

    @expose("/contribute/<int:pk>", methods=["POST"])
    @has_access
    def contribute(self, pk):
        item = in_scope_or_404(m.ResearchProject, pk)
        return page_step(service.contribute, db.session, item, current_user(), request.form.get("text"),
                         success="已补充调研发现", next_url=self._back(pk))

    @expose("/upload/<int:pk>", methods=["POST"])
    @has_access
    def upload(self, pk):
        item = in_scope_or_404(m.ResearchProject, pk)
        return page_step(upload_research_file, item, request.files.get("file"), success="附件已上传",
                         next_url=self._back(pk))

    @expose("/file/<int:pk>/<int:attachment_id>")
    @has_access
    def file(self, pk, attachment_id):
        item = in_scope_or_404(m.ResearchProject, pk)
        try:
            path, attachment = service.attachment_file(db.session, "research", item.id, attachment_id)
        except NotFound:
            abort(404)
        return send_file(path, as_attachment=True, download_name=attachment.filename,
                         mimetype=attachment.content_type or "application/octet-stream")


def upload_research_file(item, upload):
    return service.upload_research_file(db.session, item, current_user(), upload)


class ProposalView(ShowExtrasMixin, ProposalRules, ScopedModelView):
    datamodel = SQLAInterface(m.Proposal)
    class_permission_name = "Proposal"
    route_base = "/proposal"
    list_title = show_title = _("提案与规范性意见")
    show_template = "research/proposal_show.html"
    list_columns = ["title", "kind_label", "research", "status_label", "meeting"]
    add_columns = edit_columns = ["title", "kind", "units", "research", "text"]
    show_columns = ["title", "kind_label", "units", "research", "status_label", "meeting", "text", "review_note"]
    search_columns = ["title", "kind", "status"]
    label_columns = {**ScopedModelView.label_columns, "units": _("起草单位"), "meeting": _("提交审议的会议")}
    formatters_columns = formatters("research", "meeting", "text", "review_note", units=names)
    base_order = ("id", "desc")

    def show_extras(self, item):
        meetings = scoped(db.session.query(m.Meeting).filter(
            m.Meeting.kind == "joint", m.Meeting.status.in_(service.SUBMITTABLE_MEETING_STATUSES)), m.Meeting
        ).order_by(m.Meeting.start_at).all()
        policies = scoped(db.session.query(m.Policy).filter(m.Policy.proposal_id == item.id), m.Policy).all()
        return {"meetings": meetings, "policies": policies}

    def _back(self, pk):
        return f"/proposal/show/{pk}"

    @expose("/submit/<int:pk>", methods=["POST"])
    @has_access
    def submit(self, pk):
        item = in_scope_or_404(m.Proposal, pk)
        meeting = in_scope_or_404(m.Meeting, request.form.get("meeting_id")) if request.form.get("meeting_id") else None
        return page_step(service.submit_proposal, db.session, item, current_user(), meeting,
                         success="已提交联席会议审议", next_url=self._back(pk))

    @expose("/review/<int:pk>", methods=["POST"])
    @has_access
    def review(self, pk):
        item = in_scope_or_404(m.Proposal, pk)
        return page_step(service.review_proposal, db.session, item, current_user(), request.form.get("outcome"),
                         request.form.get("note"), success="审议结果已记录", next_url=self._back(pk))

    @expose("/issue/<int:pk>", methods=["POST"])
    @has_access
    def issue(self, pk):
        item = in_scope_or_404(m.Proposal, pk)

        def run():
            return service.issue_proposal(db.session, item, current_user(), request.form.get("doc_number"),
                                          form_date("publish_date"))
        return page_step(run, success="已印发，并已收入政策库", next_url=self._back(pk))


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BusinessError("请求体必须是 JSON 对象", 400)
    return body


def _api_item(api, model, pk):
    """(item, None) in scope, or (None, 404 response)."""
    try:
        return get_in_scope(db.session, model, pk), None
    except NotFound:
        return None, api.response_404()


class ResearchApi(ResearchRules, ScopedApi):
    resource_name = "research"
    datamodel = SQLAInterface(m.ResearchProject)
    class_permission_name = "Research"
    method_permission_name = {**API_PERMISSIONS, "attachment_file": "show"}
    list_columns = ["id", "topic", "category.id", "lead_unit.id", "start_date", "end_date", "status"]
    show_columns = list_columns + ["problem", "units.id", "units.name", "findings", "report", "version_id"]
    add_columns = edit_columns = ["topic", "category", "problem", "lead_unit", "units", "start_date", "end_date",
                                  "findings", "report"]
    base_order = ("id", "desc")

    def _step(self, pk, func, *args):
        item, error = _api_item(self, m.ResearchProject, pk)
        if error:
            return error
        result = workflow_call(self, func, db.session, item, current_user(), *args)
        if not isinstance(result, m.ResearchProject):
            return result
        return self.response(200, id=item.id, status=item.status, findings=item.findings, report=item.report)

    @expose("/<int:pk>/start", methods=["POST"])
    @protect()
    @safe
    def start(self, pk):
        """计划中 → 进行中."""
        return self._step(pk, service.start_research)

    @expose("/<int:pk>/complete", methods=["POST"])
    @protect()
    @safe
    def complete(self, pk):
        """进行中 → 已完成 ({"report"} optional when a report is already there)."""
        body = request.get_json(silent=True) or {}
        return self._step(pk, service.complete_research, body.get("report") if isinstance(body, dict) else None)

    @expose("/<int:pk>/contribute", methods=["POST"])
    @protect()
    @safe
    def contribute(self, pk):
        """A participating unit appends a dated contribution ({"text"}) to the findings."""
        body = request.get_json(silent=True) or {}
        return self._step(pk, service.contribute, body.get("text") if isinstance(body, dict) else None)

    @expose("/<int:pk>/attachment", methods=["POST"])
    @protect()
    @safe
    def upload(self, pk):
        """Attach a file (multipart field `file`)."""
        item, error = _api_item(self, m.ResearchProject, pk)
        if error:
            return error
        result = workflow_call(self, upload_research_file, item, request.files.get("file"))
        if not isinstance(result, m.Attachment):
            return result
        return self.response(201, id=result.id, filename=result.filename, size=result.size)

    @expose("/<int:pk>/attachment/<int:attachment_id>", methods=["GET"])
    @protect()
    @safe
    def attachment_file(self, pk, attachment_id):
        item, error = _api_item(self, m.ResearchProject, pk)
        if error:
            return error
        try:
            path, attachment = service.attachment_file(db.session, "research", item.id, attachment_id)
        except NotFound:
            return self.response_404()
        return send_file(path, as_attachment=True, download_name=attachment.filename,
                         mimetype=attachment.content_type or "application/octet-stream")


class ProposalApi(ProposalRules, ScopedApi):
    resource_name = "proposal"
    datamodel = SQLAInterface(m.Proposal)
    class_permission_name = "Proposal"
    list_columns = ["id", "title", "kind", "research.id", "status", "meeting.id"]
    show_columns = list_columns + ["units.id", "units.name", "text", "review_note", "version_id"]
    add_columns = edit_columns = ["title", "kind", "units", "research", "text"]
    base_order = ("id", "desc")

    def _done(self, item, **extra):
        return self.response(200, id=item.id, status=item.status, review_note=item.review_note, **extra)

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self, pk):
        """Put the proposal on a scheduled or held joint meeting ({"meeting_id"})."""
        item, error = _api_item(self, m.Proposal, pk)
        if error:
            return error
        body = request.get_json(silent=True) or {}
        meeting = None
        if isinstance(body, dict) and body.get("meeting_id") not in (None, ""):
            meeting, error = _api_item(self, m.Meeting, body["meeting_id"])
            if error:
                return error
        result = workflow_call(self, service.submit_proposal, db.session, item, current_user(), meeting)
        if not isinstance(result, m.MeetingTopic):
            return result
        return self._done(item, meeting_id=meeting.id, topic_id=result.id)

    @expose("/<int:pk>/review", methods=["POST"])
    @protect()
    @safe
    def review(self, pk):
        """Record the meeting's outcome once it is held ({"outcome": adopted|returned, "note"})."""
        item, error = _api_item(self, m.Proposal, pk)
        if error:
            return error
        body = request.get_json(silent=True) or {}
        body = body if isinstance(body, dict) else {}
        result = workflow_call(self, service.review_proposal, db.session, item, current_user(),
                               body.get("outcome"), body.get("note"))
        if not isinstance(result, m.Proposal):
            return result
        return self._done(item)

    @expose("/<int:pk>/issue", methods=["POST"])
    @protect()
    @safe
    def issue(self, pk):
        """已审议通过 → 已印发; creates the policy-library entry ({"doc_number", "publish_date"} optional)."""
        item, error = _api_item(self, m.Proposal, pk)
        if error:
            return error
        try:
            publish_date = form_date("publish_date")
        except BusinessError as exc:
            return self.response(exc.status_code, message=exc.message)
        body = request.get_json(silent=True) or {}
        doc_number = body.get("doc_number") if isinstance(body, dict) else None
        result = workflow_call(self, service.issue_proposal, db.session, item, current_user(), doc_number, publish_date)
        if not isinstance(result, m.Policy):
            return result
        return self._done(item, policy_id=result.id)


def register(appbuilder):
    add_view(appbuilder, ResearchView, "联合调研", "联合调研及提案", icon="fa-search")
    add_view(appbuilder, ProposalView, "提案与规范性意见", "联合调研及提案", icon="fa-lightbulb-o")
    for api in (ResearchApi, ProposalApi):
        appbuilder.add_api(api)
