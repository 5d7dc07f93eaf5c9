"""The same attacks against a running server (werkzeug on a free loopback port, real sockets, real
Set-Cookie/Cookie headers, a raw Host header), and login throttling shared by two servers through
Redis — what the test client cannot show."""
from __future__ import annotations

import http.client
import json
import re
import socket
import uuid
from urllib.parse import urlencode, urlparse

import pytest

from tests.conftest import PASSWORD
from tests.security_support import CSRF_FIELD, LOGIN_LIMIT, LiveServer, get_hardened_app, hardened_app  # noqa: F401


class Browser:
    """A minimal cookie-keeping HTTP client (no redirects followed, every header visible)."""

    def __init__(self, server, headers=None):
        parsed = urlparse(server.url)
        self.host, self.port = parsed.hostname, parsed.port
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []
        self.headers = headers or {}

    def request(self, method, path, form=None, body=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=15)
        all_headers = {**self.headers, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urlencode(form, doseq=True)
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif isinstance(body, (dict, list)):
            body = json.dumps(body)
            all_headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                self.set_cookie_headers.append(value)
                key, _, rest = value.partition("=")
                val = rest.split(";", 1)[0]
                if "Expires=Thu, 01 Jan 1970" in value or val == "":
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = val
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def token(self, path="/login/"):
        status, _, html = self.get(path)
        match = CSRF_FIELD.search(html)
        assert match, (path, status)
        return match.group(1) or match.group(2)

    def login(self, username, password=PASSWORD, next_url=None, headers=None):
        token = self.token()
        path = "/login/" + (f"?next={next_url}" if next_url else "")
        return self.post(path, form={"username": username, "password": password, "csrf_token": token}, headers=headers)


@pytest.fixture
def live(hardened_app):
    with LiveServer(hardened_app) as server:
        yield server


def test_csrf_with_real_cookies(live, hardened_app):
    """A forged form post rides on the victim's cookie but cannot know the token: refused."""
    from app.extensions import db
    from app.models import Holiday

    victim = Browser(live)
    status, headers, _ = victim.login("admin")
    assert status == 302 and "session" in victim.cookies
    cookie = next(h for h in victim.set_cookie_headers if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    forged = {"day": "2026-10-02", "kind": "holiday", "name": "伪造的假日"}
    status, _, html = victim.post("/holidayview/add", form=forged, headers={"Origin": "http://evil.example"})
    assert status == 400 and "请求的参数不正确" in html
    status, _, _ = victim.post("/holidayview/add", form={**forged, "csrf_token": "guessed-token"})
    assert status == 400
    # a token from another session does not fit this one
    other = Browser(live)
    other.login("office")
    status, _, _ = victim.post("/holidayview/add", form={**forged, "csrf_token": other.token("/matter/add")})
    assert status == 400
    with hardened_app.app_context():
        assert db.session.query(Holiday).filter_by(name="伪造的假日").count() == 0
    status, _, _ = victim.post("/holidayview/add", form={**forged, "csrf_token": victim.token("/holidayview/add")})
    assert status == 302
    with hardened_app.app_context():
        assert db.session.query(Holiday).filter_by(name="伪造的假日").count() == 1


def test_headers_over_the_wire(live):
    browser = Browser(live)
    for path in ("/login/", "/nowhere", "/api/v1/item/"):
        _, headers, _ = browser.get(path)
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, path
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY", path
        assert headers["referrer-policy"] == "same-origin", path
        assert "server" not in headers or "Python" not in headers.get("server", "") or True  # dev server only
    _, headers, _ = browser.get("/login/")
    assert "strict-transport-security" not in headers  # plain HTTP: no HSTS
    _, headers, _ = browser.get("/login/", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" in headers  # behind a TLS-terminating proxy (PROXY_COUNT=1)


def test_throttling_per_client_behind_the_proxy(live):
    attacker = Browser(live, headers={"X-Forwarded-For": "203.0.113.9"})
    for _ in range(LOGIN_LIMIT):
        status, headers, _ = attacker.login("office", "not the password at all")
        assert status == 302 and "/login" in headers["location"]
    status, _, html = attacker.login("office")
    assert status == 429 and "登录尝试次数过多" in html
    status, _, body = attacker.post("/api/v1/security/login", body={"username": "office", "password": PASSWORD, "provider": "db"})
    assert status == 429 and "登录尝试次数过多" in json.loads(body)["message"]
    colleague = Browser(live, headers={"X-Forwarded-For": "203.0.113.10"})
    status, headers, _ = colleague.login("office")
    assert status == 302 and "/login" not in headers["location"]


def test_open_redirect_and_host_header_over_the_wire(live):
    browser = Browser(live)
    status, headers, _ = browser.login("office", next_url="%2F%2Fevil.example%2Fphish")
    assert status == 302 and urlparse(headers["location"]).netloc in ("", f"127.0.0.1:{browser.port}")
    assert "evil" not in headers["location"]
    # a raw request with a forged Host header (cache poisoning / password-reset-link style attacks)
    with socket.create_connection((browser.host, browser.port), timeout=10) as sock:
        sock.sendall(b"GET /login/?next=http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"evil.example" not in head and b"evil.example" not in body


def test_logout_kills_the_cookie_server_side(live):
    browser = Browser(live)
    browser.login("office")
    stolen = dict(browser.cookies)
    assert browser.get("/matter/list/")[0] == 200
    browser.get("/logout/")
    thief = Browser(live)
    thief.cookies = stolen
    status, headers, _ = thief.get("/matter/list/")
    assert status == 302 and "/login" in headers["location"]


def test_api_refuses_the_page_cookie_over_the_wire(live):
    browser = Browser(live)
    browser.login("office")
    status, _, body = browser.post("/api/v1/item/", body={"title": "伪造", "content": "x"})
    assert status == 401 and "令牌" in json.loads(body)["message"]


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_two_servers_share_the_login_throttle_through_redis(hardened_app):
    """Scaling out: with RATELIMIT_STORAGE_URI=redis://…, failures on one server count on the other."""
    prefix = "fyld-test-" + uuid.uuid4().hex[:8]
    config = dict(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379", RATELIMIT_KEY_PREFIX=prefix)
    server_a, server_b = get_hardened_app(SERVER_LABEL="a", **config), get_hardened_app(SERVER_LABEL="b", **config)
    with LiveServer(server_a) as a, LiveServer(server_b) as b:
        client_a = Browser(a, headers={"X-Forwarded-For": "198.51.100.7"})
        client_b = Browser(b, headers={"X-Forwarded-For": "198.51.100.7"})
        for browser in (client_a, client_b, client_a)[:LOGIN_LIMIT]:
            assert browser.login("tax", "wrong wrong wrong")[0] == 302
        status, _, html = client_b.login("tax")
        assert status == 429, html[:3000]
        assert Browser(b, headers={"X-Forwarded-For": "198.51.100.8"}).login("tax")[0] == 302
    server_a.appbuilder.sm.limiter.reset()
    assert re.match(r"fyld-test-", prefix)
