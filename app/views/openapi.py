"""What the OpenAPI spec says of a generic resource (ScopedApi), made to match what the server does.

FAB writes one description for every ModelRestApi: a `q` argument of any columns and filters, ids
and keys as strings, `_info` columns as objects, related records as "anything", times with a zone,
and only some of the status codes the API answers. Integrators build clients from the spec
(`GET /api/v1/_openapi`) and tests/test_api_schemathesis.py holds the server to it, so each resource
here states its own columns, filters, operators, page bounds, the types it really sends and takes,
and every status code it returns (docs/api.md).
"""
from __future__ import annotations

import copy
import datetime as dt
import functools

import yaml
from apispec import yaml_utils
from marshmallow import fields as mf
from marshmallow import validate as checks

# What the API answers besides success, by operation (FAB declares only 400/401/404/422/500).
ERRORS = {
    "get_list": ("400", "401", "403", "422", "500", "503"),
    "get": ("400", "401", "403", "404", "422", "500", "503"),
    "info": ("400", "401", "403", "422", "500", "503"),
    "post": ("400", "401", "403", "404", "409", "413", "422", "500", "503"),
    "put": ("400", "401", "403", "404", "409", "413", "422", "500", "503"),
    "delete": ("400", "401", "403", "404", "409", "422", "500", "503"),
}
MESSAGES = {"403": "无权执行此操作", "409": "与已有记录冲突或已被他人修改", "413": "请求体过大",
            "503": "数据库暂不可用"}
# Times are local (北京时间) without a zone on the way out; a time with a zone is taken and converted.
LOCAL_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"
BEIJING = dt.timezone(dt.timedelta(hours=8))
# No text may hold NUL (app/input_guards.py refuses it: no database stores it); required text not blank
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\x00\s][^\x00]*$"
LIST_OPERATORS = ("in", "not_in")
MAX_PAGE = 1_000_000  # ScopedApi.get_list_headless: beyond it the offset leaves what a database can count
MAX_PK = 2**63 - 1  # app/input_guards.py: a larger key is a record that cannot exist (404)


def describe_fields(api) -> None:
    """Types on the schemas' fields that apispec cannot infer (called from `_declare_contract`)."""
    from marshmallow_sqlalchemy.fields import Related, RelatedList

    add_fields = getattr(api.add_model_schema, "fields", None) or {}
    not_blank = {name for name, field in add_fields.items() if field.required} | set(api.required_columns)
    for schema in (api.add_model_schema, api.edit_model_schema):
        for name, field in (getattr(schema, "fields", None) or {}).items():
            extra = {}
            if name in api.required_columns:
                field.allow_none = False  # refused by the rules (check_required_text) as much as missing
            if isinstance(field, RelatedList):
                extra = {"type": "array", "items": {"type": "integer", "minimum": 1},
                         "description": f"{field.metadata.get('description', name)}（关联记录的编号，须存在且在您的范围内）"}
            elif isinstance(field, Related):
                extra = {"type": "integer", "minimum": 1,
                         "description": f"{field.metadata.get('description', name)}（关联记录的编号，须存在且在您的范围内）"}
            elif isinstance(field, mf.String) and name in not_blank:
                extra = {"minLength": 1, "pattern": NOT_BLANK}
            elif isinstance(field, mf.String) and not any(isinstance(v, checks.Regexp) for v in field.validators):
                extra = {"pattern": NO_NUL}
            field.metadata = {**field.metadata, **extra}
    for schema in (api.list_model_schema, api.show_model_schema):
        for field in (getattr(schema, "fields", None) or {}).values():
            if isinstance(field, mf.Nested) and not field.many:
                field.allow_none = True  # a related record that is not set is sent as null


