"""Base classes every page and API resource derives from.

They hold the cross-cutting rules once: the row-level scope (as base filter, on related-field
choices, on actions and API writes), the optimistic lock, shared permission names for a resource's
page and API, and Chinese error messages instead of FAB's English/SQL ones.
"""
from __future__ import annotations


from flask import abort, flash, redirect, request
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.api import safe
from flask_appbuilder.const import API_RESULT_RES_KEY
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import (FilterRelationManyToManyEqual, FilterRelationOneToManyEqual,
                                                  FilterRelationOneToManyNotEqual, SQLAFilterConverter)
from flask_appbuilder.models.sqla.interface import SQLAInterface
from marshmallow import ValidationError
from sqlalchemy import and_, false, or_
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import BinaryExpression
from wtforms import HiddenField

from app.extensions import db
from app.security.scope import SCOPE_FILTER, current_user, ensure_in_scope, get_in_scope, scope_clause, scoped
from app.services.errors import BusinessError, NotFound, StaleEdit, database_refusal
from app.services.validation import check_choices, check_lengths, check_required_text
from app.views.forms import FriendlyViewMixin
from app.views.labels import LABELS, Labels, labels_for
from app.views.steps import Step, api_answer, page_answer, record_or_404, step_operation
from app.views.steps import commit as commit_step
from app.views.steps import rollback_on_refusal
from app.views.openapi import LIST_OPERATORS, MAX_PAGE, describe_fields, document_resource, localize_times

# One permission per (resource, action), shared by the page and the API of the resource.
PAGE_PERMISSIONS = {"list": "list", "show": "show", "add": "add", "edit": "edit", "delete": "delete",
                    "action": "list", "action_post": "list"}
API_PERMISSIONS = {"get_list": "list", "get": "show", "info": "list", "post": "add", "put": "edit",
                   "delete": "delete"}
DB_ERROR_MESSAGE = "保存失败：数据与已有记录冲突（如编号重复）或已被他人修改，未作任何修改。"


def display_value(value):
    """How a value reads to a clerk: nothing for None, 是/否 for booleans, dates without seconds."""
    import datetime as _dt

    if value is None:
        return ""
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return value


def relation_columns(datamodel: SQLAInterface, columns) -> list[str]:
    return [c for c in columns or [] if datamodel.is_relation(c)]


def check_lock_version(item, submitted) -> None:
    """The second of two editors is told; nothing of theirs overwrites the first's save."""
    if submitted in (None, ""):
        return
    try:
        submitted = int(submitted)
    except (TypeError, ValueError):
        raise BusinessError("版本号无效")
    if submitted != item.version_id:
        raise StaleEdit()


class RecordRules:
    """A resource's rules, shared by its page and its API (subclass once per resource).

    `choice_columns` maps coded columns to their Chinese labels (select boxes on pages, checked on
    the API); `required_columns` must be filled on every path (checked here, marked required in the
    API's add schema, `_info` and the OpenAPI spec); `rules` calls the domain services; `fill_owner`
    sets ownership from the current user.
    """

    choice_columns: dict[str, dict] = {}
    required_columns: tuple[str, ...] = ()

    def validate(self, item) -> None:
        check_lengths(item)
        check_required_text(item, *self.required_columns)
        check_choices(item, self.choice_columns)
        self.rules(item)

    def rules(self, item) -> None:
        pass

    def fill_owner(self, item) -> None:
        pass

    def check_add(self, item) -> None:
        pass

    def check_update(self, item) -> None:
        pass

    def check_delete(self, item) -> None:
        pass


def choice_field(label, choices: dict, required: bool = True):
    from flask_appbuilder.fieldwidgets import Select2Widget
    from wtforms import SelectField, validators

    # a blank first entry: a coded field is chosen by the user, never silently preselected
    entries = list(choices.items()) if "" in choices else [("", "请选择")] + list(choices.items())
    return SelectField(label, choices=entries, widget=Select2Widget(),
                       validators=[validators.DataRequired()] if required else [validators.Optional()])


MAX_PK = 2 ** 63 - 1


def as_pk(value) -> int | None:
    """A primary key from user input, or None for anything that cannot be one (text, 20 digits …).
    FAB hands filter values over as a list of one."""
    if isinstance(value, (list, tuple)):
        value = value[0] if len(value) == 1 else None
    try:
        pk = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk <= MAX_PK else None


