"""The app's cache (app/services/caching.py): off under test (NullCache), and with Redis shared by
every worker, so that an administrator's change on one worker is seen by the others at once.

The Redis test skips when no Redis answers at TEST_REDIS_URL (default redis://127.0.0.1:6379/0);
under CI (`CI` set) an unreachable Redis fails the test instead, as PostgreSQL does in conftest.py.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest

from app import models as m
from app.extensions import cache, db
from app.services import calendar, settings
from tests.conftest import PASSWORD, build_test_app

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_available() -> bool:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return True
    except redis.exceptions.RedisError:
        if os.environ.get("CI"):
            raise
        return False


def test_the_cache_is_off_under_test(app):
    with app.app_context():
        assert type(cache.cache).__name__ == "NullCache"


_PAIRS: dict[str, tuple[list, str]] = {}  # database URL -> (two app instances, their Redis key prefix)


@pytest.fixture(scope="module")
def _pairs():
    yield _PAIRS
    for pair, _ in _PAIRS.values():
        for worker in pair:
            with worker.app_context():
                db.session.remove()
                db.engine.dispose()
    _PAIRS.clear()


@pytest.fixture
def workers(app, _pairs):
    """Two app instances on the test database sharing one Redis cache (two gunicorn workers); built
    once per backend for the module, the cache emptied after each test."""
    if not _redis_available():
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (set TEST_REDIS_URL)")
    import redis

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url not in _pairs:
        prefix = f"fyld-test-{uuid.uuid4().hex[:8]}:"
        config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": REDIS_URL, "CACHE_KEY_PREFIX": prefix,
                  "CACHE_OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}
        _pairs[url] = ([build_test_app(url, **config) for _ in range(2)], prefix)
    pair, prefix = _pairs[url]
    yield pair
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def _read(worker, read):
    with worker.test_request_context():
        value = read()
        db.session.remove()
        return value


def _admin(worker):
    client = worker.test_client()
    assert client.post("/login/", data={"username": "admin", "password": PASSWORD}).status_code == 302
    return client


def test_a_settings_edit_on_one_worker_is_seen_by_the_other_at_once(workers):
    first, second = workers
    with first.app_context():
        assert type(cache.cache).__name__ == "RedisCache"
        row = db.session.query(m.Setting).filter_by(key="contact_phone").one()
        pk, before = row.id, row.value
        db.session.remove()
    assert _read(second, lambda: settings.get("contact_phone")) == before  # now in Redis
    try:
        with first.app_context():  # a write behind the cache's back: the shared copy still answers
            db.session.query(m.Setting).filter_by(id=pk).update({"value": "0359-0000000"})
            db.session.commit()
            db.session.remove()
        assert _read(second, lambda: settings.get("contact_phone")) == before
        response = _admin(first).post(f"/settingview/edit/{pk}", data={"value": "0359-1234567"})
        assert response.status_code == 302
        assert _read(second, lambda: settings.get("contact_phone")) == "0359-1234567"
    finally:
        with first.app_context():
            db.session.query(m.Setting).filter_by(id=pk).update({"value": before})
            db.session.commit()
            settings.invalidate()
            db.session.remove()


def test_a_holiday_added_on_one_worker_is_seen_by_the_other_at_once(workers):
    first, second = workers
    day = dt.date(2031, 10, 1)
    assert day not in _read(second, lambda: calendar.work_calendar().holidays)  # now in Redis
    response = _admin(first).post("/holidayview/add", data={"day": day.isoformat(), "kind": "holiday", "name": "国庆节"})
    assert response.status_code == 302
    assert day in _read(second, lambda: calendar.work_calendar().holidays)
    with first.app_context():
        calendar.invalidate()  # the holiday itself goes with the test's business data
