"""会议机制: joint and special meetings, topics, attendance, minutes and decisions.

Pages and API call the same workflow functions in app/services/meetings.py; every record they load
goes through the row-level scope (get_in_scope → 404 outside it).
"""
from __future__ import annotations

import datetime as dt
from itertools import groupby

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.api import protect
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _
from marshmallow import Schema, fields
from sqlalchemy.exc import IntegrityError
from wtforms import DateTimeLocalField, validators

from app import models as m
from app.extensions import db
from app.models.meetings import ATTENDANCE_LABELS, MEETING_KIND_LABELS
from app.security.scope import current_user, get_in_scope
from app.services import meetings as svc
from app.services.errors import BusinessError, NotFound
from app.views import add_link, add_view
from app.views.forms import database_error
from app.views.base import (API_PERMISSIONS, PAGE_PERMISSIONS, RecordRules, ScopedApi, ScopedModelView, safe,
                            workflow_call)
from app.views.steps import Step, StepBody, moment, text

WEEKDAYS = "一二三四五六日"


def _blank(value):
    return "" if value is None else value


def _names(units):
    return "、".join(u.name for u in units or [])


# ---------------------------------------------------------------- shared rules

class MeetingRules(RecordRules):
    choice_columns = {"kind": MEETING_KIND_LABELS}
    required_columns = ("kind", "title", "start_at")

    def fill_owner(self, item):
        svc.prepare_new_meeting(db.session, item, current_user())


# Locks (issued minutes, a numbered meeting's kind, topics and sign-in of a closed meeting) are
# enforced for every write path in app/models/locks.py; the rules here only prepare new records.

class AttendanceRules(RecordRules):
    choice_columns = {"status": ATTENDANCE_LABELS}


class MinutesRules(RecordRules):
    def check_add(self, item):
        meeting = item.meeting or (db.session.get(m.Meeting, item.meeting_id) if item.meeting_id else None)
        svc.check_new_minutes(db.session, meeting, item)


class DecisionRules(RecordRules):
    def check_add(self, item):
        minutes = item.minutes or (db.session.get(m.Minutes, item.minutes_id) if item.minutes_id else None)
        if minutes is not None:
            # a number already used in these minutes (the form suggests 1) becomes the next free one
            with db.session.no_autoflush:
                taken = {d.seq for d in minutes.decisions if d is not item}
            if not item.seq or item.seq in taken:
                item.seq = max(taken, default=0) + 1


# ---------------------------------------------------------------- workflow steps
# One declaration per step: the page form and the API body are read by the same schema.

class ScheduleBody(StepBody):
    start_at = moment("会议时间")
    place = text("会议地点", limit=200)
    chair = text("主持人", limit=100)
    convener = text("召集人", limit=100)


class DeclineBody(StepBody):
    reason = text("不予召开的理由", required=True)


class CancelBody(StepBody):
    reason = text("取消原因", required=True)


MEETING_STEPS = {
    "schedule": Step(svc.schedule_meeting, "会议已安排，已通知相关单位", ScheduleBody,
                     "安排提议中的会议：定时间地点、编号并通知相关单位（已填的会议时间可不再填）"),
    "decline": Step(svc.decline_meeting, "已答复不予召开", DeclineBody, "答复会议提议不予召开"),
    "cancel": Step(svc.cancel_meeting, "会议已取消", CancelBody, "取消已安排的会议（编号不再使用）"),
    "hold": Step(svc.hold_meeting, "已登记会议召开", summary="登记已安排的会议已召开（会议日期已到）"),
}

MINUTES_STEPS = {
    "issue": Step(svc.issue_minutes, "纪要已印发，议定事项已逐项函告督办",
                  summary="印发纪要：编文号、锁定、分送，议定事项逐项函告督办"),
    "amend": Step(svc.amend_minutes, "已生成修正纪要草稿，修改后印发", created=True,
                  summary="以已印发的纪要为底稿生成修正纪要草稿（原纪要保留）；answer 的 id 是修正稿"),
}

