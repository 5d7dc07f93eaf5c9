"""督促推进机制's pages: the matter list, show page, the unit's inbox and the 督办台, and the step forms."""
from __future__ import annotations

from flask import abort, flash, g, jsonify, redirect, request
from flask_appbuilder import expose
from flask_appbuilder.fields import QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import DatePickerWidget, Select2ManyWidget
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.widgets import ListWidget
from flask_babel import lazy_gettext as _
from wtforms import DateField, validators

from app import models as m
from app.extensions import db
from app.models.supervision import MATTER_STATUS_LABELS, OPEN_MATTER_STATUSES
from app.security.scope import SCOPE_FILTER, ensure_in_scope, get_in_scope, scoped
from app.services import attachments as attachment_service
from app.services import calendar
from app.services import matters as svc
from app.services import requests as request_service
from app.services.errors import BusinessError, NotFound
from app.views.base import ScopedModelView, commit_step
from app.views.steps import safe_next
from app.views.supervision.common import (ALERT_CLASSES, STATUS_BY_LABEL, MatterRules, units_query, letter_pdf,
                                          reply_part, reply_pdf, suggestion)
from app.views.supervision.workflow import MATTER_STEPS

# --------------------------------------------------------------------------- pages

class MatterListWidget(ListWidget):
    """FAB's list with a deadline-alert column and the row coloured by it."""

    template = "supervision/matter_list_widget.html"


PAGE_ROWS = 50          # rows per page of the inbox and the 督办台
ESCALATED_SHOWN = 20    # the 督办台's 严重逾期 panel lists the first ones, with the total


