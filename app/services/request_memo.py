"""Values read at most once per request (reference data under test, where the per-process
caches are off so that a test sees its own writes at once)."""
from __future__ import annotations

from typing import Callable, TypeVar

from flask import has_request_context, request

T = TypeVar("T")
_ATTR = "_fyld_memo"


def once_per_request(key: str, load: Callable[[], T]) -> T:
    if not has_request_context():
        return load()
    store = getattr(request, _ATTR, None)
    if store is None:
        store = {}
        setattr(request, _ATTR, store)
    if key not in store:
        store[key] = load()
    return store[key]


def forget(key: str) -> None:
    if has_request_context():
        getattr(request, _ATTR, {}).pop(key, None)
