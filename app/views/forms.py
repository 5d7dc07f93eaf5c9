"""Add and edit forms that keep what the user typed when a rule or the database refuses it.

FAB's add/edit views flash a refusal raised in pre_add/pre_update (or the database's own English
text, SQL included) and redirect to the list: the form and everything typed is lost. Here the form
is shown again with the input kept and the message beside the field it concerns; a database error
reaches the user as a Chinese sentence, never as SQL.
"""
from __future__ import annotations

import logging
import re

from flask import flash, request
from flask_appbuilder.widgets import ListWidget
from flask_appbuilder.urltools import get_filter_args, get_order_args, get_page_args, get_page_size_args
from flask_babel import lazy_gettext as _
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

log = logging.getLogger(__name__)

FORM_REFUSED = _("未保存：请按红色提示修改后再提交，已填写的内容均已保留。")


def _label(key: str) -> str:
    from app.views.labels import LABELS

    return str(LABELS.get(key, key))


def database_error(exc: BaseException) -> tuple[str, list[str]]:
    """A Chinese sentence for a database refusal, and the columns it concerns (to mark the fields)."""
    from app.services.errors import database_refusal

    refusal = database_refusal(exc, label=_label)
    return refusal.message, refusal.columns


def _field_for(form, message: str, field: str | None):
    """The form field a message belongs to: the one named by the refusal, else the field whose
    label the message quotes (“标签”) or mentions (the longest label found wins)."""
    fields = {name: f for name, f in form._fields.items() if f.type not in ("CSRFTokenField", "HiddenField")}
    if field and field in fields:
        return fields[field]
    quoted = re.findall(r"“([^”]+)”", message)
    best, best_len = None, 0
    for f in fields.values():
        label = str(f.label.text).strip()
        if not label:
            continue
        if label in quoted:
            return f
        if label in message and len(label) > best_len:
            best, best_len = f, len(label)
    return best


def mark_form(form, message: str, field: str | None = None, columns=()) -> None:
    """Put the message beside its field (or at the top of the page when it concerns none)."""
    target = None
    for column in list(columns) or [None]:
        target = _field_for(form, message, field or column)
        if target is not None:
            break
    if target is None:
        flash(message, "danger")
        return
    target.errors = list(target.errors or []) + [message]
    flash(str(FORM_REFUSED), "danger")


def refusal(exc: BaseException) -> tuple[str, str | None, list[str]]:
    """(message, field, columns) for anything pre_add/pre_update or the save may raise."""
    from app.services.errors import BusinessError

    if isinstance(exc, BusinessError):
        return exc.message, getattr(exc, "field", None), []
    if isinstance(exc, (SQLAlchemyError, StaleDataError)) or isinstance(getattr(exc, "__cause__", None), SQLAlchemyError):
        message, columns = database_error(exc)
        return message, None, columns
    if isinstance(exc, ValueError) and any("\u4e00" <= ch <= "\u9fff" for ch in str(exc)):
        return str(exc), None, []  # FAB's security views refuse with ValueError (our Chinese text)
    raise exc


class KeepFormOnRefusal:
    """FAB's `_add` / `_edit`, except that a refusal shows the form again with the input kept."""

    def _rollback(self):
        self.datamodel.session.rollback()

    def _add(self):
        is_valid_form = True
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        form = self.add_form.refresh()
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
            if form.validate():
                self.process_form(form, True)
                item = self.datamodel.obj()
                try:
                    form.populate_obj(item)
                    self.pre_add(item)
                    self.datamodel.add(item)
                    self.post_add(item)
                except Exception as exc:  # noqa: BLE001 - refusal() re-raises what it does not know
                    self._rollback()
                    if not isinstance(exc, IntegrityError) and isinstance(exc, SQLAlchemyError):
                        log.exception("add refused by the database")
                    message, field, columns = refusal(exc)
                    mark_form(form, message, field, columns)
                else:
                    flash(str(self.add_row_message), "success")
                    return None
            is_valid_form = False
        if is_valid_form:
            self.update_redirect()
        return self._get_add_widget(form=form, exclude_cols=exclude_cols)

    def _edit(self, pk):
        from flask import abort

        is_valid_form = True
        pages, page_sizes, orders = get_page_args(), get_page_size_args(), get_order_args()
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        pk = self.datamodel.get_pk_value(item)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            self._fill_form_exclude_cols(exclude_cols, form)
            form._id = pk
            if form.validate():
                self.process_form(form, False)
                try:
                    form.populate_obj(item)
                    self.pre_update(item)
                    self.datamodel.edit(item)
                    self.post_update(item)
                except Exception as exc:  # noqa: BLE001
                    self._rollback()
                    message, field, columns = refusal(exc)
                    mark_form(form, message, field, columns)
                    item = self.datamodel.get(pk, self._base_filters)
                    if item is None:
                        abort(404)
                else:
                    flash(str(self.edit_row_message), "success")
                    return None
            is_valid_form = False
        else:
            form = self.edit_form.refresh(obj=item)
            self.prefill_form(form, pk)
        widgets = self._get_edit_widget(form=form, exclude_cols=exclude_cols)
        widgets = self._get_related_views_widgets(item, filters={}, orders=orders, pages=pages,
                                                  page_sizes=page_sizes, widgets=widgets)
        if is_valid_form:
            self.update_redirect()
        return widgets


