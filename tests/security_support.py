"""A production-like app for the security tests: CSRF on, login throttling on (memory://), trusted
hosts, one proxy in front (X-Forwarded-For/-Proto), plus routes that fail on purpose."""
from __future__ import annotations

import os
import re
import threading
import uuid

import pytest

from tests.conftest import _TMP, PASSWORD, build_test_app, clean_business_data, prepare_database

LOGIN_LIMIT = 3
HARDENED = {
    "WTF_CSRF_ENABLED": True,
    "RATELIMIT_ENABLED": True,
    "AUTH_RATE_LIMITED": True,
    "AUTH_RATE_LIMIT": f"{LOGIN_LIMIT} per 1 minute",
    "RATELIMIT_STORAGE_URI": "memory://",
    "TRUSTED_HOSTS": ["localhost", "127.0.0.1"],
    "PROXY_COUNT": 1,
    "TESTING": False,  # errors go through the error handlers, as in production
}
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def add_failing_routes(app) -> None:
    """Routes that raise, so the 500/503 pages can be looked at (added before the first request)."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    @app.route("/_test/boom")
    def _boom():
        raise ValueError("secret internals: SELECT password FROM ab_user")

    @app.route("/_test/integrity")
    def _integrity():
        raise IntegrityError("INSERT INTO unit (name) VALUES ('县税务局')", {}, Exception("UNIQUE constraint failed: unit.name"))

    @app.route("/_test/dbdown")
    def _dbdown():
        raise OperationalError("SELECT 1", {}, Exception("connection refused to 10.0.0.5"))


_apps: dict = {}


def get_hardened_app(**extra):
    key = tuple(sorted((k, str(v)) for k, v in extra.items()))
    if key not in _apps:
        url = _apps.get("sqlite_url") or f"sqlite:///{os.path.join(_TMP, 'hardened-' + uuid.uuid4().hex[:6] + '.db')}"
        app = build_test_app(url, **{**HARDENED, **extra})
        add_failing_routes(app)
        if "sqlite_url" not in _apps:
            prepare_database(app)
            _apps["sqlite_url"] = url  # only once it holds the seeded content: a failed start is retried whole
        _apps[key] = app
    return _apps[key]


@pytest.fixture
def hardened_app():
    app = get_hardened_app()
    app.appbuilder.sm.limiter.reset()
    yield app
    clean_business_data(app)
    app.appbuilder.sm.limiter.reset()


def csrf_token(client, url="/login/") -> str:
    html = client.get(url).get_data(as_text=True)
    match = CSRF_FIELD.search(html)
    assert match, f"no csrf_token on {url}"
    return match.group(1) or match.group(2)


def login(client, username, password=PASSWORD, next_url=None, **kw):
    token = csrf_token(client)
    url = "/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": username, "password": password, "csrf_token": token}, **kw)


class LiveServer:
    """The app served by werkzeug on a free loopback port, in a thread (real sockets and cookies)."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)