def _related_condition(relation, value):
    """EXISTS-style condition "related to row `value` that the user may see": a hidden row and a
    missing one give the same answer, so a filter cannot confirm what the scope hides."""
    target = relation.property.mapper.class_
    pk = as_pk(value)
    condition = target.id == pk if pk is not None else false()
    clause = scope_clause(target, current_user())
    return and_(condition, clause) if clause is not None else condition


class ScopedRelationEqual(FilterRelationOneToManyEqual):
    def apply(self, query, value):
        return query.filter(getattr(self.model, self.column_name).has(_related_condition(
            getattr(self.model, self.column_name), value)))


class ScopedRelationNotEqual(FilterRelationOneToManyNotEqual):
    def apply(self, query, value):
        return query.filter(~getattr(self.model, self.column_name).has(_related_condition(
            getattr(self.model, self.column_name), value)))


class ScopedRelationManyEqual(FilterRelationManyToManyEqual):
    def apply(self, query, value):
        relation = getattr(self.model, self.column_name)
        for item in value if isinstance(value, list) else [value]:
            query = query.filter(relation.any(_related_condition(relation, item)))
        return query


SCOPED_RELATION_FILTERS = {FilterRelationOneToManyEqual: ScopedRelationEqual,
                           FilterRelationOneToManyNotEqual: ScopedRelationNotEqual,
                           FilterRelationManyToManyEqual: ScopedRelationManyEqual}


class ScopedFilterConverter(SQLAFilterConverter):
    """FAB's filters, with relation filters that see only related rows in the user's scope."""

    conversion_table = tuple((kind, [SCOPED_RELATION_FILTERS.get(f, f) for f in filters])
                             for kind, filters in SQLAFilterConverter.conversion_table)


class ScopedInterface(SQLAInterface):
    """FAB's interface with the row-level scope wherever it loads a RELATED record — the `_flt_`
    prefill of add/edit forms, relation filters in lists and the API, related views — and a list
    count without the outer joins of dotted columns (FAB counts over `SELECT matter.*, unit.*, …
    LEFT OUTER JOIN …`; the filters add the joins they need themselves, issue 8)."""

    filter_converter_class = ScopedFilterConverter
    FilterRelationOneToManyEqual = ScopedRelationEqual
    FilterRelationOneToManyNotEqual = ScopedRelationNotEqual
    FilterRelationManyToManyEqual = ScopedRelationManyEqual

    def get_related_obj(self, col_name, value):
        model = self.get_related_model(col_name)
        pk = as_pk(value)
        if pk is None:
            return None
        return scoped(self.session.query(model).filter(model.id == pk), model).first()

    def query_count(self, query, filters=None, select_columns=None) -> int:
        return super().query_count(query, filters, select_columns=None)

    def _query_join_relation(self, query, root_relation, aliases_mapping=None):
        """FAB's outer join for a dotted column (`lead_unit.name`), with the alias of the related table
        made once per relation: FAB makes a new one on every request, and building its column
        collection again was a tenth of an API list's time."""
        if aliases_mapping is None:
            aliases_mapping = {}
        for model_relation, relation_join in self.get_related_model_and_join(root_relation):
            if not hasattr(relation_join, "clauses"):  # not a custom relation: join an alias
                model_relation, relation_join = self._relation_alias(root_relation, model_relation, relation_join)
                aliases_mapping[root_relation] = model_relation
            query = query.join(model_relation, relation_join, isouter=True)
        return query

    def _relation_alias(self, root_relation, model, join):
        cache = self.__dict__.setdefault("_relation_aliases", {})
        key = (root_relation, model)
        if key not in cache:
            alias = aliased(model, name=root_relation)
            pk = self.get_pk(alias)
            side = join.left if join.left.foreign_keys else join.right
            cache[key] = (alias, BinaryExpression(side, pk, join.operator))
        return cache[key]


def scoped_interface(datamodel):
    """Give a view's datamodel the scoped behaviour (the interface object is shared by the view class)."""
    if type(datamodel) is SQLAInterface:
        datamodel.__class__ = ScopedInterface
    return datamodel


