"""Attacks on the app through the test client, with the production defences on (CSRF, throttling,
trusted hosts): each test tries what an attacker would and asserts the refusal *and* that nothing
changed. Live-socket attacks are in test_security_live.py, stored XSS in test_security_xss.py."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import PASSWORD
from tests.security_support import LOGIN_LIMIT, csrf_token, hardened_app, login  # noqa: F401

TEMPLATES = Path(__file__).resolve().parent.parent / "app" / "templates"
SQL_OR_TRACE = re.compile(r"Traceback|SELECT |INSERT |UPDATE |sqlalchemy|psycopg|sqlite3|UNIQUE constraint|"
                          r"duplicate key|IntegrityError|OperationalError|secret internals|File \"", re.I)


def logged_in(app, username):
    client = app.test_client()
    response = login(client, username)
    assert response.status_code == 302 and "/login" not in response.headers["Location"], username
    return client


def count(app, model, *criteria):
    from app.extensions import db

    with app.app_context():
        return db.session.query(model).filter(*criteria).count()


# --- CSRF ------------------------------------------------------------------------------------------
def test_every_state_changing_page_route_refuses_a_post_without_csrf_token(hardened_app):
    """Every non-API route accepting POST/PUT/PATCH/DELETE answers 400 without the token, before the
    view runs — found from the URL map, so a route added later is covered too."""
    admin = logged_in(hardened_app, "admin")
    checked = []
    for rule in hardened_app.url_map.iter_rules():
        methods = rule.methods - {"GET", "HEAD", "OPTIONS"}
        if not methods or rule.rule.startswith("/api/") or rule.rule.startswith("/static"):
            continue
        url = re.sub(r"<[^>]+>", "1", rule.rule)
        for method in methods:
            response = admin.open(url, method=method, data={"name": "x"})
            assert response.status_code == 400, (method, url, response.status_code)
            assert "请求的参数不正确" in response.get_data(as_text=True), (method, url)
            checked.append(url)
    assert len(checked) > 100  # the product's forms, workflow buttons and FAB's own pages


def test_csrf_token_is_what_makes_the_difference(hardened_app):
    from app.models import Holiday

    admin = logged_in(hardened_app, "admin")
    data = {"day": "2026-10-01", "kind": "holiday", "name": "国庆节"}
    assert admin.post("/holidayview/add", data=data).status_code == 400
    assert count(hardened_app, Holiday, Holiday.name == "国庆节") == 0
    token = csrf_token(admin, "/holidayview/add")
    assert admin.post("/holidayview/add", data={**data, "csrf_token": token}).status_code == 302
    assert count(hardened_app, Holiday, Holiday.name == "国庆节") == 1


def test_login_form_needs_the_csrf_token(hardened_app):
    client = hardened_app.test_client()
    response = client.post("/login/", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # not signed in


def test_get_delete_and_get_action_change_nothing(hardened_app):
    """FAB's GET delete/action routes: refused (FAB does so when CSRF is registered; our actions 405)."""
    from app.extensions import db
    from app.models import Holiday, Matter
    from tests.factories import Factory

    with hardened_app.app_context():
        factory = Factory(hardened_app)
        holiday = factory.add(Holiday(day=__import__("datetime").date(2026, 5, 1), kind="holiday", name="劳动节"))
        matter = factory.matter(status="draft")
        holiday_id, matter_id = holiday.id, matter.id
        db.session.remove()
    admin, office = logged_in(hardened_app, "admin"), logged_in(hardened_app, "office")
    admin.get(f"/holidayview/delete/{holiday_id}")
    office.get(f"/matter/delete/{matter_id}")
    assert admin.get(f"/users/action/muldelete/{matter_id}").status_code in (302, 400, 404, 405)
    assert office.get(f"/matter/action/muldelete/{matter_id}").status_code in (400, 404, 405)
    assert count(hardened_app, Holiday, Holiday.id == holiday_id) == 1
    assert count(hardened_app, Matter, Matter.id == matter_id) == 1


