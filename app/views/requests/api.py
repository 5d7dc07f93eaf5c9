"""协调申请与信息核查's REST API: `request`, `checkline`, `checkitem`, `caseassignment`."""
from __future__ import annotations

from flask import g, request, send_file
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy.exc import SQLAlchemyError

from app import models as m
from app.extensions import db
from app.security.scope import ensure_in_scope, get_in_scope
from app.services import attachments as attachment_service
from app.services import requests as svc
from app.services.errors import BusinessError, NotFound
from app.views.base import API_PERMISSIONS, ScopedApi, api_database_error, api_error, commit_step
from app.views.requests.common import (CASE_USERS, RESOURCE, AssignmentRules, ItemRules, LineRules, RequestRules,
                                       RequestSummary, file_json, one_in_scope, unit_list, request_summary,
                                       results_response)
from app.views.requests.workflow import REQUEST_STEPS

# --------------------------------------------------------------------------- API

class RequestApi(RequestRules, ScopedApi):
    resource_name = "request"
    datamodel = SQLAInterface(m.CoordinationRequest)
    class_permission_name = RESOURCE
    list_columns = ["id", "kind", "title", "case.id", "status", "requester.id", "requester_role", "submitted_at",
                    "decided_at", "matter.id"]
    show_columns = list_columns + ["needs", "reason", "category.id", "suggested_units.id", "desired_date",
                                   "decision_note", "version_id"]
    add_columns = ["case", "title", "needs", "reason", "category", "suggested_units", "desired_date"]
    edit_columns = ["title", "needs", "reason", "category", "suggested_units", "desired_date"]
    search_columns = ["kind", "status", "case", "title"]
    order_columns = ["id", "submitted_at", "status"]
    base_order = ("id", "desc")
    steps = REQUEST_STEPS
    step_result_schema = RequestSummary
    method_permission_name = {**API_PERMISSIONS, "check": "add", "accept": "accept", "merge": "merge",
                              "decline": "decline", "withdraw": "withdraw", "attach": "upload",
                              "attachments": "show", "file": "show", "progress": "show", "waiting": "list",
                              "results": "results", "case_results": "results"}

    def _body(self) -> dict:
        body = request.get_json(silent=True) if request.is_json else None
        if body is None and request.form:
            body = request.form.to_dict()
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise BusinessError("请求体必须是 JSON 对象", 400)
        return body

    def _request(self, pk):
        try:
            return get_in_scope(db.session, m.CoordinationRequest, pk)
        except NotFound:
            return None

    def post_headless(self):
        """协调申请 {"case", "title", "needs", "reason"?, "category"?, "suggested_units"?: [单位id], "desired_date"?}."""
        if not request.is_json or not isinstance(request.get_json(silent=True), dict):
            return self.response_400(message="请求体必须是 JSON 对象")
        body = dict(request.get_json())
        try:
            unknown = set(body) - set(self.add_columns)
            if unknown:
                raise BusinessError(f"未知字段：{'、'.join(sorted(unknown))}", 422)
            req = svc.submit_request(
                db.session, g.user, case=one_in_scope(m.Case, body.get("case"), "案件", required=True), title=body.get("title"),
                needs=body.get("needs"), reason=body.get("reason"), category=one_in_scope(m.Category, body.get("category"), "事项类别"),
                units=unit_list(body.get("suggested_units"), "建议承办单位"), desired_date=body.get("desired_date"))
            ensure_in_scope(db.session, req)
            commit_step()
        except BusinessError as exc:
            return api_error(self, exc)
        except SQLAlchemyError as exc:
            return api_database_error(self, exc)
        return self.response(201, id=req.id, result=request_summary(req))

    def step_result(self, record, result) -> dict:
        return request_summary(record)

    @expose("/check", methods=["POST"])
    @protect()
    @safe
    def check(self):
        """信息核查申请 {"case", "items": [{"item": 事项id, "note"?}], "reason"?}.
        ---
        post:
          responses:
            201: {description: 已提交，等待联动办公室审核}
            422: {description: 输入无效}
        """
        try:
            body = self._body()
            items = body.get("items")
            if not isinstance(items, list):
                raise BusinessError("items 应为核查事项列表", 422)
            picked = []
            for entry in items:
                if not isinstance(entry, dict):
                    raise BusinessError("items 的每一项应为 {\"item\": 事项编号, \"note\": 补充说明}", 422)
                picked.append((entry.get("item"), entry.get("note")))
            req = svc.submit_check(db.session, g.user, case=one_in_scope(m.Case, body.get("case"), "案件", required=True),
                                   items=picked, reason=body.get("reason"))
            ensure_in_scope(db.session, req)
            commit_step()
        except BusinessError as exc:
            return api_error(self, exc)
        return self.response(201, id=req.id, message="信息核查申请已提交", result=request_summary(req))

    @expose("/<int:pk>/accept", methods=["POST"])
    @protect()
    @safe
    def accept(self, pk):
        """受理 (office): 协调申请 → a draft matter; 信息核查 → one sent matter per unit."""
        return self.api_step(pk, "accept")

    @expose("/<int:pk>/merge", methods=["POST"])
    @protect()
    @safe
    def merge(self, pk):
        """并入 {"matter": 事项id, "note"?}: an existing matter of the same case answers the request."""
        return self.api_step(pk, "merge")

    @expose("/<int:pk>/decline", methods=["POST"])
    @protect()
    @safe
    def decline(self, pk):
        """不予受理 {"reason"}."""
        return self.api_step(pk, "decline")

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @protect()
    @safe
    def withdraw(self, pk):
        """撤回 {"reason"?} by the requester while it waits."""
        return self.api_step(pk, "withdraw")

    @expose("/<int:pk>/progress", methods=["GET"])
    @protect()
    @safe
    def progress(self, pk):
        """Status, the matters answering the request, every unit's part and reply, attachments."""
        req = self._request(pk)
        if req is None:
            return self.response_404()
        return self.response(200, result=request_summary(req))

    @expose("/<int:pk>/attachments", methods=["GET"])
    @protect()
    @safe
    def attachments(self, pk):
        req = self._request(pk)
        if req is None:
            return self.response_404()
        return self.response(200, result=[file_json(f) for f in
                                          attachment_service.attachments_for(db.session, "request", req.id)])

    @expose("/<int:pk>/attachments", methods=["POST"])
    @protect()
    @safe
    def attach(self, pk):
        """multipart `file`: a document for the office and the units (e.g. 指定管理人决定书)."""
        return self.api_step(pk, "attach")

    @expose("/attachment/<int:att_id>", methods=["GET"])
    @protect()
    @safe
    def file(self, att_id):
        """Any file the reader may see: a request's, a letter's, or a unit's reply (scope of its owner)."""
        try:
            attachment, path = attachment_service.readable_attachment(db.session, att_id)
        except NotFound:
            return self.response_404()
        return send_file(path, mimetype=attachment.content_type or "application/octet-stream", as_attachment=True,
                         download_name=attachment.filename)

    @expose("/waiting", methods=["GET"])
    @protect()
    @safe
    def waiting(self):
        """The office's queue: 待审核 requests by kind, oldest first."""
        counts, rows = svc.waiting_queue(db.session, g.user, limit=100)
        return self.response(200, counts=counts, result=[
            {"id": r.id, "kind": r.kind, "title": r.title, "case_id": r.case_id, "requester": r.requester_label,
             "submitted_at": r.submitted_at.isoformat(), "waited_workdays": svc.waiting_workdays(r)} for r in rows])

    @expose("/<int:pk>/results", methods=["GET"])
    @protect()
    @safe
    def results(self, pk):
        """核查结果 PDF of one information check."""
        req = self._request(pk)
        if req is None:
            return self.response_404()
        try:
            return results_response(req.case, [req])
        except BusinessError as exc:
            return api_error(self, exc)

    @expose("/case/<int:case_id>/results", methods=["GET"])
    @protect()
    @safe
    def case_results(self, case_id):
        """核查结果 PDF of every approved information check of a case."""
        try:
            case = get_in_scope(db.session, m.Case, case_id)
            return results_response(case, svc.case_check_requests(db.session, g.user, case))
        except NotFound:
            return self.response_404()
        except BusinessError as exc:
            return api_error(self, exc)