def local_time(value):
    """A time given with a zone, as the local time the database keeps (naive, 北京时间)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(BEIJING).replace(tzinfo=None)
    return value


def localize_times(item) -> None:
    from sqlalchemy import DateTime, inspect

    for column in inspect(type(item)).columns:
        if isinstance(column.type, DateTime):
            value = getattr(item, column.key, None)
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                setattr(item, column.key, local_time(value))


def _value_schema(api, column: str) -> dict:
    datamodel = api.datamodel
    if datamodel.is_relation(column):
        return {"type": "integer", "minimum": 1, "maximum": MAX_PK}
    if datamodel.is_boolean(column):
        return {"type": "boolean"}
    if datamodel.is_integer(column):
        return {"type": "integer", "minimum": -MAX_PK - 1, "maximum": MAX_PK}
    if datamodel.is_float(column) or datamodel.is_numeric(column):
        return {"type": "number"}
    if datamodel.is_datetime(column):
        return {"type": "string", "format": "date-time"}
    if datamodel.is_date(column):
        return {"type": "string", "format": "date"}
    return {"type": "string", "pattern": NO_NUL}


def list_query(api) -> dict:
    """The `q` of a list: this resource's columns, sortable columns, filters and page bounds."""
    filters = api._filters.get_search_filters()
    one_filter = []
    for column, column_filters in filters.items():
        operators = [f.arg_name for f in column_filters]
        for listed in (False, True):  # "in"/"not_in" take a list of values, the others one value
            chosen = [o for o in operators if (o in LIST_OPERATORS) == listed]
            if chosen:
                value = _value_schema(api, column)
                one_filter.append({"type": "object", "required": ["col", "opr", "value"], "properties": {
                    "col": {"type": "string", "enum": [column]}, "opr": {"type": "string", "enum": chosen},
                    "value": {"type": "array", "items": value} if listed else value}})
    properties = {
        "keys": {"type": "array", "items": {"type": "string", "enum": [
            "list_columns", "order_columns", "label_columns", "description_columns", "list_title", "none"]}},
        "columns": {"type": "array", "items": {"type": "string", "enum": list(api.list_columns)},
                    "description": "返回的列（默认全部列表列）"},
        "order_direction": {"type": "string", "enum": ["asc", "desc"]},
        "page": {"type": "integer", "minimum": 0, "maximum": MAX_PAGE, "description": "页码，从 0 开始"},
        "page_size": {"type": "integer", "minimum": 1, "maximum": api.max_page_size or 100},
        "filters": {"type": "array", "items": {"anyOf": one_filter} if one_filter else {"not": {}},
                    "description": "过滤条件：列、该列可用的运算符、值"},
    }
    if api.order_columns:
        properties["order_column"] = {"type": "string", "enum": list(api.order_columns)}
    return {"type": "object", "properties": properties}


def item_query(api) -> dict:
    return {"type": "object", "properties": {
        "keys": {"type": "array", "items": {"type": "string", "enum": [
            "show_columns", "description_columns", "label_columns", "show_title", "none"]}},
        "columns": {"type": "array", "items": {"type": "string", "enum": list(api.show_columns)}}}}


def info_query(api) -> dict:
    page = {"type": "object", "properties": {
        "page": {"type": "integer", "minimum": 0},
        "page_size": {"type": "integer", "minimum": 1, "maximum": api.max_page_size or 100}}}
    return {"type": "object", "properties": {
        "keys": {"type": "array", "items": {"type": "string", "enum": [
            "add_columns", "edit_columns", "filters", "permissions", "add_title", "edit_title", "none"]}},
        "add_columns": {"type": "object", "additionalProperties": page},
        "edit_columns": {"type": "object", "additionalProperties": page}}}


COLUMN_INFO = {"type": "object", "required": ["name", "label", "description", "required", "type"], "properties": {
    "name": {"type": "string"}, "label": {"type": "string"}, "description": {"type": "string"},
    "required": {"type": "boolean"}, "unique": {"type": "boolean"}, "type": {"type": "string"},
    "enum": {"type": "array"}, "values": {"type": "array", "items": {"type": "object"}},
    "count": {"type": "integer"}, "validate": {"type": "array", "items": {"type": "string"}}}}
INFO = {"type": "object", "properties": {
    "add_columns": {"type": "array", "items": COLUMN_INFO},
    "edit_columns": {"type": "array", "items": COLUMN_INFO},
    "add_title": {"type": "string"}, "edit_title": {"type": "string"},
    "filters": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "operator": {"type": "string"}}}}},
    "permissions": {"type": "array", "items": {"type": "string"}}}}


def _query_parameter(schema: dict) -> dict:
    return {"in": "query", "name": "q", "content": {"application/json": {"schema": schema}},
            "description": "Rison 或 JSON 编码的对象"}


def _local_times(node) -> None:
    """Times in responses are local without a zone: a pattern instead of RFC 3339's date-time."""
    if isinstance(node, dict):
        if node.get("format") == "date-time":
            node.pop("format")
            node["pattern"] = LOCAL_TIME
        for value in node.values():
            _local_times(value)
    elif isinstance(node, list):
        for value in node:
            _local_times(value)


