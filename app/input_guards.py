"""Malformed input is the client's error (400/404/413 in Chinese), never a server error.

Checked once, before any view runs, so every generated page and API endpoint is covered: the
parsers below them (prison for `q`, json for bodies, the database for keys) fail with recursion
errors, AttributeErrors or overflow on input that is merely deep, odd-shaped or huge.
"""
from __future__ import annotations

import json

import prison
from flask import Flask, current_app, request
from werkzeug.datastructures import ImmutableMultiDict

# Deeper than any filter or body the API describes (a filter list is 3 levels, a step body 2).
MAX_RISON_DEPTH = 8
MAX_JSON_DEPTH = 16
MAX_PK = 2**63 - 1  # the largest key PostgreSQL's BIGINT and SQLite's INTEGER can bind
# FAB's endpoints whose `q` argument is rison (`@rison` in flask_appbuilder.api); ours read it as text
RISON_ENDPOINTS = {"get_list", "get", "info", "related", "distinct"}


def nesting_depth(text: str, opening: str, closing: str, quote: str, escape: str) -> int:
    """Deepest bracket nesting outside quoted strings, read in one pass without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == escape:
                escaped = True
            elif char == quote:
                in_string = False
        elif char == quote:
            in_string = True
        elif char in opening:
            depth += 1
            deepest = max(deepest, depth)
        elif char in closing:
            depth -= 1
    return deepest


def _has_surrogates(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def rison_refusal(value: str) -> str | None:
    """Why the `q` argument cannot be a query, or None when it is a rison object."""
    if _has_surrogates(value):
        return "查询参数 q 含有无效字符"
    if nesting_depth(value, "(", ")", "'", "!") > MAX_RISON_DEPTH:
        return "查询参数 q 嵌套过深"
    try:
        parsed = prison.loads(value)
    except Exception:  # prison raises several kinds on broken text
        # FAB reads q as JSON when it is not Rison (FAB_API_ALLOW_JSON_QS, on by default), as the
        # OpenAPI spec describes it: the same depth limit, then JSON's own parser
        if not current_app.config.get("FAB_API_ALLOW_JSON_QS", True):
            return "查询参数 q 不是有效的 Rison 格式"
        if nesting_depth(value, "[{", "]}", '"', "\\") > MAX_RISON_DEPTH:
            return "查询参数 q 嵌套过深"
        try:
            parsed = json.loads(value)
        except ValueError:
            return "查询参数 q 不是有效的 Rison 或 JSON 格式"
    if not isinstance(parsed, dict):
        return "查询参数 q 必须是一个对象，例如 (page:0,page_size:20)"
    return None


def to_rison(value) -> str:
    """Rison of a JSON value, every string quoted (prison.dumps leaves some unquoted that it cannot read back)."""
    if isinstance(value, dict):
        return "(" + ",".join(f"{to_rison(str(k))}:{to_rison(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list):
        return "!(" + ",".join(to_rison(v) for v in value) + ")"
    if value is True or value is False or value is None:
        return {True: "!t", False: "!f", None: "!n"}[value]
    if isinstance(value, (int, float)):
        return json.dumps(value).replace("e+", "e")
    return "'" + str(value).replace("!", "!!").replace("'", "!'") + "'"


def _is_rison(value: str) -> bool:
    try:
        prison.loads(value)
    except Exception:
        return False
    return True


NUL_REFUSAL = "提交的内容含有无效字符（NUL），未作任何修改"


def _holds_nul(value) -> bool:
    """A NUL character anywhere in a parsed body (its depth already bounded): no database stores it."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def json_refusal(body: bytes) -> str | None:
    """Why a JSON body cannot be read, or None: depth is measured before json.loads recurses."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "请求体必须是 UTF-8 编码的 JSON"
    if nesting_depth(text, "[{", "]}", '"', "\\") > MAX_JSON_DEPTH:
        return "请求体嵌套过深"
    if "\\u0000" in text or "\x00" in text:
        try:
            if _holds_nul(json.loads(text)):
                return NUL_REFUSAL
        except ValueError:
            return None  # not JSON at all: the view answers that
    return None


def fields_hold_nul(fields) -> bool:
    """A NUL in a query-string or form field (name or value)."""
    return any("\x00" in key or any("\x00" in value for value in fields.getlist(key)) for key in fields)


def key_out_of_range(view_args: dict | None) -> bool:
    """A record key in the path that no row can have (beyond 64 bits, or not positive)."""
    for name, value in (view_args or {}).items():
        if name != "pk" and not isinstance(value, int):
            continue
        text = str(value).strip()
        if text.lstrip("-").isdigit() and not 0 < int(text) <= MAX_PK:
            return True
    return False


def register_input_guards(app: Flask) -> None:
    from app.web import error_response

    @app.before_request
    def _refuse_malformed_input():
        if request.path.startswith("/static"):
            return None
        if key_out_of_range(request.view_args):
            return error_response(404)
        if fields_hold_nul(request.args) or (request.method in ("POST", "PUT", "PATCH") and not request.is_json
                                             and fields_hold_nul(request.form)):
            return error_response(400, NUL_REFUSAL)
        # FAB's generated endpoints read q as rison; pages and our own endpoints (search, ledger) as text
        query = request.args.get("q") if (request.endpoint or "").rpartition(".")[2] in RISON_ENDPOINTS else None
        if query is not None and (reason := rison_refusal(query)):
            return error_response(400, reason)
        if query is not None and not _is_rison(query):
            # a JSON q, handed on as the Rison of the same object: FAB's own fallback decodes the
            # URL a second time and breaks on '&', '+' or '%' inside the JSON's strings
            args = request.args.copy()
            args["q"] = to_rison(json.loads(query))
            request.args = ImmutableMultiDict(args)
        if request.is_json and request.method in ("POST", "PUT", "PATCH"):
            # MAX_CONTENT_LENGTH has already bounded the size (413 beyond it)
            if reason := json_refusal(request.get_data(cache=True)):
                return error_response(400, reason)
        return None