# 起草纪要 is a page button on the meeting (the API creates minutes with POST /api/v1/minutes/)
DRAFT_MINUTES = Step(svc.draft_minutes, "已起草纪要，请编辑正文并添加议定事项", created=True, summary="为会议起草纪要")


# ---------------------------------------------------------------- page helpers

def _load(model, pk):
    try:
        return get_in_scope(db.session, model, pk)
    except NotFound:
        abort(404)


def _run(func, record, *args, success: str | None = None, **kwargs):
    """Run the sign-in sheet from its page: commit and flash success, or roll back and flash why not."""
    try:
        result = func(db.session, record, current_user(), *args, **kwargs)
        db.session.commit()
    except BusinessError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return None
    except IntegrityError as exc:  # a Chinese sentence, never the database's text
        db.session.rollback()
        flash(database_error(exc)[0], "danger")
        return None
    if success:
        flash(success, "success")
    return result


def _parse_datetime(value, label: str = "会议时间"):
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value
    text = str(value).strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise BusinessError(f"{label}格式应为 年-月-日 时:分，例如 2026-03-16 09:00", 422)


def _units(ids) -> list[m.Unit]:
    out = []
    for raw in ids or []:
        try:
            out.append(get_in_scope(db.session, m.Unit, raw))
        except NotFound:
            raise BusinessError("所选单位不存在", 422)
    return out


def _member_units():
    return (db.session.query(m.Unit).filter(m.Unit.kind == "member", m.Unit.active.is_(True))
            .order_by(m.Unit.sort_order, m.Unit.id).all())


def _pdf_response(data: bytes, filename: str) -> Response:
    from urllib.parse import quote

    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=\"document.pdf\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store"})


def _minutes_filename(minutes) -> str:
    return f"{minutes.number or '纪要草稿'}-{minutes.title}.pdf".replace("/", "-")


class ShowItemMixin:
    """Keep the shown record for the show template's workflow buttons."""

    def _get_show_widget(self, pk, item, *args, **kwargs):
        g.show_item = item
        if isinstance(item, m.Meeting):
            g.visible_minutes = svc.visible_minutes(db.session, item, current_user())
        return super()._get_show_widget(pk, item, *args, **kwargs)


# ---------------------------------------------------------------- pages

class TopicView(ScopedModelView):
    datamodel = SQLAInterface(m.MeetingTopic)
    route_base = "/meeting_topic"
    class_permission_name = "MeetingTopic"
    list_title = show_title = _("会议议题")
    add_title, edit_title = _("添加议题"), _("编辑议题")
    list_columns = ["sort_order", "title", "reporting_unit", "case"]
    add_columns = edit_columns = ["meeting", "title", "reporting_unit", "case", "material", "sort_order"]
    show_columns = ["meeting", "title", "reporting_unit", "case", "material", "sort_order"]
    search_columns = ["title", "meeting", "reporting_unit"]
    base_order = ("sort_order", "asc")


class AttendanceView(AttendanceRules, ScopedModelView):
    datamodel = SQLAInterface(m.Attendance)
    route_base = "/attendance"
    class_permission_name = "Attendance"
    list_title = show_title = _("参会签到")
    add_title, edit_title = _("添加参会人员"), _("编辑参会人员")
    list_columns = ["unit", "organisation", "person_name", "person_title", "status_label", "note"]
    add_columns = edit_columns = ["meeting", "unit", "organisation", "person_name", "person_title", "status", "note"]
    search_columns = ["meeting", "unit", "status"]


class DecisionView(DecisionRules, ScopedModelView):
    datamodel = SQLAInterface(m.Decision)
    route_base = "/decision"
    class_permission_name = "Decision"
    list_title = _("议定事项")
    add_title = _("添加议定事项")
    edit_title = _("编辑议定事项")
    show_title = _("议定事项")
    list_columns = ["seq", "content", "lead_unit", "co_units", "deadline", "minutes"]
    add_columns = edit_columns = ["minutes", "seq", "content", "lead_unit", "co_units", "deadline", "case"]
    show_columns = ["minutes", "seq", "content", "lead_unit", "co_units", "deadline", "case", "matters"]
    formatters_columns = {"co_units": _names, "deadline": _blank, "case": _blank,
                          "matters": lambda xs: "、".join(x.letter_number or x.title for x in xs or [])}
    search_columns = ["minutes", "lead_unit", "deadline"]
    base_order = ("seq", "asc")