class CheckLineApi(LineRules, ScopedApi):
    resource_name = "checkline"
    datamodel = SQLAInterface(m.CheckLine)
    class_permission_name = "CheckLine"
    list_columns = ["id", "request.id", "item.id", "unit.id", "note", "matter.id"]
    show_columns = list_columns + ["version_id"]
    add_columns = edit_columns = ["request", "item", "note"]
    base_order = ("id", "asc")

    def fill_owner(self, item):
        db.session.add(item)


class CheckItemApi(ItemRules, ScopedApi):
    resource_name = "checkitem"
    datamodel = SQLAInterface(m.CheckItem)
    class_permission_name = "CheckItem"
    list_columns = ["id", "unit.id", "name", "description", "requirements", "deadline_workdays", "active"]
    show_columns = list_columns + ["sort_order", "version_id"]
    add_columns = edit_columns = ["unit", "name", "description", "requirements", "deadline_workdays", "sort_order",
                                  "active"]
    search_columns = ["unit", "name", "active"]
    base_order = ("sort_order", "asc")

    def fill_owner(self, item):
        db.session.add(item)


class CaseAssignmentApi(AssignmentRules, ScopedApi):
    resource_name = "caseassignment"
    datamodel = SQLAInterface(m.CaseAssignment)
    class_permission_name = "CaseAssignment"
    list_columns = ["id", "case.id", "user.id", "user.first_name", "role", "note"]
    show_columns = list_columns + ["version_id"]
    add_columns = edit_columns = ["case", "user", "role", "note"]
    search_columns = ["case", "user", "role"]
    base_order = ("id", "desc")
    add_query_rel_fields = edit_query_rel_fields = {"user": CASE_USERS}

    def fill_owner(self, item):
        db.session.add(item)

    def post_add(self, item):
        svc.notify_assigned(db.session, item)
        db.session.commit()