def _large_related() -> dict:
    """Related tables that grow with the cases, and the text columns a clerk searches them by."""
    from app import models as m

    return {m.Case: ("case_number", "enterprise_name"), m.Meeting: ("title",),
            m.Minutes: ("number", "title"), m.Matter: ("letter_number", "title")}


class FilterRelatedText(BaseFilter):
    """Search a many-to-one relation by the related record's number or name (an EXISTS on the
    related row), instead of a drop-down that would list every row of a large table."""

    name = "名称或编号包含"
    arg_name = "rel_text"

    def apply(self, query, value):
        value = (value or "").strip()
        if not value:
            return query
        relation = getattr(self.model, self.column_name)
        target = relation.property.mapper.class_
        pattern = "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        columns = [getattr(target, c) for c in _large_related()[target] if hasattr(target, c)]
        condition = or_(*[c.like(pattern, escape="\\") for c in columns])
        clause = scope_clause(target, current_user())  # a hidden case's name must not select rows
        return query.filter(relation.has(and_(condition, clause) if clause is not None else condition))


def search_choice_field(label, model):
    """The search form's drop-down of a small related table: one scoped query (FAB's runs a count
    first), without the related rows' own eager-loaded collections."""
    from flask_appbuilder.fields import QuerySelectField
    from flask_appbuilder.fieldwidgets import Select2Widget
    from sqlalchemy.orm import lazyload
    from wtforms import validators

    def query():
        q = scoped(db.session.query(model).options(lazyload("*")), model)
        order = [c for c in (getattr(model, "sort_order", None), model.id) if c is not None]
        return q.order_by(*order).all()

    return QuerySelectField(label, query_func=query, get_pk_func=lambda obj: obj.id, allow_blank=True,
                            widget=Select2Widget(), validators=[validators.Optional()])


