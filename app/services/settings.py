"""Settings an administrator changes on the settings page, with their defaults.

Read through `get()`; values are cached per process for a few seconds so that list pages do not
query the settings table on every row, and refreshed as soon as an admin saves (version bump).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app, g, has_request_context

DEFAULTS: list[tuple[str, str, str, str, str]] = [
    # key, default, label, type, description
    ("org_name", "平陆县", "机构所在地（县名）", "str", "印在文件标志和落款中，例如 平陆县"),
    ("org_short_name", "平", "发文机关代字", "str", "文号中机关代字的第一部分，例如 平府院函〔2026〕15号 中的“平”"),
    ("office_name", "平陆县企业破产处置府院联动机制办公室", "办公室全称", "str", "函告的发文机关标志和落款"),
    ("mechanism_name", "平陆县企业破产处置府院联动机制", "机制名称", "str", ""),
    ("letter_prefix", "府院函", "函告文号代字", "str", "文号 = 代字 + 〔年份〕 + 序号 + 号"),
    ("minutes_prefix", "府院联纪", "会议纪要文号代字", "str", ""),
    ("bulletin_prefix", "府院通", "通报文号代字", "str", ""),
    ("evaluation_prefix", "府院评", "评价通报文号代字", "str", ""),
    ("near_deadline_workdays", "3", "临期提醒（工作日）", "int", "距办理期限不超过该工作日数时显示黄色预警"),
    ("escalate_workdays", "5", "严重逾期升级（工作日）", "int", "超过期限达到该工作日数时升级，列入下次通报和联席会议"),
    ("default_deadline_workdays", "10", "默认办理期限（工作日）", "int", "新建协调事项时建议的办理期限"),
    ("contact_name", "", "办公室联系人", "str", "印在函告上"),
    ("contact_phone", "", "办公室联系电话", "str", "印在函告上"),
]


@dataclass
class _Cache:
    values: dict
    loaded_at: float


_cache: _Cache | None = None
TTL_SECONDS = 5.0


def _load() -> dict:
    from app.extensions import db
    from app.models.org import Setting

    values = {key: default for key, default, *_ in DEFAULTS}
    for row in db.session.query(Setting.key, Setting.value):
        values[row.key] = row.value
    return values


def all_values() -> dict:
    global _cache
    if current_app.testing:  # no cache across requests under test; still one read per request
        if not has_request_context():
            return _load()
        if "fyld_settings" not in g:  # a request's own app context, so its own g
            g.fyld_settings = _load()
        return g.fyld_settings
    if _cache is None or time.monotonic() - _cache.loaded_at > TTL_SECONDS:
        _cache = _Cache(_load(), time.monotonic())
    return _cache.values


def get(key: str) -> str:
    return all_values()[key]


def get_int(key: str) -> int:
    try:
        return int(get(key))
    except (TypeError, ValueError):
        return int(next(d for k, d, *_ in DEFAULTS if k == key))


def invalidate() -> None:
    global _cache
    _cache = None
    if has_request_context():
        g.pop("fyld_settings", None)


def ensure_defaults(session) -> int:
    """Insert settings that do not exist yet; never overwrite what an admin changed."""
    from app.models.org import Setting

    existing = {key for (key,) in session.query(Setting.key)}
    added = 0
    for order, (key, default, label, value_type, description) in enumerate(DEFAULTS):
        if key not in existing:
            session.add(Setting(key=key, value=default, label=label, value_type=value_type,
                                description=description, sort_order=order))
            added += 1
    return added
