"""联合调研及提案机制: joint research projects and proposals (pages and API).

Workflow steps are buttons on the show pages and POST endpoints on the API; both call
app.services.research and read records only through the row-level scope.
"""
from __future__ import annotations

from flask import abort, send_file
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _
from marshmallow import Schema, fields

from app import models as m
from app.extensions import db
from app.models.research import PROPOSAL_KIND_LABELS
from app.security.scope import current_user, get_in_scope, scoped, unit_id_of
from app.services import research as service
from app.services.errors import NotFound
from app.services.validation import check_date_order
from app.views import add_view
from app.views.base import API_PERMISSIONS, PAGE_PERMISSIONS, ScopedApi, ScopedModelView
from app.views.base import RecordRules
from app.views.dashboard import ShowExtrasMixin, formatters, names
from app.views.steps import Step, StepBody, choice, day, pick, text


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




# --------------------------------------------------------------------------- workflow steps
# One declaration per step: the page form and the API body are read by the same schema.

def upload_research_file(session, project, user, files=()):
    """The multipart field `file`: one file."""
    return service.upload_research_file(session, project, user, files[0] if files else None)


def submit_proposal(session, proposal, user, meeting_id):
    """The meeting is read in the user's scope (outside it: 404)."""
    return service.submit_proposal(session, proposal, user, get_in_scope(session, m.Meeting, meeting_id))


class CompleteBody(StepBody):
    report = text("调研报告", limit=100000)


class ContributeBody(StepBody):
    text = text("补充的调研内容", required=True, limit=20000)


class SubmitBody(StepBody):
    meeting_id = pick("提交审议的联席会议", required=True)


class ReviewBody(StepBody):
    outcome = choice("审议结果", {"adopted": "审议通过", "returned": "退回修改"}, required=True)
    note = text("审议意见（退回修改时必填）")


class IssueBody(StepBody):
    doc_number = text("文号", limit=100)
    publish_date = day("印发日期")


RESEARCH_STEPS = {
    "start": Step(service.start_research, "调研已启动", summary="计划中 → 进行中"),
    "complete": Step(service.complete_research, "调研已结题", CompleteBody,
                     "进行中 → 已完成；已有报告正文或报告附件时可不填报告"),
    "contribute": Step(service.contribute, "已补充调研发现", ContributeBody, "参与单位按日期补充调研发现"),
    "upload": Step(upload_research_file, "附件已上传", summary="上传调研报告或材料（multipart 的 file）", files="file",
                   created=True),
}

PROPOSAL_STEPS = {
    "submit": Step(submit_proposal, "已提交联席会议审议", SubmitBody, "提交已安排或已召开的联席会议审议"),
    "review": Step(service.review_proposal, "审议结果已记录", ReviewBody, "会议召开后记录审议结果"),
    "issue": Step(service.issue_proposal, "已印发，并已收入政策库", IssueBody,
                  "已审议通过 → 已印发，收入政策库；印发日期默认今天"),
}


class ResearchStepResult(Schema):
    """What a research step answers: the project, or the uploaded file (附件)."""

    id = fields.Integer(required=True)
    status = fields.String(metadata={"description": "调研状态"})
    findings = fields.String(allow_none=True, metadata={"description": "调研发现"})
    report = fields.String(allow_none=True, metadata={"description": "调研报告"})
    filename = fields.String(metadata={"description": "附件文件名（上传时）"})
    size = fields.Integer(metadata={"description": "附件大小（字节）"})