class ChineseTitles:
    """FAB titles a page it was not given a title for "Add Holiday", "Edit Setting": here the
    titles follow the list's Chinese title (新增…, 编辑…)."""

    def _init_titles(self):
        base = str(self.list_title or "") if self.list_title else ""
        if base:
            if not self.add_title:
                self.add_title = f"新增{base}"
            if not self.edit_title:
                self.edit_title = f"编辑{base}"
            if not self.show_title:
                self.show_title = base
        super()._init_titles()


class ReadableShowColumns:
    """A detail page FAB fills with every column shows codes ("claims") and the lock's "Version Id":
    without an explicit list, codes are shown by their Chinese label and the lock is left out."""

    def _init_properties(self):
        explicit = bool(self.show_columns) or bool(self.show_fieldsets)
        super()._init_properties()
        if explicit:
            return
        model = self.datamodel.obj
        columns = []
        for column in self.show_columns or []:
            if column in ("version_id", "id") or column.endswith("_id"):
                continue
            label = f"{column}_label"
            columns.append(label if isinstance(getattr(model, label, None), property) else column)
        self.show_columns = columns


def _filter_value_text(view, flt, value) -> str:
    """How an active filter's value reads: a related record by its name, a code by its label."""
    from app.security.scope import scoped

    column = flt.column_name
    datamodel = view.datamodel
    try:
        if datamodel.is_relation(column) and str(value).isdigit():
            model = datamodel.get_related_model(column)
            related = scoped(datamodel.session.query(model).filter(model.id == int(value)), model).first()
            return str(related) if related is not None else str(value)
        if value in ("y", "n") and not datamodel.is_relation(column) and datamodel.is_boolean(column):
            return "是" if value == "y" else "否"
        probe = datamodel.obj()
        setattr(probe, column, value)
        label = getattr(probe, f"{column}_label", None)
        if isinstance(label, str) and label:
            return label
    except Exception:  # noqa: BLE001 - a label is a nicety; the raw value still reads
        pass
    return str(value)


def active_filters(view) -> list[dict]:
    """The list's search conditions as a clerk reads them: 标题 包含 “税务”."""
    out = []
    for flt, value in view._filters.get_filters_values():
        if isinstance(value, (list, tuple)):
            value = "、".join(str(v) for v in value if v not in (None, ""))
        if value in (None, ""):
            continue
        label = view.label_columns.get(flt.column_name, flt.column_name)
        out.append({"label": str(label), "operation": str(flt.name), "value": _filter_value_text(view, flt, value)})
    return out


class FriendlyListWidget(ListWidget):
    template = "fyld/list_widget.html"


class FriendlyListPage:
    """Lists show what they are filtered by (and open the search form then), titles are links,
    a status never wraps one character per line (templates/fyld/list.html, list_widget.html)."""

    list_template = "fyld/list.html"

    list_widget = FriendlyListWidget

    def render_template(self, template, **kwargs):
        if template == self.list_template and "widgets" in kwargs:
            kwargs.setdefault("active_filters", active_filters(self))
        return super().render_template(template, **kwargs)


# related tables too large for a drop-down of every row: searched as the user types (JSON endpoint)
REMOTE_CHOICES = {"Case": "/caseview/choices", "Matter": "/matter/choices"}


def remote_choices(model, columns, order, limit: int = 20):
    """JSON for a searchable select: the user's scope only (scoped()), newest first, a page at a time."""
    from flask import jsonify
    from sqlalchemy import or_

    from app.extensions import db
    from app.security.scope import scoped

    q = (request.args.get("q") or "").strip()[:100]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    query = scoped(db.session.query(model), model)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.filter(or_(*[getattr(model, c).like(pattern, escape="\\") for c in columns]))
    rows = query.order_by(*order).offset((page - 1) * limit).limit(limit + 1).all()
    return jsonify(results=[{"id": str(r.id), "text": str(r)} for r in rows[:limit]], more=len(rows) > limit)