def document_resource(api, spec) -> None:
    """Rewrite this resource's generic operations in `spec` (an apispec APISpec) to say what they do."""
    base = api.route_base
    paths = spec._paths
    operations = {("get", "/"): "get_list", ("post", "/"): "post", ("get", "/_info"): "info",
                  ("get", "/{pk}"): "get", ("put", "/{pk}"): "put", ("delete", "/{pk}"): "delete"}
    queries = {"get_list": list_query, "get": item_query, "info": info_query}
    for (method, tail), name in operations.items():
        operation = paths.get(base + tail, {}).get(method)
        if operation is None:
            continue
        if name in queries:
            operation["parameters"] = [p for p in operation.get("parameters", []) if p.get("name") != "q"]
            operation["parameters"].append(_query_parameter(queries[name](api)))
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path" and parameter.get("name") == "pk":
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_PK}
        responses = operation["responses"]
        for code in ERRORS[name]:
            if code not in responses:
                responses[code] = {"description": MESSAGES.get(code, code), "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"message": {"type": "string"}}}}}}
        success = next(responses[c] for c in ("200", "201") if c in responses)
        body = success.get("content", {}).get("application/json", {}).get("schema", {})
        props = body.get("properties", {})
        if name == "get_list":
            props["ids"] = {"type": "array", "items": {"type": "integer"}}
            props["count"] = {"type": "integer"}
        if name in ("get", "post") and "id" in props:
            props["id"] = {"type": "integer"}
        if name == "info":
            success["content"]["application/json"]["schema"] = INFO
        if name in ("post", "put") and "$ref" in props.get("result", {}):
            # the record as saved: times local and without a zone, like every response
            result = props["result"]["$ref"].rsplit("/", 1)[1]
            schema = copy.deepcopy(spec.components.schemas[result])
            _local_times(schema)
            schema.pop("required", None)
            schema.pop("additionalProperties", None)  # some resources answer with more than they take
            spec.components.schemas[result + ".result"] = schema
            props["result"] = {"$ref": f"#/components/schemas/{result}.result"}
    prefix = type(api).__name__ + "."
    for schema_name, schema in spec.components.schemas.items():  # nested related records
        if schema_name.startswith(prefix + "get"):
            _local_times(schema)


class ParsedOnce:
    """Stands in for `yaml` and apispec's `yaml_utils` inside `flask_appbuilder.api`, which use only
    `safe_load` and `load_operations_from_docstring`, in `BaseApi.operation_helper`.

    For each HTTP method of each endpoint, FAB parses the endpoint's YAML docstring, then parses the
    Python text of that result as YAML a second time (to put the class name in): about 2,000 parses in
    pure Python per spec, nine tenths of building it. Here each distinct text is parsed once per
    process (libyaml when PyYAML has it) and each caller gets its own copy, since FAB edits what it
    gets."""

    _loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    @staticmethod
    @functools.lru_cache(maxsize=None)
    def _parsed(text: str):
        return yaml.load(text, Loader=ParsedOnce._loader)

    @staticmethod
    @functools.lru_cache(maxsize=None)
    def _operations(docstring):
        return yaml_utils.load_operations_from_docstring(docstring)

    def safe_load(self, text):
        return copy.deepcopy(self._parsed(text))

    def load_operations_from_docstring(self, docstring):
        return copy.deepcopy(self._operations(docstring))


def install() -> None:
    import flask_appbuilder.api as fab_api

    if not isinstance(fab_api.yaml, ParsedOnce):
        fab_api.yaml = fab_api.yaml_utils = ParsedOnce()


def spec_views():
    """FAB's `/api/<version>/_openapi` and Swagger page, the spec built once per version, address and
    language in each process: FAB rebuilds it for every request (every resource's schemas, YAML
    docstrings, the fixes above), about a second of CPU, for a document that changes only with the
    code. Same class name as FAB's, so the permission (`can get on OpenApi`) and the URL stay."""
    from flask import current_app, request
    from flask_appbuilder.api import BaseApi, expose, protect, safe
    from flask_appbuilder.api import manager as fab_manager
    from flask_babel import get_locale

    class OpenApi(fab_manager.OpenApi):
        @expose("/<version>/_openapi")
        @protect()
        @safe
        def get(self, version):
            key = (version, request.host_url, str(get_locale()))
            specs = current_app.extensions.setdefault("fyld_openapi_specs", {})
            if key not in specs:
                spec, found = self._create_api_spec(version), False
                for base_api in current_app.appbuilder.baseviews:
                    if isinstance(base_api, BaseApi) and base_api.version == version:
                        base_api.add_api_spec(spec)
                        found = True
                specs[key] = spec.to_dict() if found else None
            if specs[key] is None:
                return self.response_404()
            return self.response(200, **specs[key])

    return OpenApi, fab_manager.SwaggerView