class ProposalStepResult(Schema):
    """What a proposal step answers."""

    id = fields.Integer(required=True)
    status = fields.String(required=True)
    review_note = fields.String(allow_none=True, metadata={"description": "审议意见"})
    meeting_id = fields.Integer(metadata={"description": "提交审议的会议（提交时）"})
    topic_id = fields.Integer(metadata={"description": "会议议题（提交时）"})
    policy_id = fields.Integer(metadata={"description": "政策库条目（印发时）"})


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
    steps = RESEARCH_STEPS

    def show_extras(self, item):
        user = current_user()
        return {"attachments": service.attachments_of(db.session, "research", item.id),
                "is_participant": unit_id_of(user) in service.participant_unit_ids(item)}

    @expose("/start/<int:pk>", methods=["POST"])
    @has_access
    def start(self, pk):
        return self.page_step(pk, "start")

    @expose("/complete/<int:pk>", methods=["POST"])
    @has_access
    def complete(self, pk):
        return self.page_step(pk, "complete")

    @expose("/contribute/<int:pk>", methods=["POST"])
    @has_access
    def contribute(self, pk):
        return self.page_step(pk, "contribute")

    @expose("/upload/<int:pk>", methods=["POST"])
    @has_access
    def upload(self, pk):
        return self.page_step(pk, "upload")

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
    steps = PROPOSAL_STEPS

    def show_extras(self, item):
        meetings = scoped(db.session.query(m.Meeting).filter(
            m.Meeting.kind == "joint", m.Meeting.status.in_(service.SUBMITTABLE_MEETING_STATUSES)), m.Meeting
        ).order_by(m.Meeting.start_at).all()
        policies = scoped(db.session.query(m.Policy).filter(m.Policy.proposal_id == item.id), m.Policy).all()
        return {"meetings": meetings, "policies": policies}

    @expose("/submit/<int:pk>", methods=["POST"])
    @has_access
    def submit(self, pk):
        return self.page_step(pk, "submit")

    @expose("/review/<int:pk>", methods=["POST"])
    @has_access
    def review(self, pk):
        return self.page_step(pk, "review")

    @expose("/issue/<int:pk>", methods=["POST"])
    @has_access
    def issue(self, pk):
        return self.page_step(pk, "issue")


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

    steps = RESEARCH_STEPS
    step_result_schema = ResearchStepResult

    def step_result(self, item, result) -> dict:
        if isinstance(result, m.Attachment):
            return {"id": result.id, "filename": result.filename, "size": result.size}
        return {"id": item.id, "status": item.status, "findings": item.findings, "report": item.report}

    @expose("/<int:pk>/start", methods=["POST"])
    @protect()
    @safe
    def start(self, pk):
        """计划中 → 进行中."""
        return self.api_step(pk, "start")

    @expose("/<int:pk>/complete", methods=["POST"])
    @protect()
    @safe
    def complete(self, pk):
        """进行中 → 已完成 ({"report"} optional when a report is already there)."""
        return self.api_step(pk, "complete")

    @expose("/<int:pk>/contribute", methods=["POST"])
    @protect()
    @safe
    def contribute(self, pk):
        """A participating unit appends a dated contribution ({"text"}) to the findings."""
        return self.api_step(pk, "contribute")

    @expose("/<int:pk>/attachment", methods=["POST"])
    @protect()
    @safe
    def upload(self, pk):
        """Attach a file (multipart field `file`)."""
        return self.api_step(pk, "upload")

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

    steps = PROPOSAL_STEPS
    step_result_schema = ProposalStepResult

    def step_result(self, item, result) -> dict:
        extra = {}
        if isinstance(result, m.MeetingTopic):
            extra = {"meeting_id": result.meeting_id, "topic_id": result.id}
        elif isinstance(result, m.Policy):
            extra = {"policy_id": result.id}
        return {"id": item.id, "status": item.status, "review_note": item.review_note, **extra}

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self, pk):
        """Put the proposal on a scheduled or held joint meeting ({"meeting_id"})."""
        return self.api_step(pk, "submit")

    @expose("/<int:pk>/review", methods=["POST"])
    @protect()
    @safe
    def review(self, pk):
        """Record the meeting's outcome once it is held ({"outcome": adopted|returned, "note"})."""
        return self.api_step(pk, "review")

    @expose("/<int:pk>/issue", methods=["POST"])
    @protect()
    @safe
    def issue(self, pk):
        """已审议通过 → 已印发; creates the policy-library entry ({"doc_number", "publish_date"} optional)."""
        return self.api_step(pk, "issue")


def register(appbuilder):
    add_view(appbuilder, ResearchView, "联合调研", "联合调研及提案", icon="fa-search")
    add_view(appbuilder, ProposalView, "提案与规范性意见", "联合调研及提案", icon="fa-lightbulb-o")
    for api in (ResearchApi, ProposalApi):
        appbuilder.add_api(api)