class MinutesView(ShowItemMixin, MinutesRules, ScopedModelView):
    datamodel = SQLAInterface(m.Minutes)
    route_base = "/minutes"
    class_permission_name = "Minutes"
    method_permission_name = {**PAGE_PERMISSIONS, "draft": "add", "issue": "issue", "amend": "amend", "pdf": "pdf"}
    steps = {**MINUTES_STEPS, "draft": DRAFT_MINUTES}
    list_title = show_title = _("会议纪要")
    add_title, edit_title = _("起草会议纪要"), _("编辑会议纪要")
    list_columns = ["number", "title", "meeting", "status_label", "document_date"]
    add_columns = edit_columns = ["meeting", "title", "body", "document_date", "cc_text"]
    show_columns = ["number", "title", "meeting", "status_label", "document_date", "cc_text", "amends", "issued_at"]
    search_columns = ["number", "title", "meeting", "status"]
    base_order = ("id", "desc")
    related_views = [DecisionView]
    show_template = "meetings/minutes_show.html"
    formatters_columns = {k: _blank for k in ("number", "document_date", "cc_text", "amends", "issued_at")}
    description_columns = {"body": "正文每段一行；以“一、”“（一）”“1.”开头的行分别是一、二、三级标题。议定事项在纪要详情页的“议定事项”中逐项添加。",
                           "cc_text": "机制以外的抄送机关，如：县委办公室，县人大常委会办公室"}

    @expose("/draft/<int:meeting_pk>", methods=["POST"])
    @has_access
    def draft(self, meeting_pk):
        return self.page_step(meeting_pk, "draft", record=_load(m.Meeting, meeting_pk), next_url=lambda minutes: (
            url_for("MinutesView.show", pk=minutes.id) if minutes else url_for("MeetingView.show", pk=meeting_pk)))

    @expose("/issue/<int:pk>", methods=["POST"])
    @has_access
    def issue(self, pk):
        return self.page_step(pk, "issue")

    @expose("/amend/<int:pk>", methods=["POST"])
    @has_access
    def amend(self, pk):
        return self.page_step(pk, "amend", next_url=lambda amendment: url_for(
            "MinutesView.show", pk=amendment.id if amendment else pk))

    @expose("/pdf/<int:pk>", methods=["GET"])
    @has_access
    def pdf(self, pk):
        minutes = _load(m.Minutes, pk)
        return _pdf_response(svc.minutes_pdf(db.session, minutes), _minutes_filename(minutes))