def _page(total: int) -> tuple[int, int]:
    """The requested page (?page=), clamped to the pages that `total` rows fill."""
    pages = max(1, (total + PAGE_ROWS - 1) // PAGE_ROWS)
    page = request.args.get("page", 1, type=int) or 1
    return min(max(1, page), pages), pages


def list_alert(deadline, status_label) -> str:
    status = STATUS_BY_LABEL.get(str(status_label), status_label)
    return calendar.alert_for(deadline, status not in OPEN_MATTER_STATUSES)


class MatterView(MatterRules, ScopedModelView):
    route_base = "/matter"
    datamodel = SQLAInterface(m.Matter)
    class_permission_name = "Matter"
    list_title = show_title = _("协调事项")
    add_title = _("拟办协调事项")
    edit_title = _("编辑协调事项（拟办）")
    list_widget = MatterListWidget
    list_columns = ["letter_number", "title", "lead_unit", "deadline", "status_label", "case"]
    search_columns = ["title", "letter_number", "status", "lead_unit", "category", "deadline", "case"]
    add_columns = edit_columns = ["title", "category", "lead_unit", "co_unit_list", "source", "case", "content",
                                  "assigned_date", "deadline", "contact_name", "contact_phone"]
    order_columns = ["letter_number", "deadline", "title"]
    base_order = ("id", "desc")
    steps = MATTER_STEPS
    add_template = "supervision/matter_add.html"
    show_template = "supervision/matter_show.html"
    formatters_columns = {"letter_number": lambda value: value or "（拟办，未编号）"}
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "lead_unit": [["kind", FilterNotEqual, "office"], ["active", FilterEqual, True]] + SCOPE_FILTER}
    description_columns = {"lead_unit": "选择事项类别后，按成员单位职责自动建议牵头和配合单位，可修改",
                           "deadline": "默认为若干个工作日后（系统设置“默认办理期限”）"}

    def _init_forms(self):
        extra = {"co_unit_list": QuerySelectMultipleField(
            _("配合单位"), query_func=units_query, get_label=lambda u: u.name, get_pk_func=lambda u: u.id,
            widget=Select2ManyWidget(), validators=[validators.Optional()])}
        self.add_form_extra_fields = {**(self.add_form_extra_fields or {}), **extra, "deadline": DateField(
            _("办理期限"), format="%Y-%m-%d", default=svc.default_deadline, widget=DatePickerWidget(),
            validators=[validators.Optional()])}
        self.edit_form_extra_fields = {**(self.edit_form_extra_fields or {}), **extra}
        super()._init_forms()
        # most matters are the office's own: 联动办公室交办 is the stated default (a source, not a unit to send to)
        if hasattr(self.add_form, "source"):
            self.add_form.source.kwargs["default"] = "office"

    # --- add / edit through the service ---------------------------------------------------
    def pre_add(self, item):
        units = list(getattr(item, "co_unit_list", None) or [])
        self.validate(item)
        svc.create_matter(db.session, g.user, matter=item, title=item.title, lead_unit=item.lead_unit,
                          co_units=units, content=item.content, deadline=item.deadline, category=item.category,
                          case=item.case, source=item.source, assigned_date=item.assigned_date,
                          contact_name=item.contact_name, contact_phone=item.contact_phone)
        ensure_in_scope(db.session, item)

    def post_add(self, item):
        g.added_matter_id = item.id

    def post_add_redirect(self):
        """After 拟办, open the new matter: the office sends it from there."""
        if g.get("added_matter_id"):
            return redirect(f"/matter/show/{g.added_matter_id}")
        return super().post_add_redirect()

    def pre_update(self, item):
        super().pre_update(item)
        units = list(getattr(item, "co_unit_list", None) or [])
        svc.set_units(db.session, item, item.lead_unit, units)
        svc.add_event(db.session, item, g.user, "edit", "修改拟办事项")

    def prefill_form(self, form, pk):
        super().prefill_form(form, pk)
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None and hasattr(form, "co_unit_list"):
            form.co_unit_list.data = item.co_units

    def _matter_or_404(self, pk) -> m.Matter:
        try:
            return get_in_scope(db.session, m.Matter, pk)
        except NotFound:
            abort(404)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        matter = self._matter_or_404(pk)
        if matter.status != "draft":
            flash("事项已函告，不能直接修改；请通过延期、退回等办理流程变更", "warning")
            return redirect(f"/matter/show/{matter.id}")
        return super().edit(pk)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        matter = self._matter_or_404(pk)
        user = g.user
        ctx = svc.AlertContext()
        parts = matter.assignments
        files, letter_files = attachment_service.matter_files(db.session, matter)
        reminders = scoped(db.session.query(m.Reminder).filter(m.Reminder.matter_id == matter.id), m.Reminder) \
            .order_by(m.Reminder.id.desc()).limit(50).all()
        unit_names = {p.unit_id: p.unit.name for p in parts}
        # the timeline names people (王科员), not their sign-in names (office1)
        user_ids = {e.user_id for e in matter.events if e.user_id}
        people = {uid: name for uid, name in db.session.query(m.AppUser.id, m.AppUser.first_name)
                  .filter(m.AppUser.id.in_(user_ids))} if user_ids else {}
        return self.render_template(
            self.show_template, pk=matter.id, title=matter.title, matter=matter, parts=parts, files=files,
            alert=ctx.of_matter(matter), part_alerts={p.id: ctx.of_part(p) for p in parts},
            actions=svc.allowed_actions(matter, user), my_part=svc.part_of(matter, getattr(user, "unit_id", None)),
            events=matter.events, event_labels=svc.EVENT_LABELS, people=people, extensions=matter.extension_requests,
            pending=svc.pending_extension(matter), reminders=reminders, unit_names=unit_names,
            alert_classes=ALERT_CLASSES, human_size=attachment_service.human_size,
            overdue_days=ctx.overdue_workdays(matter.deadline) if matter.deadline else 0,
            today=ctx.today, can_letter=self.appbuilder.sm.has_access("can_letter", "Matter"),
            can_reply_letter=self.appbuilder.sm.has_access("can_reply_letter", "Matter"),
            letter_files=letter_files, source_requests=request_service.requests_of_matter(db.session, user, matter)
            if any(e.action == "request" for e in matter.events) else [])

    # --- workflow steps (POST from the show page, the inbox and the 督办台) ------------------
    @expose("/send/<int:pk>", methods=["POST"])
    @has_access
    def send(self, pk):
        return self.page_step(pk, "send")

    @expose("/sign/<int:pk>", methods=["POST"])
    @has_access
    def sign(self, pk):
        return self.page_step(pk, "sign")

    @expose("/start/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("reply")
    def start(self, pk):
        return self.page_step(pk, "start")

    @expose("/reply/<int:pk>", methods=["POST"])
    @has_access
    def reply(self, pk):
        return self.page_step(pk, "reply")

    @expose("/close/<int:pk>", methods=["POST"])
    @has_access
    def close(self, pk):
        return self.page_step(pk, "close")

    @expose("/return/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("return")
    def send_back(self, pk):
        return self.page_step(pk, "send_back")

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel(self, pk):
        return self.page_step(pk, "cancel")

    @expose("/remind/<int:pk>", methods=["POST"])
    @has_access
    def remind(self, pk):
        return self.page_step(pk, "remind")

    @expose("/remind_many", methods=["POST"])
    @has_access
    @permission_name("remind")
    def remind_many(self):
        """Bulk 催办 from the 督办台: every selected matter must be visible, or nothing happens."""
        pks = request.form.getlist("rowid")
        matters = [self._matter_or_404(pk) for pk in pks]
        try:
            note = MATTER_STEPS["remind"].read().get("note")
            count = svc.remind_many(db.session, matters, g.user, note)
            commit_step()
            flash(f"已催办{len(matters)}个事项，共{count}个单位", "success")
        except BusinessError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return redirect(safe_next("/matter/supervise"))

    @expose("/extend/<int:pk>", methods=["POST"])
    @has_access
    def extend(self, pk):
        return self.page_step(pk, "extend")

    @expose("/extension_approve/<int:pk>", methods=["POST"])
    @has_access
    def extension_approve(self, pk):
        return self.page_step(pk, "extension_approve")

    @expose("/extension_refuse/<int:pk>", methods=["POST"])
    @has_access
    def extension_refuse(self, pk):
        return self.page_step(pk, "extension_refuse")

    # --- documents and helpers ----------------------------------------------------------------
    @expose("/letter/<int:pk>")
    @has_access
    def letter(self, pk):
        return letter_pdf(self._matter_or_404(pk))

    @expose("/reply_letter/<int:pk>")
    @has_access
    def reply_letter(self, pk):
        matter = self._matter_or_404(pk)
        try:
            return reply_pdf(matter, reply_part(matter, request.args.get("unit_id")))
        except BusinessError as exc:
            flash(exc.message, "warning")
            return redirect(f"/matter/show/{matter.id}")

    @expose("/choices")
    @has_access
    @permission_name("list")
    def choices(self):
        """Matters for a searchable select (文号 or 标题 contains ?q=), the user's scope, newest first."""
        from app.views.forms import remote_choices

        return remote_choices(m.Matter, ("letter_number", "title"), (m.Matter.id.desc(),))

    @expose("/suggest")
    @has_access
    def suggest(self):
        """JSON for the add form: lead and co-units suggested by the category."""
        try:
            return jsonify(suggestion(request.args.get("category_id")))
        except NotFound as exc:
            return jsonify(message=exc.message), 404

    # --- workbenches --------------------------------------------------------------------------
    @expose("/inbox")
    @has_access
    def inbox(self):
        """本单位待办: the unit's open parts, most urgent first, a page at a time."""
        total = svc.count_unit_inbox(db.session, g.user)
        page, pages = _page(total)
        rows = svc.unit_inbox(db.session, g.user, limit=PAGE_ROWS, offset=(page - 1) * PAGE_ROWS)
        return self.render_template("supervision/inbox.html", title="本单位待办", rows=rows, total=total,
                                    page=page, pages=pages, alert_classes=ALERT_CLASSES, today=calendar.today(),
                                    unit=getattr(g.user, "unit", None))

    @expose("/supervise")
    @has_access
    def supervise(self):
        """督办台: all open matters by unit, status and alert; bulk 催办; per-unit counts."""
        def arg_int(name):
            value = request.args.get(name, "")
            return int(value) if value.isdigit() else None

        status = request.args.get("status") or None
        alert = request.args.get("alert") or None
        page = max(1, arg_int("page") or 1)
        data = svc.board(db.session, g.user, unit_id=arg_int("unit_id"), status=status, alert=alert,
                         limit=PAGE_ROWS, offset=(page - 1) * PAGE_ROWS)
        clamped, pages = _page(data["total"])
        if clamped != page:  # past the last page: show the last one
            page = clamped
            data = svc.board(db.session, g.user, unit_id=arg_int("unit_id"), status=status, alert=alert,
                             limit=PAGE_ROWS, offset=(page - 1) * PAGE_ROWS)
        args = {k: v for k, v in (("unit_id", arg_int("unit_id")), ("status", status), ("alert", alert)) if v}
        return self.render_template(
            "supervision/board.html", title="督办台", data=data, alert_classes=ALERT_CLASSES,
            units=units_query().all(), status=status, alert=alert, unit_id=arg_int("unit_id"),
            statuses=[(s, MATTER_STATUS_LABELS[s]) for s in svc.BOARD_STATUSES],
            alerts=[(k, v) for k, v in calendar.ALERT_LABELS.items() if k != "none"],
            can_remind=self.appbuilder.sm.has_access("can_remind", "Matter"),
            escalated=svc.escalated_matters(db.session, g.user, limit=ESCALATED_SHOWN),
            escalated_total=data["escalated_total"], page=page, pages=pages,
            page_args=args)