class ScopedModelView(FriendlyViewMixin, RecordRules, ModelView):
    """A FAB ModelView limited to the user's row-level scope on every path; a refused add or edit
    shows the form again with the input kept and the message beside its field (app/views/forms.py)."""

    base_filters = SCOPE_FILTER
    label_columns = LABELS
    method_permission_name = PAGE_PERMISSIONS
    exclude_route_methods = {"download"}  # files go through the permission-checked attachment route
    page_size = 20
    database_error_message = DB_ERROR_MESSAGE
    #: relation columns the current user must not choose outside their scope; filled automatically
    scoped_relations = True

    def __init__(self, **kwargs):
        scoped_interface(self.datamodel)
        columns = set(self.list_columns or []) | set(self.show_columns or [])
        for fieldset in self.show_fieldsets or []:
            columns |= set(fieldset[1].get("fields", []))
        self.formatters_columns = {**{c: display_value for c in columns}, **(self.formatters_columns or {})}
        if self.label_columns is LABELS:  # the shared wording, with the model's own where it differs
            self.label_columns = labels_for(self.datamodel.obj)
        super().__init__(**kwargs)

    #: the resource's workflow steps (app/views/steps.py), the same declaration its API uses
    steps: dict[str, Step] = {}

    def page_step(self, pk, name: str, next_url: str | None = None, record=None):
        """Run the step `name` on record `pk` (in scope, else 404) from a page form."""
        if record is None:
            record = record_or_404(self.datamodel.obj, pk)
        return page_answer(self.steps[name], record, next_url or f"{self.route_base}/show/{pk}")

    def _large_search_relations(self) -> list[str]:
        large = _large_related()
        return [c for c in relation_columns(self.datamodel, self.search_columns)
                if self.datamodel.is_relation_many_to_one(c) and self.datamodel.get_related_model(c) in large]

    def _init_properties(self):
        """A relation to a large table stays searchable (links like ``?_flt_0_case=<id>`` and the add
        form's prefill keep working) but by text, not by a drop-down of every row (issue 8)."""
        super()._init_properties()
        large = self._large_search_relations()
        if large:
            self._filters = self.datamodel.get_filters(
                self.search_columns, search_filters={c: [FilterRelatedText(c, self.datamodel)] for c in large})
            for column in large:  # FAB reads URL filters by index from this list too
                self._filters._all_filters[column] = list(self._filters.get_search_filters()[column])

    def _init_forms(self):
        from app.views.labels import LABELS
        from wtforms import StringField

        from sqlalchemy import Boolean, inspect as sa_inspect
        from wtforms import BooleanField

        # A checkbox left unticked means False: FAB would mark non-nullable booleans as required.
        for column in sa_inspect(self.datamodel.obj).columns:
            if isinstance(column.type, Boolean):
                label = self.label_columns.get(column.key, LABELS.get(column.key, column.key))
                for columns, attr in ((self.add_columns, "add_form_extra_fields"), (self.edit_columns, "edit_form_extra_fields")):
                    if column.key in (columns or []) and column.key not in (getattr(self, attr) or {}):
                        setattr(self, attr, {**(getattr(self, attr) or {}), column.key: BooleanField(label)})
        for key, choices in self.choice_columns.items():
            label = self.label_columns.get(key, LABELS.get(key, key))
            if key in (self.add_columns or []):
                self.add_form_extra_fields = {**(self.add_form_extra_fields or {}), key: choice_field(label, choices)}
            if key in (self.edit_columns or []):
                self.edit_form_extra_fields = {**(self.edit_form_extra_fields or {}), key: choice_field(label, choices)}
        large = self._large_search_relations()
        if not self.search_form:
            fields = {}
            for column in relation_columns(self.datamodel, self.search_columns):
                label = self.label_columns.get(column, LABELS.get(column, column))
                if column in large:
                    fields[column] = StringField(label)
                elif self.datamodel.is_relation_many_to_one(column) or self.datamodel.is_relation_many_to_many(column):
                    fields[column] = search_choice_field(label, self.datamodel.get_related_model(column))
            self.search_form_extra_fields = {**fields, **(self.search_form_extra_fields or {})}
        if self.scoped_relations:
            self.add_form_query_rel_fields = self._scoped_rel(self.add_form_query_rel_fields, self.add_columns)
            self.edit_form_query_rel_fields = self._scoped_rel(self.edit_form_query_rel_fields, self.edit_columns)
            self.search_form_query_rel_fields = self._scoped_rel(self.search_form_query_rel_fields, self.search_columns)
        super()._init_forms()
        if hasattr(self.datamodel.obj, "version_id"):
            self.edit_form = type(self.edit_form.__name__, (self.edit_form,), {"lock_version": HiddenField()})

    def _scoped_rel(self, configured, columns):
        configured = dict(configured or {})
        columns = columns or self.datamodel.get_user_columns_list()
        for column in relation_columns(self.datamodel, columns):
            configured.setdefault(column, SCOPE_FILTER)
        return configured

    # --- optimistic lock and scope on writes --------------------------------------------------
    def prefill_form(self, form, pk):
        if hasattr(form, "lock_version"):
            item = self.datamodel.get(pk, self._base_filters)
            if item is not None:
                form.lock_version.data = item.version_id

    def pre_update(self, item):
        with rollback_on_refusal():
            check_lock_version(item, getattr(item, "lock_version", None))
            self.validate(item)
            self.check_update(item)
            ensure_in_scope(db.session, item)
            db.session.flush()  # the rulebook (locks, gates) speaks now, in Chinese, not in FAB's commit

    def pre_add(self, item):
        with rollback_on_refusal():
            self.fill_owner(item)
            self.validate(item)
            self.check_add(item)
            ensure_in_scope(db.session, item)
            db.session.add(item)
            db.session.flush()

    def pre_delete(self, item):
        with rollback_on_refusal():
            self.check_delete(item)
            db.session.delete(item)
            db.session.flush()

    # --- actions must not bypass the scope (FAB-NOTES: base_filters) -------------------------
    def action(self, name, pk):
        if request.method != "POST":
            abort(405)
        if self.datamodel.get(pk, self._base_filters) is None:
            abort(404)
        return super().action(name, pk)

    def action_post(self):
        pks = request.form.getlist("rowid")
        items = [self.datamodel.get(pk, self._base_filters) for pk in pks]
        if any(item is None for item in items):
            abort(404)
        return super().action_post()

    def _delete(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        try:
            self.pre_delete(item)  # the rulebook speaks at its flush
            db.session.commit()
        except BusinessError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        except SQLAlchemyError:
            db.session.rollback()
            flash("删除失败：该记录仍被其他记录引用，未作任何修改。", "danger")
        else:
            self.post_delete(item)
            flash(self.delete_row_message, "success")
        self.update_redirect()


MARSHMALLOW_MESSAGES = [
    (r"Missing data for required field\.", "必填"),
    (r"Field may not be null\.", "不能为空"),
    (r"Unknown field\.", "未知字段"),
    (r"Not a valid integer\.", "不是有效的整数"),
    (r"Not a valid number\.", "不是有效的数字"),
    (r"Not a valid date\.", "不是有效的日期（格式 YYYY-MM-DD）"),
    (r"Not a valid datetime\.", "不是有效的时间（格式 YYYY-MM-DDTHH:MM:SS）"),
    (r"Not a valid boolean\.", "不是有效的是/否值"),
    (r"Not a valid string\.", "不是有效的文本"),
    (r"Not a valid list\.", "应为列表"),
    (r"Invalid input type\.", "类型无效"),
    (r"Longer than maximum length (\d+)\.", r"超过最大长度 \1"),
    (r"Length must be between .*", "长度不符合要求"),
    (r"Related object doesn't exist in DB", "关联记录不存在"),
    (r"Must be one of: .*", "取值无效"),
]


def chinese_validation_errors(messages) -> dict:
    """marshmallow's English field errors, in Chinese, keyed by field."""
    import re

    def translate(text):
        for pattern, replacement in MARSHMALLOW_MESSAGES:
            if re.fullmatch(pattern, str(text)):
                return re.sub(pattern, replacement, str(text))
        return str(text)

    if isinstance(messages, dict):
        return {key: chinese_validation_errors(value) if isinstance(value, dict) else
                [translate(v) for v in (value if isinstance(value, list) else [value])]
                for key, value in messages.items()}
    return {"_schema": [translate(m) for m in (messages if isinstance(messages, list) else [messages])]}


def validation_response(api, err: ValidationError):
    db.session.rollback()
    errors = chinese_validation_errors(err.messages)
    parts = []
    for key, value in errors.items():
        label = LABELS.get(key, key)
        parts.append(f"{label}：{'、'.join(map(str, value)) if isinstance(value, list) else value}")
    return api.response(422, message="数据校验未通过：" + "；".join(parts), errors=errors)


def api_error(api, exc: BusinessError):
    db.session.rollback()
    return api.response(exc.status_code, message=exc.message)


def api_database_error(api, exc: SQLAlchemyError):
    """A write the database refused: a unique index or lock in the user's words (409/422), an
    unavailable database to `@safe`'s 503, any other refusal 422; nothing is kept."""
    from app.web import DB_UNAVAILABLE

    db.session.rollback()
    if isinstance(exc, DB_UNAVAILABLE):
        raise exc
    if isinstance(exc, IntegrityError):
        return api_error(api, database_refusal(exc))
    return api.response(422, message=DB_ERROR_MESSAGE)


class ScopedApi(RecordRules, ModelRestApi):
    """A FAB ModelRestApi with the same permissions and row-level scope as the pages."""

    base_filters = SCOPE_FILTER
    label_columns = LABELS
    method_permission_name = API_PERMISSIONS
    allow_browser_login = False  # JWT only: a page session must not drive the API (no CSRF there)
    page_size = 20
    max_page_size = 100

    def __init__(self):
        scoped_interface(self.datamodel)
        columns = set(self.add_columns or []) | set(self.edit_columns or [])
        if not columns:
            datamodel = self.datamodel
            columns = set(datamodel.get_user_columns_list())
        self.add_query_rel_fields = dict(self.add_query_rel_fields or {})
        self.edit_query_rel_fields = dict(self.edit_query_rel_fields or {})
        # FAB adds to it: never to the shared LABELS; the model's own wording where it differs
        self.label_columns = (labels_for(self.datamodel.obj) if self.label_columns is LABELS
                              else Labels(self.label_columns or {}))
        for column in relation_columns(self.datamodel, columns):
            self.add_query_rel_fields.setdefault(column, SCOPE_FILTER)
            self.edit_query_rel_fields.setdefault(column, SCOPE_FILTER)
        super().__init__()

    def create_blueprint(self, *args, **kwargs):
        # FAB makes the schemas here, after __init__, and has filled missing labels with English
        # ("Entries Comment", "Version Id"): Chinese labels per API, then the contract on the schemas
        blueprint = super().create_blueprint(*args, **kwargs)
        self.label_columns = Labels({name: self._column_label(name) for name in self.label_columns})
        self._declare_contract()
        return blueprint

    def _declare_contract(self) -> None:
        """What the rules enforce, said in the schemas: required columns and allowed values, so the
        OpenAPI spec, `_info` and marshmallow's own checks agree with `validate`."""
        from marshmallow import validate as checks

        for schema in (self.add_model_schema, self.edit_model_schema):
            for name, make_field in self.extra_write_fields.items():
                field = make_field()
                field._bind_to_schema(name, schema)
                schema.fields[name] = schema.load_fields[name] = field
        for schema, adding in ((self.add_model_schema, True), (self.edit_model_schema, False)):
            for name, field in (getattr(schema, "fields", None) or {}).items():
                labels = self.choice_columns.get(name)
                if labels:
                    allowed = "、".join(f"{key}（{label}）" for key, label in labels.items())
                    field.validators = [*field.validators, checks.OneOf(
                        list(labels), error=f"“{self._column_label(name)}”的取值无效：{{input}}；可选：{allowed}")]
                if adding and name in self.required_columns:
                    field.required = True
                    field.error_messages["required"] = f"请填写“{self._column_label(name)}”"
                description = self.description_columns.get(name)
                field.metadata = {**field.metadata, "description": str(description or self._column_label(name))}
        describe_fields(self)

    def add_api_spec(self, api_spec) -> None:
        super().add_api_spec(api_spec)
        document_resource(self, api_spec)  # this resource's queries, types and status codes (app/views/openapi.py)

    def _column_label(self, name: str) -> str:
        """The Chinese label of a column; dotted and generated names ("entries.comment", FAB's
        English "Version Id") by their last part."""
        label = self.label_columns.get(name)
        if not label or str(label).isascii():
            last = name.split(".")[-1]
            known = [LABELS.get(key) for key in (name, last, last.removesuffix("_id"))]
            label = next((str(k) for k in known if k and not str(k).isascii()), None) or label or name
        return str(label)

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None):
        # FAB passes an empty description through gettext, which answers the catalogue's header
        info = super()._get_field_info(field, filter_rel_field, page=page, page_size=page_size)
        info["label"] = self._column_label(field.name)
        info["description"] = str(self.description_columns.get(field.name) or "")
        info["required"] = bool(field.required)
        labels = self.choice_columns.get(field.name)
        if labels:
            info["enum"] = list(labels)
            info["values"] = [{"id": key, "value": str(label)} for key, label in labels.items()]
        return info

    def _refuse_foreign_relations(self, data: dict, columns) -> None:
        """A body naming a related record outside the writer's scope is refused (404-style)."""
        from app.security.scope import scope_clause

        for column in relation_columns(self.datamodel, columns):
            if column not in data or data[column] in (None, [], ""):
                continue
            # a related record is named by its key (a list of keys for many): anything else, e.g. an
            # object that marshmallow would try to build a record from, is refused for every user
            many = self.datamodel.is_relation_many_to_many(column) or self.datamodel.is_relation_one_to_many(column)
            ids = data[column] if many and isinstance(data[column], list) else [data[column]]
            ids = [as_pk(i) if not isinstance(i, (bool, dict, list, float)) else None for i in ids]
            if None in ids:
                raise BusinessError(f"“{self._column_label(column)}”应为关联记录的编号" + ("列表" if many else ""), 422)
            related = self.datamodel.get_related_model(column)
            clause = scope_clause(related, current_user())
            if clause is None:
                continue
            found = db.session.query(related.id).filter(related.id.in_(ids), clause).count()
            if found != len(set(ids)):
                raise BusinessError(f"字段 {column} 引用了不存在或无权使用的记录", 422)

    def post_headless(self):
        if not request.is_json or not isinstance(request.json, dict):
            return self.response_400(message="请求体必须是 JSON 对象")
        try:
            self._refuse_foreign_relations(request.json, self.add_columns)
            item = self.add_model_schema.load(request.json)
            localize_times(item)  # a time given with a zone, in the local time the database keeps
            db.session.add(item)  # ensure_in_scope adds it only for scoped users
            self.fill_owner(item)
            self.validate(item)
            self.check_add(item)
            ensure_in_scope(db.session, item)
            db.session.commit()
        except ValidationError as err:
            return validation_response(self, err)
        except BusinessError as exc:
            return api_error(self, exc)
        except SQLAlchemyError as exc:
            return api_database_error(self, exc)
        self.post_add(item)
        return self.response(201, **{API_RESULT_RES_KEY: self.add_model_schema.dump(item, many=False),
                                     "id": self.datamodel.get_pk_value(item)})

    def put_headless(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if not request.is_json or not isinstance(request.json, dict):
            return self.response_400(message="请求体必须是 JSON 对象")
        if not item:
            return self.response_404()
        body = dict(request.json)
        submitted_version = body.pop("version_id", None)
        try:
            check_lock_version(item, submitted_version)
            self._refuse_foreign_relations(body, self.edit_columns)
            data = self._merge_update_item(item, body)
            item = self.edit_model_schema.load(data, instance=item)
            localize_times(item)
            self.validate(item)
            self.check_update(item)
            ensure_in_scope(db.session, item)
            db.session.commit()
        except ValidationError as err:
            return validation_response(self, err)
        except BusinessError as exc:
            return api_error(self, exc)
        except StaleDataError:
            db.session.rollback()
            return api_error(self, StaleEdit())
        except SQLAlchemyError as exc:
            return api_database_error(self, exc)
        self.post_update(item)
        return self.response(200, **{API_RESULT_RES_KEY: self.edit_model_schema.dump(item, many=False)})

    def delete_headless(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            return self.response_404()
        try:
            self.check_delete(item)
            db.session.delete(item)
            db.session.commit()
        except BusinessError as exc:
            return api_error(self, exc)
        except SQLAlchemyError:
            db.session.rollback()
            return self.response(422, message="删除失败：该记录仍被其他记录引用，未作任何修改。")
        self.post_delete(item)
        return self.response(200, message="已删除")

    # --- workflow steps: the page's declaration, its body schema and answer in the spec ----
    steps: dict[str, Step] = {}
    #: the schema of `step_result` for the spec; None means the resource's show schema
    step_result_schema = None

    def step_result(self, record, result) -> dict:
        return self.show_model_schema.dump(record)

    def api_step(self, pk, name: str, record=None):
        """Run the step `name` on record `pk` (in scope, else 404) from a JSON or multipart body."""
        if record is None:
            try:
                record = get_in_scope(db.session, self.datamodel.obj, pk)
            except NotFound:
                return self.response_404()
        return api_answer(self, self.steps[name], record, self.step_result)

    def _step_result_component(self) -> str:
        if self.step_result_schema is None:
            return self.show_model_schema_name
        return f"{self.__class__.__name__}.step_result"

    #: body keys the resource's API reads beside its columns (a matter's co_units): name → field factory
    extra_write_fields: dict = {}
    #: what a create or edit answers beside the written columns (the matter's parts and alert)
    write_result_extra = None

    def _write_result_component(self, method: str) -> str:
        return f"{self.__class__.__name__}.{method}_result"

    def _declare_write_answer(self, method: str, operation: dict) -> None:
        """A resource that answers more than the written columns (`write_result_extra`) says so:
        the integer id and the written record with the extra (app/views/openapi.py does the rest)."""
        status = 201 if method == "post" else 200  # FAB's docstrings are YAML: integer keys
        properties = {"result": {"$ref": f"#/components/schemas/{self._write_result_component(method)}"}}
        if method == "post":
            properties["id"] = {"type": "integer"}
        answer = operation.get("responses", {}).get(status) or operation.get("responses", {}).get(str(status))
        if answer is not None:
            answer["content"] = {"application/json": {"schema": {
                "type": "object", "properties": properties, "required": sorted(properties)}}}

    def add_apispec_components(self, api_spec) -> None:
        from apispec.exceptions import DuplicateComponentNameError
        from marshmallow import Schema

        from app.views.steps import Refusal, StepAnswer, body_component

        super().add_apispec_components(api_spec)
        schemas = {"StepAnswer": StepAnswer, "Refusal": Refusal}
        if self.write_result_extra is not None:
            extra = self.write_result_extra._declared_fields
            for method, schema in (("post", self.add_model_schema), ("put", self.edit_model_schema)):
                schemas[self._write_result_component(method)] = Schema.from_dict(
                    {**schema.fields, **extra}, name=f"{self.__class__.__name__}{method.title()}Result")
        schemas.update({body_component(self.__class__.__name__, name): step.body for name, step in self.steps.items()})
        if self.steps and self.step_result_schema is not None:
            schemas[self._step_result_component()] = self.step_result_schema
        for name, schema in schemas.items():
            try:
                api_spec.components.schema(name, schema=schema)
            except DuplicateComponentNameError:
                pass

    def operation_helper(self, path=None, operations=None, methods=None, func=None, **kwargs):
        super().operation_helper(path=path, operations=operations, methods=methods, func=func, **kwargs)
        name = getattr(func, "__name__", None)
        if name in ("post", "put") and name in operations and self.write_result_extra is not None:
            self._declare_write_answer(name, operations[name])
        step = self.steps.get(name)
        if step is not None:
            operation = step_operation(self.__class__.__name__, func.__name__, step, self._step_result_component())
            operation["security"] = [{"jwt": []}, {"api_key": []}]
            operations["post"] = operation

    def response_404(self):
        return self.response(404, message="记录不存在或无权访问")

    # FAB's own messages are English ("Not authorized", "Arguments are not correct", a rison parser
    # error, or `@safe`'s exception text): clients get a generic Chinese one, never internals.
    def response_400(self, message=None):
        return self.response(400, message=_chinese_or(message, "请求参数不正确"))

    def response_401(self):
        return self.response(401, message="未登录或登录已失效：请先取得访问令牌（JWT）")

    def response_403(self):
        return self.response(403, message="您没有执行此操作的权限")

    def response_405(self):
        return self.response(405, message="该操作不支持这种请求方式")

    def response_422(self, message=None):
        return self.response(422, message=_chinese_or(message, "数据无效，未作任何修改"))

    def response_500(self, message=None):
        import sys

        from app.web import DB_UNAVAILABLE, ERROR_TEXT

        try:
            db.session.rollback()
        except Exception:  # the connection may be the thing that failed
            pass
        failure = sys.exc_info()[1]  # called from `@safe`'s except block
        if isinstance(failure, DB_UNAVAILABLE):
            return self.response(503, message=ERROR_TEXT[503][1])
        if isinstance(failure, IntegrityError):  # e.g. a lock or a unique index met at commit
            failure = database_refusal(failure)
        if isinstance(failure, BusinessError):
            return self.response(failure.status_code, message=failure.message)
        return self.response(500, message=ERROR_TEXT[500][1])

    def get_list_headless(self, **kwargs):
        """A page size beyond FAB_API_MAX_PAGE_SIZE or a negative page is refused, not capped silently."""
        args = kwargs.get("rison") or {}
        limit = self.max_page_size or 100
        size, page = args.get("page_size"), args.get("page")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= limit):
            return self.response_400(message=f"每页条数应为 1–{limit} 的整数")
        if page is not None and (not isinstance(page, int) or isinstance(page, bool) or not 0 <= page <= MAX_PAGE):
            return self.response_400(message=f"页码应为 0–{MAX_PAGE} 的整数")
        for flt in args.get("filters") or []:  # FAB's "in" iterates its value: one value is a server error
            if isinstance(flt, dict) and flt.get("opr") in LIST_OPERATORS and not isinstance(flt.get("value"), list):
                return self.response_400(message=f"过滤条件 {flt['opr']} 的值应为列表")
            values = flt.get("value") if isinstance(flt, dict) else None
            if any(isinstance(v, int) and not -MAX_PK - 1 <= v <= MAX_PK for v in (values if isinstance(values, list) else [values])):
                return self.response_400(message="过滤条件的值超出 64 位整数范围")
        return super().get_list_headless(**kwargs)


def _chinese_or(message, fallback: str) -> str:
    """Keep a message already written in Chinese for the user; replace anything else."""
    if isinstance(message, str) and any("\u4e00" <= ch <= "\u9fff" for ch in message):
        return message
    return fallback


def workflow_call(api, func, *args, **kwargs):
    """Run a workflow service from an API endpoint: commit on success, 4xx JSON on refusal."""
    try:
        result = func(*args, **kwargs)
        commit_step()
    except BusinessError as exc:
        return api_error(api, exc)
    return result


__all__ = ["ScopedModelView", "ScopedApi", "safe", "workflow_call", "check_lock_version", "redirect"]