class MeetingView(ShowItemMixin, MeetingRules, ScopedModelView):
    datamodel = SQLAInterface(m.Meeting)
    route_base = "/meeting"
    class_permission_name = "Meeting"
    method_permission_name = {**PAGE_PERMISSIONS, "calendar": "list", "followup_pdf": "followup"}
    list_title = show_title = _("会议")
    add_title, edit_title = _("安排会议"), _("编辑会议")
    list_columns = ["kind_label", "number_label", "title", "start_at", "place", "status_label"]
    add_columns = edit_columns = ["kind", "title", "start_at", "place", "chair", "convener", "units", "reason"]
    show_columns = ["kind_label", "number_label", "title", "status_label", "start_at", "place", "chair", "convener",
                    "proposed_by_unit", "units", "reason", "decline_reason"]
    search_columns = ["kind", "title", "status", "start_at"]
    base_order = ("start_at", "desc")
    related_views = [TopicView, AttendanceView, MinutesView]
    show_template = "meetings/meeting_show.html"
    steps = MEETING_STEPS
    formatters_columns = {**{k: _blank for k in ("place", "chair", "convener", "proposed_by_unit", "reason",
                                                 "decline_reason")}, "units": _names,
                          "start_at": lambda v: v.strftime("%Y-%m-%d %H:%M") if v else ""}
    # FAB's datetime widget is a date-only picker that erases a typed time (found by the browser journey):
    # the browser's own date-and-time input instead, as on the schedule and propose pages.
    add_form_extra_fields = edit_form_extra_fields = {"start_at": DateTimeLocalField(
        _("会议时间"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"],
        validators=[validators.Optional()], render_kw={"class": "form-control"})}

    @expose("/propose", methods=["GET", "POST"])
    @has_access
    def propose(self):
        user = current_user()
        form = {"title": "", "reason": "", "units": [], "start_at": "", "place": ""}
        if request.method == "POST":
            form = {"title": request.form.get("title", ""), "reason": request.form.get("reason", ""),
                    "units": request.form.getlist("units"), "start_at": request.form.get("start_at", ""),
                    "place": request.form.get("place", "")}
            try:
                unit = _units([request.form["unit"]])[0] if request.form.get("unit") else None
                meeting = svc.propose_meeting(db.session, user, title=form["title"], reason=form["reason"],
                                              units=_units(form["units"]), unit=unit,
                                              start_at=_parse_datetime(form["start_at"], "建议时间"),
                                              place=form["place"].strip() or None)
                db.session.commit()
            except BusinessError as exc:
                db.session.rollback()
                flash(exc.message, "danger")
            else:
                flash("专题会议提议已提交，待联动办公室安排", "success")
                return redirect(url_for("MeetingView.show", pk=meeting.id))
        return self.render_template("meetings/propose.html", title="提议召开专题会议", form=form,
                                    units=_member_units(), own_unit=getattr(user, "unit", None))

    @expose("/schedule/<int:pk>", methods=["GET", "POST"])
    @has_access
    def schedule(self, pk):
        if request.method == "POST":  # refused: back to the form, with the reason
            return self.page_step(pk, "schedule", next_url=lambda done: url_for(
                "MeetingView.show" if done else "MeetingView.schedule", pk=pk))
        return self.render_template("meetings/schedule.html", title="安排会议", meeting=_load(m.Meeting, pk))

    @expose("/decline/<int:pk>", methods=["POST"])
    @has_access
    def decline(self, pk):
        return self.page_step(pk, "decline")

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel(self, pk):
        return self.page_step(pk, "cancel")

    @expose("/hold/<int:pk>", methods=["POST"])
    @has_access
    def hold(self, pk):
        return self.page_step(pk, "hold")

    @expose("/signin/<int:pk>", methods=["GET", "POST"])
    @has_access
    def signin(self, pk):
        meeting = _load(m.Meeting, pk)
        if request.method == "POST":
            rows = [{"unit_id": uid, "status": request.form.get(f"status_{uid}", ""),
                     "person_name": request.form.get(f"person_name_{uid}", ""),
                     "person_title": request.form.get(f"person_title_{uid}", ""),
                     "note": request.form.get(f"note_{uid}", "")} for uid in request.form.getlist("unit_id")]
            if _run(svc.record_attendance, meeting, rows, success="签到表已保存") is not None:
                return redirect(url_for("MeetingView.signin", pk=pk))
            meeting = _load(m.Meeting, pk)
        rows = svc.attendance_sheet(db.session, meeting)
        counts = {key: sum(1 for r in rows if r["status"] == key) for key in ATTENDANCE_LABELS}
        return self.render_template("meetings/signin.html", title="签到表", meeting=meeting, rows=rows,
                                    labels=ATTENDANCE_LABELS, counts=counts,
                                    editable=meeting.status in svc.OPEN_FOR_ATTENDANCE)

    @expose("/followup/<int:pk>", methods=["GET"])
    @has_access
    def followup(self, pk):
        meeting = _load(m.Meeting, pk)
        rows = svc.followup_rows(db.session, meeting, current_user())
        return self.render_template("meetings/followup.html", title="督促落实情况", meeting=meeting, rows=rows,
                                    minutes=svc.current_minutes(meeting, current_user()),
                                    summary=svc.followup_summary(meeting, rows))

    @expose("/followup_pdf/<int:pk>", methods=["GET"])
    @has_access
    def followup_pdf(self, pk):
        meeting = _load(m.Meeting, pk)
        data = svc.followup_pdf(db.session, meeting, current_user())
        return _pdf_response(data, f"{meeting.number_label or meeting.title}议定事项督促落实情况.pdf")

    @expose("/calendar", methods=["GET"])
    @has_access
    def calendar(self):
        user = current_user()
        upcoming = svc.upcoming_meetings(db.session, user, limit=50)
        days = [(day, list(items)) for day, items in groupby(upcoming, key=lambda x: x.start_at.date())]
        return self.render_template("meetings/calendar.html", title="会议日程", days=days, weekdays=WEEKDAYS,
                                    proposals=svc.pending_proposals(db.session, user),
                                    recent=svc.recent_meetings(db.session, user, limit=10), today=dt.date.today())


# ---------------------------------------------------------------- REST API

def _json() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BusinessError("请求体必须是 JSON 对象", 400)
    return body


class MeetingSummary(Schema):
    """What a meeting step answers (`_meeting_json`)."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "joint 联席会议 / special 专题会议"})
    year = fields.Integer(allow_none=True)
    seq = fields.Integer(allow_none=True, metadata={"description": "当年第几次（安排后编号）"})
    number_label = fields.String(allow_none=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    start_at = fields.String(allow_none=True, metadata={"description": "会议时间（ISO 8601）"})
    place = fields.String(allow_none=True)
    proposed_by_unit = fields.Integer(allow_none=True, metadata={"description": "提议单位"})
    units = fields.List(fields.Integer(), metadata={"description": "相关单位"})
    decline_reason = fields.String(allow_none=True, metadata={"description": "不予召开或取消的理由"})


class MinutesSummary(Schema):
    """What a minutes step answers (`_minutes_json`)."""

    id = fields.Integer(required=True)
    number = fields.String(allow_none=True, metadata={"description": "纪要文号（印发后）"})
    title = fields.String(required=True)
    status = fields.String(required=True)
    meeting = fields.Integer(required=True)
    amends = fields.Integer(allow_none=True, metadata={"description": "所修正的纪要"})
    issued_at = fields.String(allow_none=True)
    distribution = fields.List(fields.Dict(), metadata={"description": "分送：[{unit, kind}]"})
    decisions = fields.List(fields.Dict(), metadata={"description": "议定事项：[{id, seq, matters}]"})


def _meeting_json(meeting: m.Meeting) -> dict:
    return {"id": meeting.id, "kind": meeting.kind, "year": meeting.year, "seq": meeting.seq,
            "number_label": meeting.number_label, "title": meeting.title, "status": meeting.status,
            "start_at": meeting.start_at.isoformat() if meeting.start_at else None, "place": meeting.place,
            "proposed_by_unit": meeting.proposed_by_unit_id, "units": [u.id for u in meeting.units],
            "decline_reason": meeting.decline_reason}


def _minutes_json(minutes: m.Minutes) -> dict:
    return {"id": minutes.id, "number": minutes.number, "title": minutes.title, "status": minutes.status,
            "meeting": minutes.meeting_id, "amends": minutes.amends_id,
            "issued_at": minutes.issued_at.isoformat() if minutes.issued_at else None,
            "distribution": [{"unit": d.unit_id, "kind": d.kind} for d in minutes.distributions],
            "decisions": [{"id": d.id, "seq": d.seq, "matters": [x.id for x in d.matters]} for d in minutes.decisions]}


class MeetingApi(MeetingRules, ScopedApi):
    resource_name = "meeting"
    datamodel = SQLAInterface(m.Meeting)
    class_permission_name = "Meeting"
    method_permission_name = {**API_PERMISSIONS, "upcoming": "list"}
    list_columns = ["id", "kind", "year", "seq", "title", "start_at", "place", "chair", "status"]
    show_columns = list_columns + ["convener", "reason", "decline_reason", "proposed_by_unit.id", "units.id",
                                   "version_id"]
    add_columns = edit_columns = ["kind", "title", "start_at", "place", "chair", "convener", "units", "reason"]
    order_columns = ["id", "start_at"]
    base_order = ("start_at", "desc")

    steps = MEETING_STEPS
    step_result_schema = MeetingSummary

    def step_result(self, record, result) -> dict:
        return _meeting_json(record)

    @expose("/propose", methods=["POST"])
    @protect()
    @safe
    def propose(self):
        """A unit proposes a special meeting: {title, reason, units: [ids], unit?, start_at?, place?}."""
        def run():
            body = _json()
            unit = _units([body["unit"]])[0] if body.get("unit") else None
            return svc.propose_meeting(db.session, current_user(), title=body.get("title") or "",
                                       reason=body.get("reason") or "", units=_units(body.get("units") or []),
                                       unit=unit, start_at=_parse_datetime(body.get("start_at"), "建议时间"),
                                       place=body.get("place"))

        result = workflow_call(self, run)
        if isinstance(result, m.Meeting):
            return self.response(201, id=result.id, result=_meeting_json(result))
        return result

    @expose("/<int:pk>/schedule", methods=["POST"])
    @protect()
    @safe
    def schedule(self, pk):
        """提议中 → 已安排 {"start_at"?, "place"?, "chair"?, "convener"?}."""
        return self.api_step(pk, "schedule")

    @expose("/<int:pk>/decline", methods=["POST"])
    @protect()
    @safe
    def decline(self, pk):
        """提议中 → 不予召开 {"reason"}."""
        return self.api_step(pk, "decline")

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    def cancel(self, pk):
        """已安排 → 已取消 {"reason"}."""
        return self.api_step(pk, "cancel")

    @expose("/<int:pk>/hold", methods=["POST"])
    @protect()
    @safe
    def hold(self, pk):
        """已安排 → 已召开."""
        return self.api_step(pk, "hold")

    @expose("/<int:pk>/signin", methods=["POST"])  # a sheet of rows: see MeetingView.signin
    @protect()
    @safe
    def signin(self, pk):
        """Sign-in sheet: one row per attending unit; the answer lists the meeting's attendance.
        ---
        post:
          summary: 会议签到表（每个单位一行）
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer, minimum: 1, maximum: 9223372036854775807}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [rows]
                  properties:
                    rows:
                      type: array
                      items:
                        type: object
                        required: [unit_id, status]
                        properties:
                          unit_id: {type: integer, description: 单位}
                          status: {type: string, enum: [present, leave, nonvoting, absent], description: "到会情况：present 出席 / leave 请假 / nonvoting 列席 / absent 缺席"}
                          person_name: {type: string, nullable: true, description: 参会人}
                          person_title: {type: string, nullable: true, description: 职务}
                          note: {type: string, nullable: true, description: 备注}
          responses:
            200:
              description: 签到已保存
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result:
                        type: array
                        items:
                          type: object
                          properties:
                            id: {type: integer}
                            unit: {type: integer}
                            status: {type: string}
                            person_name: {type: string, nullable: true}
            400: {description: 请求体不是 JSON 对象}
            401: {$ref: '#/components/responses/401'}
            403: {description: 无此操作权限}
            404: {description: 会议不存在或无权访问}
            409: {description: 会议状态不允许签到}
            422: {description: 签到表不合要求}
        """
        def run():
            meeting = get_in_scope(db.session, m.Meeting, pk)
            rows = _json().get("rows")
            if not isinstance(rows, list):
                raise BusinessError("rows 必须是列表", 422)
            return svc.record_attendance(db.session, meeting, current_user(), rows)

        result = workflow_call(self, run)
        if isinstance(result, int):
            meeting = db.session.get(m.Meeting, pk)
            return self.response(200, result=[{"id": a.id, "unit": a.unit_id, "status": a.status,
                                               "person_name": a.person_name} for a in meeting.attendances])
        return result

    @expose("/<int:pk>/followup", methods=["GET"])
    @protect()
    @safe
    def followup(self, pk):
        """The decision follow-up report as PDF (or JSON rows with ?format=json)."""
        try:
            meeting = get_in_scope(db.session, m.Meeting, pk)
        except NotFound:
            return self.response_404()
        if request.args.get("format") == "json":
            rows = svc.followup_rows(db.session, meeting, current_user())
            return self.response(200, result=[{
                "seq": r["seq"], "decision": r["decision"].id, "matter": r["matter"].id if r["matter"] else None,
                "content": r["content"], "units": r["units"], "status": r["status"], "reply": r["reply"],
                "deadline": r["deadline"].isoformat() if r["deadline"] else None, "alert": r["alert"]} for r in rows])
        data = svc.followup_pdf(db.session, meeting, current_user())
        return _pdf_response(data, f"{meeting.number_label or meeting.title}议定事项督促落实情况.pdf")

    @expose("/upcoming", methods=["GET"])
    @protect()
    @safe
    def upcoming(self):
        try:
            limit = max(1, min(50, int(request.args.get("limit", 10))))
        except ValueError:
            return self.response_400(message="limit 必须是数字")
        items = svc.upcoming_meetings(db.session, current_user(), limit=limit)
        return self.response(200, result=[_meeting_json(x) for x in items])


class MinutesApi(MinutesRules, ScopedApi):
    resource_name = "minutes"
    datamodel = SQLAInterface(m.Minutes)
    class_permission_name = "Minutes"
    list_columns = ["id", "number", "title", "meeting.id", "status", "document_date", "issued_at"]
    show_columns = list_columns + ["body", "cc_text", "amends.id", "decisions.id",
                                   "version_id"]
    add_columns = edit_columns = ["meeting", "title", "body", "document_date", "cc_text"]
    base_order = ("id", "desc")

    steps = MINUTES_STEPS
    step_result_schema = MinutesSummary

    def step_result(self, record, result) -> dict:
        return _minutes_json(result)  # 修正: the new draft

    @expose("/<int:pk>/issue", methods=["POST"])
    @protect()
    @safe
    def issue(self, pk):
        """Issue: number, lock, distribute, one supervised matter per decision."""
        return self.api_step(pk, "issue")

    @expose("/<int:pk>/amend", methods=["POST"])
    @protect()
    @safe
    def amend(self, pk):
        """A new draft amending the issued minutes (which stay on record)."""
        return self.api_step(pk, "amend")

    @expose("/<int:pk>/pdf", methods=["GET"])
    @protect()
    @safe
    def pdf(self, pk):
        try:
            minutes = get_in_scope(db.session, m.Minutes, pk)
        except NotFound:
            return self.response_404()
        return _pdf_response(svc.minutes_pdf(db.session, minutes), _minutes_filename(minutes))


class DecisionApi(DecisionRules, ScopedApi):
    resource_name = "decision"
    datamodel = SQLAInterface(m.Decision)
    class_permission_name = "Decision"
    list_columns = ["id", "minutes.id", "seq", "content", "lead_unit.id", "deadline", "case.id"]
    show_columns = list_columns + ["co_units.id", "co_units.name", "matters.id", "version_id"]
    add_columns = edit_columns = ["minutes", "seq", "content", "lead_unit", "co_units", "deadline", "case"]
    base_order = ("seq", "asc")


def register(appbuilder):
    add_view(appbuilder, MeetingView, "会议", "会议机制", icon="fa-users")
    add_link(appbuilder, "会议日程", "/meeting/calendar", "会议机制", "Meeting", "can_list", icon="fa-calendar")
    add_link(appbuilder, "提议专题会议", "/meeting/propose", "会议机制", "Meeting", "can_propose", icon="fa-lightbulb-o")
    add_view(appbuilder, MinutesView, "会议纪要", "会议机制", icon="fa-file-text-o")
    add_view(appbuilder, DecisionView, "议定事项", "会议机制", icon="fa-gavel")
    appbuilder.add_view_no_menu(TopicView)
    appbuilder.add_view_no_menu(AttendanceView)
    for api in (MeetingApi, MinutesApi, DecisionApi):
        appbuilder.add_api(api)