class RemoteSelectWidget:
    """FAB's select2 box, filled as the user types from `data-remote` (static/js/fyld.js)."""

    def __init__(self, url: str):
        from flask_appbuilder.fieldwidgets import Select2Widget

        self.url, self.inner = url, Select2Widget()

    def __call__(self, field, **kwargs):
        kwargs["data-remote"] = self.url
        kwargs.setdefault("data-placeholder", "输入案号、企业名称或标题搜索")
        return self.inner(field, **kwargs)


def remote_select_field(label, model, url: str, required: bool, description=""):
    """A select of a large related table that renders only the chosen row; a posted id is accepted
    only when it is in the user's scope (the same rule as the JSON endpoint)."""
    from flask_appbuilder.fields import QuerySelectField
    from wtforms import validators

    from app.extensions import db
    from app.security.scope import scoped

    class RemoteQuerySelectField(QuerySelectField):
        def _get_object_list(self):
            wanted = set()
            if self._formdata not in (None, "", "__None") and str(self._formdata).isdigit():
                wanted.add(int(self._formdata))
            if getattr(self, "_data", None) is not None:
                wanted.add(self._data.id)
            if not wanted:
                return []
            rows = scoped(db.session.query(model).filter(model.id.in_(wanted)), model).all()
            return [(str(r.id), r) for r in rows]

    return RemoteQuerySelectField(label, query_func=lambda: [], get_pk_func=lambda r: r.id, allow_blank=True,
                                  widget=RemoteSelectWidget(url), description=description,
                                  validators=[validators.DataRequired() if required else validators.Optional()])


class RemoteChoiceFields:
    """Cases and matters are chosen by typing (案号、企业名称、标题), not from a list of every row."""

    def _init_forms(self):
        from app.views.labels import LABELS

        datamodel = self.datamodel
        for columns, attr in ((self.add_columns, "add_form_extra_fields"), (self.edit_columns, "edit_form_extra_fields")):
            extra = dict(getattr(self, attr) or {})
            for column in columns or []:
                if column in extra or not datamodel.is_relation_many_to_one(column):
                    continue
                model = datamodel.get_related_model(column)
                url = REMOTE_CHOICES.get(model.__name__)
                if url is None:
                    continue
                label = self.label_columns.get(column, LABELS.get(column, column))
                extra[column] = remote_select_field(label, model, url, required=not datamodel.is_nullable(column),
                                                    description=(self.description_columns or {}).get(column, ""))
            setattr(self, attr, extra)
        super()._init_forms()


class FriendlyViewMixin(ChineseTitles, ReadableShowColumns, FriendlyListPage, RemoteChoiceFields, KeepFormOnRefusal):
    """Everything a clerk's pages need: Chinese titles, readable detail pages and lists, input
    kept on refusal, Chinese errors."""


BLANK_CHOICE = "请选择"


def install_select_defaults() -> None:
    """Every drop-down of a related record starts empty, never on a silently preselected row.

    FAB gives a required many-to-one field no blank entry, so the form opens on the first row (a
    test matter went to the court); an optional one gets a blank entry that WTForms labels
    "__None". Here each such select has a blank entry "请选择"; a required one still refuses to be
    saved blank (DataRequired, beside the field)."""
    from flask_appbuilder import fields as fab_fields

    cls = fab_fields.QuerySelectField
    if getattr(cls, "_fyld_blank", False):
        return
    original = cls.__init__

    def __init__(self, label=None, validators=None, query_func=None, get_pk_func=None, get_label=None,
                 allow_blank=False, blank_text="", **kwargs):
        original(self, label, validators, query_func=query_func, get_pk_func=get_pk_func, get_label=get_label,
                 allow_blank=True, blank_text=blank_text or BLANK_CHOICE, **kwargs)

    cls.__init__ = __init__
    cls._fyld_blank = True


TEXT_FILTERS = ("FilterContains", "FilterEqual", "FilterStartsWith", "FilterEndsWith", "FilterNotContains",
                "FilterNotEqual")


def install_search_defaults() -> None:
    """Text search defaults to 包含 (FAB's first operator was “starts with”: 标题 = 税务 found
    nothing in 1 955 matters); the set a clerk needs, in that order."""
    from flask_appbuilder.models.sqla import filters as sqla_filters

    converter = sqla_filters.SQLAFilterConverter
    if getattr(converter, "_fyld_contains_first", False):
        return
    text = [getattr(sqla_filters, name) for name in TEXT_FILTERS]
    converter.conversion_table = tuple((test, list(text) if test in ("is_text", "is_string", "is_binary") else flts)
                                       for test, flts in converter.conversion_table)
    converter._fyld_contains_first = True


# At import: the factory imports the security pages (app/views/security.py, which imports this module)
# before AppBuilder starts, so FAB's own user and role forms (built then, before register_views) get
# the blank entry too.
install_select_defaults()
install_search_defaults()
