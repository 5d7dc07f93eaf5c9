"""Values kept between requests (Flask-Caching, `app.extensions.cache`) and read at most once per request.

Two layers. A per-request memo in front: a list page that asks for a setting on every row reads it
once. Behind it the app's cache, chosen in config.py: SimpleCache per process by default, Redis when
`CACHE_REDIS_URL` / `REDIS_URL` is set — every worker then shares one copy, and an administrator's
change (`forget`) is seen by all of them at once — and NullCache under test, where a test sees its
own writes at once. A cache that fails (Redis down) is logged and bypassed: the value is read from
the database, as without a cache.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Callable, TypeVar

from flask import has_app_context, has_request_context, request

from app.extensions import cache

T = TypeVar("T")
_MEMO = "_fyld_memo"
log = logging.getLogger(__name__)


def _memo() -> dict | None:
    if not has_request_context():
        return None
    store = getattr(request, _MEMO, None)
    if store is None:
        store = {}
        setattr(request, _MEMO, store)
    return store


def cached(key: str, load: Callable[[], T], timeout: int) -> T:
    """The value under `key`: this request's copy, else the shared cache's, else `load()` (then kept
    for `timeout` seconds)."""
    memo = _memo()
    if memo is not None and key in memo:
        return memo[key]
    value = _shared_get(key)
    if value is None:
        value = load()
        _shared_set(key, value, timeout)
    if memo is not None:
        memo[key] = value
    return value


def forget(key: str) -> None:
    """Drop `key` everywhere: this request's copy and the shared cache (every worker, with Redis)."""
    memo = _memo()
    if memo is not None:
        memo.pop(key, None)
    if has_app_context():
        try:
            cache.delete(key)
        except Exception:  # noqa: BLE001 — a cache outage must not fail an admin's save
            log.exception("cache: could not delete %s; other workers see the change within its timeout", key)


def digest(*parts) -> str:
    """A short key part for structured values, the same in every process (unlike `hash()`)."""
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:16]


def _shared_get(key: str):
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001
        log.warning("cache: get %s failed; reading from the database", key, exc_info=True)
        return None


def _shared_set(key: str, value, timeout: int) -> None:
    try:
        cache.set(key, value, timeout=timeout)
    except Exception:  # noqa: BLE001
        log.warning("cache: set %s failed", key, exc_info=True)