def test_api_is_jwt_only_a_page_session_cannot_call_it(hardened_app):
    """A page session cookie (what a CSRF attack would ride on) does not authenticate the API."""
    from flask_appbuilder.api import BaseApi
    from flask_appbuilder.api.manager import OpenApi

    from app.models import Matter

    office = logged_in(hardened_app, "office")
    response = office.post("/api/v1/item/", json={"title": "伪造", "content": "x"})
    assert response.status_code == 401 and "令牌" in response.json["message"]
    assert office.get("/api/v1/item/").status_code == 401
    assert count(hardened_app, Matter, Matter.title == "伪造") == 0
    for view in hardened_app.appbuilder.baseviews:
        if isinstance(view, BaseApi) and type(view).__module__.startswith("app.") and not isinstance(view, OpenApi):
            assert view.allow_browser_login is False, type(view).__name__
    # FAB's own APIs that accept a browser session only read (the menu, the spec for the Swagger page
    # — app/views/openapi.py serves FAB's spec view built once); none writes
    for view in hardened_app.appbuilder.baseviews:
        if isinstance(view, BaseApi) and view.allow_browser_login:
            for rule in hardened_app.url_map.iter_rules():
                if rule.endpoint.startswith(view.endpoint + "."):
                    assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


# --- login ---------------------------------------------------------------------------------------
def test_login_is_throttled_after_a_few_failures_with_a_chinese_429(hardened_app):
    client = hardened_app.test_client()
    for _ in range(LOGIN_LIMIT):
        assert login(client, "office", "wrong password 123").status_code == 302
    response = login(client, "office")  # even the right password: the client is blocked for the window
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "登录尝试次数过多" in html and "Too Many" not in html and "返回首页" in html
    # another client address is not blocked (per client, behind the proxy: X-Forwarded-For)
    other = hardened_app.test_client()
    assert login(other, "office", headers={"X-Forwarded-For": "10.1.2.3"},
                 environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 302


def test_successful_logins_do_not_count_towards_the_throttle(hardened_app):
    for _ in range(LOGIN_LIMIT + 2):
        client = hardened_app.test_client()
        response = login(client, "office")
        assert response.status_code == 302 and "/login" not in response.headers["Location"]


def test_api_login_is_throttled_too_with_chinese_messages(hardened_app):
    client = hardened_app.test_client()
    for _ in range(LOGIN_LIMIT):
        response = client.post("/api/v1/security/login", json={"username": "tax", "password": "nope nope nope", "provider": "db"})
        assert response.status_code == 401 and response.json["message"] == "用户名或密码错误。"
    response = client.post("/api/v1/security/login", json={"username": "tax", "password": PASSWORD, "provider": "db"})
    assert response.status_code == 429 and "登录尝试次数过多" in response.json["message"]


def test_api_login_bad_requests_answer_in_chinese(app, client):
    assert client.post("/api/v1/security/login", data="username=x").json["message"].startswith("请求无效")
    assert client.post("/api/v1/security/login", json={"username": "x"}).json["message"].startswith("请求无效")


def test_failed_and_successful_logins_are_in_the_audit_log(hardened_app):
    from app.models import AuditLog

    client = hardened_app.test_client()
    login(client, "viewer", "a wrong password here")
    login(client, "nobody-such", "a wrong password here")
    login(client, "viewer")
    assert count(hardened_app, AuditLog, AuditLog.action == "login_failed", AuditLog.username == "viewer") == 1
    assert count(hardened_app, AuditLog, AuditLog.action == "login_failed", AuditLog.username == "nobody-such") == 1
    assert count(hardened_app, AuditLog, AuditLog.action == "login", AuditLog.username == "viewer") == 1
    from app.extensions import db

    with hardened_app.app_context():
        summaries = [s for (s,) in db.session.query(AuditLog.summary).filter(AuditLog.action.like("login%"))]
    assert not any("wrong password" in s for s in summaries)  # never the password


def test_unknown_and_known_users_cost_the_same_password_check(app, client, monkeypatch):
    """Equal work instead of a timing measurement: exactly one hash check, of the same algorithm and
    cost, whether the user exists or not (FAB checks a fake hash for unknown users)."""
    import flask_appbuilder.security.manager as fab_manager

    calls = []
    real = fab_manager.check_password_hash

    def counting(pwhash, password):
        calls.append(pwhash.split("$")[0])
        return real(pwhash, password)

    monkeypatch.setattr(fab_manager, "check_password_hash", counting)
    outcomes = {}
    for username in ("office", "no-such-user"):
        calls.clear()
        client.post("/login/", data={"username": username, "password": "wrong password 42"})
        outcomes[username] = list(calls)
    assert len(outcomes["office"]) == 1 and outcomes["office"] == outcomes["no-such-user"]
    # under test both are the one cheap round the fixtures set (tests/conftest.py); in production, FAB's scrypt
    assert outcomes["office"][0] == app.config["FAB_PASSWORD_HASH_METHOD"]


def test_production_hashes_passwords_with_scrypt():
    """The cheap hashing is the tests' own: the configuration the app runs with leaves FAB's scrypt."""
    from config import Config

    assert getattr(Config, "FAB_PASSWORD_HASH_METHOD", "scrypt") == "scrypt"
    assert "AUTH_DB_FAKE_PASSWORD_HASH_CHECK" not in vars(Config)


@pytest.mark.parametrize("target", ["http://evil.example/", "//evil.example/x", "https://evil.example",
                                    "/\\evil.example", "http:evil.example", "\x01//evil.example",
                                    "https://localhost.evil.example/"])
def test_no_open_redirect_through_next(hardened_app, target):
    client = hardened_app.test_client()
    from urllib.parse import quote

    response = login(client, "office", next_url=quote(target, safe=""))
    assert response.status_code == 302
    location = urlparse(response.headers["Location"])
    assert location.netloc in ("", "localhost"), response.headers["Location"]
    # a path on this site (a backslash arrives percent-encoded: "/%5Cevil.example" stays local)
    assert location.path.startswith("/") and not location.path.startswith("//") and "\\" not in location.path


def test_next_within_the_site_still_works(hardened_app):
    response = login(hardened_app.test_client(), "office", next_url="/matter/list/")
    assert response.headers["Location"].endswith("/matter/list/")


def test_forged_host_header_is_refused(hardened_app):
    client = hardened_app.test_client()
    response = client.get("/login/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True)
    response = client.post("/login/?next=http://evil.example/", headers={"Host": "evil.example"},
                           data={"username": "office", "password": PASSWORD})
    assert response.status_code == 400 and "Location" not in response.headers
    assert client.get("/login/", headers={"Host": "127.0.0.1:5000"}).status_code == 200


# --- passwords -----------------------------------------------------------------------------------
@pytest.mark.parametrize("password,ok", [
    ("short pass", False), ("12345678901", False), ("123456789012", False), ("password1234", False),
    ("aaaaaaaaaaaaaaaa", False), ("abababababababab", False), ("Password1234", False),
    ("correct horse battery staple", True), ("alllowercaseletters", True), ("平陆县府院联动机制办公室在二〇二六年", True), ("999 red balloons!", True),
])
def test_password_policy_is_length_and_blocklist_without_composition_rules(sqlite_app, password, ok):
    from app.security.passwords import password_problem

    with sqlite_app.app_context():
        assert (password_problem(password) is None) == ok, password


def _user(app, username):
    from app.extensions import db
    from app.models import AppUser

    with app.app_context():
        user = db.session.query(AppUser).filter_by(username=username).one_or_none()
        if user is not None:
            db.session.expunge(user)
        return user


def test_user_add_page_enforces_the_policy(hardened_app):
    from app.extensions import db
    from flask_appbuilder.security.sqla.models import Role

    admin = logged_in(hardened_app, "admin")
    with hardened_app.app_context():
        role_id = db.session.query(Role.id).filter_by(name="Viewer").scalar()
    form = {"first_name": "新用户", "last_name": "科员", "username": "newbie", "email": "newbie@example.cn",
            "roles": [str(role_id)], "active": "y"}
    for weak in ("short", "password1234"):
        token = csrf_token(admin, "/users/add")
        response = admin.post("/users/add", data={**form, "password": weak, "conf_password": weak, "csrf_token": token})
        assert response.status_code == 200, weak
        assert ("至少需要 12 个字符" if weak == "short" else "过于常见") in response.get_data(as_text=True)
        assert _user(hardened_app, "newbie") is None
    token = csrf_token(admin, "/users/add")
    good = "县法院立案庭的一句长口令"
    response = admin.post("/users/add", data={**form, "password": good, "conf_password": good, "csrf_token": token})
    assert response.status_code == 302
    assert _user(hardened_app, "newbie") is not None
    assert login(hardened_app.test_client(), "newbie", good).status_code == 302


def _set_password_via(client, url, password, current=None):
    token = csrf_token(client, url)
    data = {"password": password, "conf_password": password, "csrf_token": token}
    if current is not None:
        data["current_password"] = current
    return client.post(url, data=data)


def test_admin_reset_enforces_policy_and_forces_the_user_to_choose_a_new_password(hardened_app):
    """Admin resets a password (reset-password page) → the user must change it at next sign-in,
    on every page, and gets no API token until then; changing it (reset-my-password) lifts that."""
    from werkzeug.security import check_password_hash

    admin = logged_in(hardened_app, "admin")
    viewer_id = _user(hardened_app, "viewer").id
    before = _user(hardened_app, "viewer").password
    assert "该应用不会检查" not in admin.get(f"/resetpassword/form?pk={viewer_id}").get_data(as_text=True)
    response = _set_password_via(admin, f"/resetpassword/form?pk={viewer_id}", "tooshort")
    assert response.status_code == 200 and _user(hardened_app, "viewer").password == before
    assert "至少需要 12 个字符" in response.get_data(as_text=True)
    temporary = "管理员给的临时口令二〇二六"
    assert _set_password_via(admin, f"/resetpassword/form?pk={viewer_id}", temporary).status_code == 302
    user = _user(hardened_app, "viewer")
    assert check_password_hash(user.password, temporary) and user.must_change_password is True

    viewer = hardened_app.test_client()
    assert login(viewer, "viewer", temporary).status_code == 302
    for url in ("/", "/matter/list/", "/meeting/calendar"):
        response = viewer.get(url)
        assert response.status_code == 302 and "/resetmypassword/form" in response.headers["Location"], url
    api = hardened_app.test_client().post("/api/v1/security/login",
                                          json={"username": "viewer", "password": temporary, "provider": "db"})
    assert api.status_code == 401 and "修改密码" in api.json["message"]

    assert _set_password_via(viewer, "/resetmypassword/form", "password1234", temporary).status_code == 200  # blocklisted
    assert _user(hardened_app, "viewer").must_change_password is True
    mine = "我自己选的一句很长的口令"
    response = _set_password_via(viewer, "/resetmypassword/form", mine, "not the current one")  # proves nothing
    assert response.status_code == 200 and "当前密码不正确" in response.get_data(as_text=True)
    assert _user(hardened_app, "viewer").must_change_password is True
    assert _set_password_via(viewer, "/resetmypassword/form", mine, temporary).status_code == 302
    assert _user(hardened_app, "viewer").must_change_password is False
    assert viewer.get("/").status_code == 200
    _set_password_back(hardened_app, "viewer")


def _set_password_back(app, username):
    from app.extensions import db
    from app.models import AppUser

    with app.app_context():
        user = db.session.query(AppUser).filter_by(username=username).one()
        app.appbuilder.sm.reset_password(user.id, PASSWORD)
        user = db.session.query(AppUser).filter_by(username=username).one()
        user.must_change_password = False
        db.session.commit()


def test_admin_ticks_must_change_password_on_the_user_edit_page(hardened_app):
    admin = logged_in(hardened_app, "admin")
    hr = _user(hardened_app, "hr")
    page = admin.get(f"/users/edit/{hr.id}").get_data(as_text=True)
    assert "下次登录须修改密码" in page
    from app.extensions import db
    from flask_appbuilder.security.sqla.models import Role

    from app.models import Unit

    with hardened_app.app_context():
        role_id = db.session.query(Role.id).filter_by(name="UnitStaff").scalar()
        unit_id = db.session.query(Unit.id).filter_by(name="县人社局").scalar()
    token = csrf_token(admin, f"/users/edit/{hr.id}")
    response = admin.post(f"/users/edit/{hr.id}", data={
        "first_name": "hr", "last_name": hr.last_name or "", "username": "hr", "email": hr.email,
        "unit": str(unit_id), "roles": [str(role_id)], "active": "y", "must_change_password": "y", "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert _user(hardened_app, "hr").must_change_password is True
    client = hardened_app.test_client()
    login(client, "hr")
    assert "/resetmypassword/form" in client.get("/matter/list/").headers["Location"]
    _set_password_back(hardened_app, "hr")


# --- sessions ------------------------------------------------------------------------------------
class Clock:
    """Stands in for the `time` module in app.web: the session checks see a moved clock."""

    def __init__(self):
        import time

        self.now = time.time()

    def time(self):
        return self.now


def test_idle_timeout_ends_the_session(hardened_app, monkeypatch):
    clock = Clock()
    monkeypatch.setattr("app.web.time", clock)
    client = logged_in(hardened_app, "office")
    idle = hardened_app.config["SESSION_IDLE_MINUTES"] * 60
    clock.now += idle - 60
    assert client.get("/matter/list/").status_code == 200  # active just before the limit: still in
    clock.now += idle - 60
    assert client.get("/matter/list/").status_code == 200
    clock.now += idle + 60
    response = client.get("/matter/list/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    clock.now += 1
    assert client.get("/matter/list/").status_code == 302  # not back by itself


def test_absolute_lifetime_ends_even_an_active_session(hardened_app, monkeypatch):
    clock = Clock()
    monkeypatch.setattr("app.web.time", clock)
    client = logged_in(hardened_app, "office")
    start = clock.now
    step = (hardened_app.config["SESSION_IDLE_MINUTES"] - 5) * 60
    limit = hardened_app.config["SESSION_MAX_HOURS"] * 3600
    while True:
        clock.now += step
        response = client.get("/matter/list/")
        if response.status_code != 200:
            break
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert limit < clock.now - start <= limit + step


def test_session_cookie_flags(hardened_app):
    client = hardened_app.test_client()
    response = login(client, "office")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    hardened_app.config["SESSION_COOKIE_SECURE"] = True
    try:
        cookie = client.get("/login/", base_url="https://localhost").headers.get("Set-Cookie", "")
        assert "Secure" in cookie and "HttpOnly" in cookie
    finally:
        hardened_app.config["SESSION_COOKIE_SECURE"] = False


def test_logout_ends_the_session_even_for_a_copied_cookie(hardened_app):
    from app.models import LoginSession

    client = logged_in(hardened_app, "office")
    stolen = client.get_cookie("session").value
    assert client.get("/matter/list/").status_code == 200
    client.get("/logout/")
    assert count(hardened_app, LoginSession, LoginSession.ended_at.is_(None)) == 0
    replay = hardened_app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/matter/list/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- headers -------------------------------------------------------------------------------------
def _check_headers(response, where):
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, where
    assert "object-src 'none'" in csp and "unsafe-eval" not in csp, where
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "unsafe-inline" not in script_src and "http" not in script_src and "*" not in script_src, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin"), where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    return script_src


def test_security_headers_on_pages_api_and_error_pages(hardened_app):
    office = logged_in(hardened_app, "office")
    anonymous = hardened_app.test_client()
    from tests.conftest import ApiClient

    api = ApiClient(hardened_app, "office")
    for where, response in [("login", anonymous.get("/login/")), ("home", office.get("/")),
                            ("list", office.get("/matter/list/")), ("api", api.get("/api/v1/item/")),
                            ("api 404", api.get("/api/v1/item/999999")), ("404", office.get("/nowhere")),
                            ("400", office.get("/matter/list/?psize_MatterView=abc")),
                            ("500", office.get("/_test/boom")), ("503", office.get("/_test/dbdown")),
                            ("429-ish api 401", anonymous.get("/api/v1/item/"))]:
        script_src = _check_headers(response, where)
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
            for tag in re.findall(r"<script\b[^>]*>", html):
                assert f'nonce="{nonce}"' in tag or "src=\"/" in tag or "application/json" in tag, (where, tag)
            assert not re.search(r"\son[a-z]+\s*=", html), where  # inline handlers are blocked by the CSP
    assert "no-store" in office.get("/matter/list/").headers["Cache-Control"]
    assert "no-store" in api.get("/api/v1/item/").headers["Cache-Control"]


def test_nonce_changes_per_response(hardened_app):
    client = hardened_app.test_client()
    first = client.get("/login/").headers["Content-Security-Policy"]
    second = client.get("/login/").headers["Content-Security-Policy"]
    assert first != second


def test_templates_have_no_inline_script_without_nonce_and_no_event_handlers():
    problems = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" in tag or "application/json" in tag:
                continue
            if 'nonce="{{ csp_nonce() }}"' not in tag:
                problems.append(f"{path.name}: {tag}")
        for handler in re.findall(r"\son[a-z]+\s*=\s*[\"']", text):
            problems.append(f"{path.name}: {handler.strip()}")
        if "javascript:" in text.lower():
            problems.append(f"{path.name}: javascript: URL")
    assert problems == []


# --- error pages ---------------------------------------------------------------------------------
def test_error_pages_are_chinese_and_generic(hardened_app):
    office = logged_in(hardened_app, "office")
    cases = [("/nowhere", 404, "页面不存在"), ("/_test/boom", 500, "系统错误"), ("/_test/integrity", 409, "单位名称已存在"),
             ("/_test/dbdown", 503, "数据库暂时无法连接"), ("/matter/list/?page_MatterView=x", 400, "分页参数"),
             ("/matter/send/1", 405, "不支持这种请求方式")]
    for url, code, text in cases:
        response = office.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == code, url
        assert text in html, url
        assert not SQL_OR_TRACE.search(html), url
        assert "Not Found" not in html and "Internal Server Error" not in html, url
        if code != 503:  # the full layout (menu, home button), not the bare fallback
            assert "返回首页" in html and "csp_nonce" not in html, url


def test_page_size_is_capped_and_must_be_numeric(app, clients):
    office = clients.web("office")
    response = office.get("/matter/list/?psize_MatterView=100000")
    assert response.status_code == 302 and "psize_MatterView=100" in response.headers["Location"]
    assert office.get("/matter/list/?psize_MatterView=1e9").status_code == 400
    assert office.get("/matter/list/?psize_MatterView=-5").status_code == 400


def test_api_errors_are_chinese_and_leak_nothing(app, clients, client, factory, monkeypatch):
    office, viewer = clients.api("office"), clients.api("viewer")
    checks = [
        (client.get("/api/v1/item/"), 401),
        (client.get("/api/v1/item/", headers={"Authorization": "Bearer not.a.token"}), 401),
        (viewer.post("/api/v1/item/", json={"title": "x"}), 403),
        (office.get("/api/v1/item/987654"), 404),
        (office.get("/api/v1/item/?q=(page_size:abc"), 400),
        (office.get("/api/v1/item/?q=(page_size:'abc')"), 400),
        (office.get("/api/v1/item/?q=(page_size:1000)"), 400),
        (office.get("/api/v1/item/?q=(page:-1,page_size:10)"), 400),
        (office.post("/api/v1/item/", data="title=x"), 400),
        (office.put("/api/v1/item/987654", json={"title": "x"}), 404),
    ]
    for response, code in checks:
        assert response.status_code == code, (code, response.json)
        message = response.json["message"]
        assert re.search(r"[\u4e00-\u9fff]", str(message)), message
        assert not SQL_OR_TRACE.search(str(response.json)), message
    assert office.get("/api/v1/item/?q=(page_size:100)").status_code == 200


def test_unique_key_violation_through_the_api_is_generic(app, clients, factory, monkeypatch):
    """The application check is bypassed (as by a race): the database constraint answers, and the
    client gets a Chinese message without the SQL, the constraint or the row."""
    import app.views.basic as basic

    existing = factory.case().case_number
    monkeypatch.setattr(basic, "check_unique_case_number", lambda *a, **k: None)
    response = clients.api("office").post("/api/v1/case/", json={
        "case_number": existing, "enterprise_name": "重复案号测试有限公司", "procedure_type": "liquidation",
        "stage": "accepted", "acceptance_date": "2026-03-01"})
    # the same sentence as the pages: a 409 naming the field, never the SQL or the value
    assert response.status_code == 409, response.json
    assert "案号" in response.json["message"] and "重复" in response.json["message"]
    assert existing not in str(response.json) and not SQL_OR_TRACE.search(str(response.json))


def test_exception_inside_an_api_endpoint_is_a_generic_500(app, clients, factory, monkeypatch):
    import app.views.supervision.api as supervision

    matter = factory.matter(status="draft")

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals: SELECT * FROM ab_user")

    monkeypatch.setattr(supervision.MatterApi, "pre_get_list", broken)
    response = clients.api("office").get("/api/v1/item/")
    assert response.status_code == 500
    assert "已记录" in response.json["message"] and not SQL_OR_TRACE.search(str(response.json))
    assert matter.id  # the record is untouched by a failing read


def test_current_password_guesses_are_throttled_like_sign_ins(hardened_app):
    """A borrowed or stolen page session cannot guess the current password on the change form."""
    client = hardened_app.test_client()
    assert login(client, "hr").status_code == 302
    url = "/resetmypassword/form"
    for _ in range(LOGIN_LIMIT):
        response = client.post(url, data={"current_password": "guess guess guess", "password": "Nn9!new-password-x",
                                           "conf_password": "Nn9!new-password-x", "csrf_token": csrf_token(client, url)})
        assert response.status_code == 200 and "当前密码不正确" in response.get_data(as_text=True)
    response = client.post(url, data={"current_password": PASSWORD, "password": "Nn9!new-password-x",
                                       "conf_password": "Nn9!new-password-x", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 429 and "密码尝试次数过多" in response.get_data(as_text=True)
    # the password is unchanged: the owner still signs in with it
    assert login(hardened_app.test_client(), "hr", headers={"X-Forwarded-For": "10.9.9.9"},
                 environ_base={"REMOTE_ADDR": "127.0.0.1"}).headers["Location"].endswith("/")
