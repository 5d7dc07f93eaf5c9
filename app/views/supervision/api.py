"""督促推进机制's REST API (resource `item`): create/edit with co-units, the workflow steps, letters."""
from __future__ import annotations

from flask import g, request
from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.const import API_RESULT_RES_KEY
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from marshmallow import ValidationError, fields, validate
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from app import models as m
from app.extensions import db
from app.security.scope import ensure_in_scope, get_in_scope
from app.services import matters as svc
from app.services.errors import BusinessError, NotFound, StaleEdit
from app.views.base import ScopedApi, api_database_error, api_error
from app.views.supervision.common import (MatterRules, MatterSummary, units_by_id, letter_pdf, matter_summary,
                                          reply_part, reply_pdf, suggestion)
from app.views.supervision.workflow import MATTER_STEPS

# --------------------------------------------------------------------------- API

class MatterApi(MatterRules, ScopedApi):
    resource_name = "item"
    datamodel = SQLAInterface(m.Matter)
    class_permission_name = "Matter"
    list_columns = ["id", "letter_number", "title", "status", "lead_unit.id", "case.id", "category.id",
                    "assigned_date", "deadline", "sent_at", "replied_at", "closed_at"]
    show_columns = list_columns + ["content", "source", "contact_name", "contact_phone", "decision.id",
                                   "group.id", "version_id", "cancel_reason"]
    add_columns = edit_columns = ["title", "category", "source", "case", "lead_unit", "content",
                                  "assigned_date", "deadline", "contact_name", "contact_phone"]
    search_columns = ["title", "status", "lead_unit", "deadline", "case"]
    order_columns = ["id", "deadline", "assigned_date", "status"]
    base_order = ("id", "desc")
    # FAB's API collects permissions from this map, not from @permission_name
    method_permission_name = {**ScopedApi.method_permission_name, "send_back": "return", "start": "reply",
                              "parts": "show"}
    steps = MATTER_STEPS
    step_result_schema = write_result_extra = MatterSummary
    extra_write_fields = {"co_units": lambda: fields.List(fields.Integer(validate=validate.Range(min=1)), metadata={
        "description": "配合单位（单位编号的列表，须存在且在您的范围内，可选值同牵头单位）"})}

    # --- create / edit with co-units --------------------------------------------------------
    def _json_body(self):
        if not request.is_json or not isinstance(request.get_json(silent=True), dict):
            return None
        return dict(request.get_json())

    def post_headless(self):
        body = self._json_body()
        if body is None:
            return self.response_400(message="请求体必须是 JSON 对象")
        try:
            co_units = units_by_id(body.pop("co_units", None))
            self._refuse_foreign_relations(body, self.add_columns)
            item = self.add_model_schema.load(body)
            self.validate(item)
            svc.create_matter(db.session, g.user, matter=item, title=item.title, lead_unit=item.lead_unit,
                              co_units=co_units, content=item.content, deadline=item.deadline,
                              category=item.category, case=item.case, source=item.source,
                              assigned_date=item.assigned_date, contact_name=item.contact_name,
                              contact_phone=item.contact_phone)
            ensure_in_scope(db.session, item)
            db.session.commit()
        except ValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.messages)
        except BusinessError as exc:
            return api_error(self, exc)
        except SQLAlchemyError as exc:
            return api_database_error(self, exc)
        return self.response(201, **{API_RESULT_RES_KEY: {**self.add_model_schema.dump(item, many=False),
                                                          **matter_summary(item)}, "id": item.id})

    def put_headless(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        body = self._json_body()
        if body is None:
            return self.response_400(message="请求体必须是 JSON 对象")
        if not item:
            return self.response_404()
        submitted_version = body.pop("version_id", None)
        has_units = "co_units" in body
        try:
            from app.views.base import check_lock_version

            co_units = units_by_id(body.pop("co_units", None))
            check_lock_version(item, submitted_version)
            self.check_update(item)
            self._refuse_foreign_relations(body, self.edit_columns)
            data = self._merge_update_item(item, body)
            item = self.edit_model_schema.load(data, instance=item)
            self.validate(item)
            svc.set_units(db.session, item, item.lead_unit, co_units if has_units else item.co_units)
            svc.add_event(db.session, item, g.user, "edit", "修改拟办事项")
            ensure_in_scope(db.session, item)
            db.session.commit()
        except ValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.messages)
        except BusinessError as exc:
            return api_error(self, exc)
        except StaleDataError:
            return api_error(self, StaleEdit())
        except SQLAlchemyError as exc:
            return api_database_error(self, exc)
        return self.response(200, **{API_RESULT_RES_KEY: {**self.edit_model_schema.dump(item, many=False),
                                                          **matter_summary(item)}})

    # --- workflow --------------------------------------------------------------------------
    def step_result(self, record, result) -> dict:
        return matter_summary(record)

    @expose("/<int:pk>/send", methods=["POST"])
    @protect()
    @safe
    def send(self, pk):
        """函告 a draft matter: number the letter and notify the units."""
        return self.api_step(pk, "send")

    @expose("/<int:pk>/sign", methods=["POST"])
    @protect()
    @safe
    def sign(self, pk):
        """签收 the current user's unit's part."""
        return self.api_step(pk, "sign")

    @expose("/<int:pk>/start", methods=["POST"])
    @protect()
    @safe
    @permission_name("reply")
    def start(self, pk):
        """开始办理 (lead unit, optional)."""
        return self.api_step(pk, "start")

    @expose("/<int:pk>/reply", methods=["POST"])
    @protect()
    @safe
    def reply(self, pk):
        """函复 {"content", "result"?, "number"?}; multipart with `files` for attachments."""
        return self.api_step(pk, "reply")

    @expose("/<int:pk>/close", methods=["POST"])
    @protect()
    @safe
    def close(self, pk):
        """办结 a replied matter."""
        return self.api_step(pk, "close")

    @expose("/<int:pk>/return", methods=["POST"])
    @protect()
    @safe
    @permission_name("return")
    def send_back(self, pk):
        """退回 {"reason"}: the lead's reply goes back, the matter is in progress again."""
        return self.api_step(pk, "send_back")

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    def cancel(self, pk):
        """撤销 {"reason"}: the record is kept."""
        return self.api_step(pk, "cancel")

    @expose("/<int:pk>/remind", methods=["POST"])
    @protect()
    @safe
    def remind(self, pk):
        """催办 {"note"?}: every unit whose part is not replied."""
        return self.api_step(pk, "remind")

    @expose("/<int:pk>/extend", methods=["POST"])
    @protect()
    @safe
    def extend(self, pk):
        """申请延期 {"deadline", "reason"} before the deadline."""
        return self.api_step(pk, "extend")

    @expose("/<int:pk>/extension/approve", methods=["POST"])
    @protect()
    @safe
    def extension_approve(self, pk):
        """同意延期 {"deadline"?, "note"?}."""
        return self.api_step(pk, "extension_approve")

    @expose("/<int:pk>/extension/refuse", methods=["POST"])
    @protect()
    @safe
    def extension_refuse(self, pk):
        """不同意延期 {"note"}."""
        return self.api_step(pk, "extension_refuse")

    @expose("/<int:pk>/letter", methods=["GET"])
    @protect()
    @safe
    def letter(self, pk):
        """函告 PDF (GB/T 9704 信函格式)."""
        try:
            return letter_pdf(get_in_scope(db.session, m.Matter, pk))
        except NotFound:
            return self.response_404()

    @expose("/<int:pk>/reply-letter", methods=["GET"])
    @protect()
    @safe
    def reply_letter(self, pk):
        """函复 PDF of the lead unit's reply, or of `?unit_id=` (a co-unit's)."""
        try:
            matter = get_in_scope(db.session, m.Matter, pk)
            return reply_pdf(matter, reply_part(matter, request.args.get("unit_id")))
        except NotFound:
            return self.response_404()
        except BusinessError as exc:
            return self.response(exc.status_code, message=exc.message)

    @expose("/suggest", methods=["GET"])
    @protect()
    @safe
    def suggest(self):
        """Suggested lead and co-units for `?category_id=` (from the responsibilities map)."""
        try:
            return self.response(200, **suggestion(request.args.get("category_id")))
        except NotFound:
            return self.response_404()

    @expose("/<int:pk>/parts", methods=["GET"])
    @protect()
    @safe
    @permission_name("show")
    def parts(self, pk):
        """Each unit's part (签收/函复), the alert and the timeline of a matter."""
        try:
            matter = get_in_scope(db.session, m.Matter, pk)
        except NotFound:
            return self.response_404()
        summary = matter_summary(matter)
        summary["events"] = [{"at": e.at.isoformat(), "action": e.action, "label": svc.EVENT_LABELS.get(e.action, e.action),
                              "user": e.username, "unit_id": e.unit_id, "note": e.note} for e in matter.events]
        return self.response(200, result=summary)
