"""Malformed input is the client's error (400/404/413 in Chinese), never a server error.

Checked once, before any view runs, so every generated page and API endpoint is covered: the
parsers below them (prison for `q`, json for bodies, the database for keys) fail with recursion
errors, AttributeErrors or overflow on input that is merely deep, odd-shaped or huge.
"""
from __future__ import annotations

import prison
from flask import Flask, request

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
        return "查询参数 q 不是有效的 Rison 格式"
    if not isinstance(parsed, dict):
        return "查询参数 q 必须是一个对象，例如 (page:0,page_size:20)"
    return None


def json_refusal(body: bytes) -> str | None:
    """Why a JSON body cannot be read, or None: depth is measured before json.loads recurses."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "请求体必须是 UTF-8 编码的 JSON"
    if nesting_depth(text, "[{", "]}", '"', "\\") > MAX_JSON_DEPTH:
        return "请求体嵌套过深"
    return None


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
        # FAB's generated endpoints read q as rison; pages and our own endpoints (search, ledger) as text
        query = request.args.get("q") if (request.endpoint or "").rpartition(".")[2] in RISON_ENDPOINTS else None
        if query is not None and (reason := rison_refusal(query)):
            return error_response(400, reason)
        if request.is_json and request.method in ("POST", "PUT", "PATCH"):
            # MAX_CONTENT_LENGTH has already bounded the size (413 beyond it)
            if reason := json_refusal(request.get_data(cache=True)):
                return error_response(400, reason)
        return None
