"""Sessions end with the password (issue 11): every cookie, access token and refresh token of a user is
a `login_session` row checked on every request, and a password reset or change, deactivation, role
change or deletion ends them all — through the user pages and through any other write path.

Each test holds three credentials of one user (a page cookie, an access token, a refresh token),
changes the user as an administrator (or the user) would, and asserts which still work.
"""
from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import PASSWORD

NEW_PASSWORD = "管理员给的一句临时长口令"
OWN_PASSWORD = "我自己重新选的一句长口令"


# --- helpers --------------------------------------------------------------------------------------

def web_login(app, username, password=PASSWORD):
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302 and "/login" not in response.headers["Location"], username
    return client


def api_login(app, username, password=PASSWORD, refresh=True):
    response = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db", "refresh": refresh})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def claims_of(app, token) -> dict:
    """A token's claims, its signature checked (flask-jwt-extended, as the server reads it)."""
    from flask_jwt_extended import decode_token

    with app.app_context():
        return decode_token(token)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def web_ok(client) -> bool:
    response = client.get("/matter/list/")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def access_ok(app, tokens) -> bool:
    response = app.test_client().get("/api/v1/item/", headers=bearer(tokens["access_token"]))
    assert response.status_code in (200, 401), (response.status_code, response.json)
    if response.status_code == 401:
        assert "登录已失效" in response.json["message"]
    return response.status_code == 200


def refresh_ok(app, tokens) -> bool:
    response = app.test_client().post("/api/v1/security/refresh", headers=bearer(tokens["refresh_token"]))
    assert response.status_code in (200, 401), (response.status_code, response.json)
    return response.status_code == 200


def credentials(app, username):
    """A page cookie, access and refresh tokens of `username`, all working."""
    web, tokens = web_login(app, username), api_login(app, username)
    assert web_ok(web) and access_ok(app, tokens) and refresh_ok(app, tokens)
    return web, tokens


def all_dead(app, web, tokens) -> bool:
    return not web_ok(web) and not access_ok(app, tokens) and not refresh_ok(app, tokens)


def user_row(app, username):
    from app.extensions import db
    from app.models import AppUser

    with app.app_context():
        user = db.session.query(AppUser).filter_by(username=username).one()
        list(user.roles)
        db.session.expunge(user)
        return user


def edit_form(app, username, **changes):
    """The user edit page's form as it stands, with `changes` applied."""
    from flask_appbuilder.security.sqla.models import Role

    from app.extensions import db
    from app.models import AppUser

    with app.app_context():
        user = db.session.query(AppUser).filter_by(username=username).one()
        form = {"first_name": user.first_name, "last_name": user.last_name or "", "username": user.username,
                "email": user.email, "unit": str(user.unit_id or ""), "roles": [str(r.id) for r in user.roles]}
        if user.active:
            form["active"] = "y"
        role = changes.pop("role", None)
        if role:
            form["roles"] = [str(db.session.query(Role.id).filter_by(name=role).scalar())]
        if changes.pop("active", True) is False:
            form.pop("active", None)
        elif "active" not in form:
            form["active"] = "y"
        return user.id, form


def restore(app, username, role):
    """Put a fixture user back as conftest made it (the users are kept between tests)."""
    from flask_appbuilder.security.sqla.models import Role

    from app.extensions import db
    from app.models import AppUser

    with app.app_context():
        user = db.session.query(AppUser).filter_by(username=username).one()
        app.appbuilder.sm.reset_password(user.id, PASSWORD)
        user = db.session.query(AppUser).filter_by(username=username).one()
        user.must_change_password = False
        user.active = True
        user.roles = [db.session.query(Role).filter_by(name=role).one()]
        db.session.commit()


@pytest.fixture
def viewer_restored(app):
    yield "viewer"
    restore(app, "viewer", "Viewer")


# --- through the pages ----------------------------------------------------------------------------

def test_admin_password_reset_ends_every_cookie_and_token(app, clients, viewer_restored):
    """The response to a compromise: the attacker's open page session cannot reach the change-password
    form any more, and old access and refresh tokens stop at once."""
    web, tokens = credentials(app, "viewer")
    other_web = web_login(app, "viewer")
    admin = clients.admin
    viewer_id = user_row(app, "viewer").id
    response = admin.post(f"/resetpassword/form?pk={viewer_id}",
                          data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert all_dead(app, web, tokens) and not web_ok(other_web)
    assert web.get("/resetmypassword/form").status_code == 302  # no way to the form with the old cookie
    assert web_ok(admin)  # the administrator's own session is not touched
    fresh = web_login(app, "viewer", NEW_PASSWORD)  # the user signs in with the new password…
    assert "/resetmypassword/form" in fresh.get("/matter/list/").headers["Location"]  # …and must change it


def test_own_password_change_keeps_this_page_and_ends_every_other_credential(app, viewer_restored):
    web, tokens = credentials(app, "viewer")
    laptop = web_login(app, "viewer")  # another browser of the same user
    # a page session alone cannot change the password (a borrowed or stolen cookie would lock the owner out)
    response = web.post("/resetmypassword/form", data={"password": OWN_PASSWORD, "conf_password": OWN_PASSWORD})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "请输入当前密码" in html
    assert html.index("当前密码") < html.index('name="password"')  # asked first
    assert web_ok(laptop) and access_ok(app, tokens)  # nothing changed, nothing ended
    response = web.post("/resetmypassword/form", data={"current_password": PASSWORD, "password": OWN_PASSWORD,
                                                       "conf_password": OWN_PASSWORD})
    assert response.status_code == 302
    assert web_ok(web)  # the page the user changed it on carries on
    assert not web_ok(laptop) and not access_ok(app, tokens) and not refresh_ok(app, tokens)
    assert access_ok(app, api_login(app, "viewer", OWN_PASSWORD))


def test_deactivation_ends_everything_and_reactivation_revives_nothing(app, clients, viewer_restored):
    web, tokens = credentials(app, "viewer")
    admin = clients.admin
    user_id, form = edit_form(app, "viewer", active=False)
    assert admin.post(f"/users/edit/{user_id}", data=form).status_code == 302
    assert user_row(app, "viewer").active is False
    assert all_dead(app, web, tokens)
    user_id, form = edit_form(app, "viewer", active=True)
    assert admin.post(f"/users/edit/{user_id}", data=form).status_code == 302
    assert user_row(app, "viewer").active is True
    assert all_dead(app, web, tokens)  # reactivated account, old cookie and tokens still refused
    assert access_ok(app, api_login(app, "viewer")) and web_ok(web_login(app, "viewer"))


def test_role_change_ends_everything(app, clients, viewer_restored):
    web, tokens = credentials(app, "viewer")
    user_id, form = edit_form(app, "viewer", role="Convener")
    assert clients.admin.post(f"/users/edit/{user_id}", data=form).status_code == 302
    assert {r.name for r in user_row(app, "viewer").roles} == {"Convener"}
    assert all_dead(app, web, tokens)


def test_saving_the_user_page_without_changing_credentials_signs_nobody_out(app, clients, viewer_restored):
    web, tokens = credentials(app, "viewer")
    user_id, form = edit_form(app, "viewer")
    form["email"] = "viewer-new@example.cn"
    assert clients.admin.post(f"/users/edit/{user_id}", data=form).status_code == 302
    assert web_ok(web) and access_ok(app, tokens) and refresh_ok(app, tokens)


def test_sessions_ended_are_in_the_audit_log(app, clients, viewer_restored):
    from app.extensions import db
    from app.models import AuditLog

    web, tokens = credentials(app, "viewer")
    viewer_id = user_row(app, "viewer").id
    clients.admin.post(f"/resetpassword/form?pk={viewer_id}", data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    with app.app_context():
        row = db.session.query(AuditLog).filter_by(action="sessions_ended").order_by(AuditLog.id.desc()).first()
        assert row is not None and row.username == "admin"
        assert "viewer" in row.summary and "密码变更" in row.summary and "2 个登录会话" in row.summary


# --- below the views: any write path ---------------------------------------------------------------

def test_changes_made_outside_any_page_end_sessions_too(app, viewer_restored):
    """The CLI, a script or a future API: the flush hook sees the ORM change, not the page."""
    from app.extensions import db
    from app.models import AppUser

    web, tokens = credentials(app, "viewer")
    with app.app_context():
        app.appbuilder.sm.reset_password(user_row(app, "viewer").id, NEW_PASSWORD)
    assert all_dead(app, web, tokens)
    with app.app_context():
        user = db.session.query(AppUser).filter_by(username="viewer").one()
        assert user.must_change_password is True  # set by someone else: the user must choose their own
        user.must_change_password = False  # not a credential: ends nothing
        db.session.commit()
    web, tokens = web_login(app, "viewer", NEW_PASSWORD), api_login(app, "viewer", NEW_PASSWORD)
    with app.app_context():
        user = db.session.query(AppUser).filter_by(username="viewer").one()
        user.active = False
        db.session.commit()
    assert all_dead(app, web, tokens)


def test_a_rolled_back_change_ends_nothing(app, viewer_restored):
    from app.extensions import db
    from app.models import AppUser

    web, tokens = credentials(app, "viewer")
    with app.app_context():
        user = db.session.query(AppUser).filter_by(username="viewer").one()
        user.active = False
        db.session.flush()
        db.session.rollback()
    assert web_ok(web) and access_ok(app, tokens) and refresh_ok(app, tokens)


def test_deleting_a_user_ends_their_sessions(app):
    from app.extensions import db
    from app.models import AppUser, LoginSession
    from app.services.users import create_user

    with app.app_context():
        create_user(username="temp-clerk", password=PASSWORD, role="Viewer", full_name="临时")
    web, tokens = credentials(app, "temp-clerk")
    with app.app_context():
        user = db.session.query(AppUser).filter_by(username="temp-clerk").one()
        user_id = user.id
        db.session.delete(user)
        db.session.commit()
        assert db.session.query(LoginSession).filter_by(user_id=user_id).count() == 0
    assert all_dead(app, web, tokens)


# --- API sessions ---------------------------------------------------------------------------------

def test_api_logout_ends_the_access_and_refresh_tokens_of_that_login_only(app):
    web = web_login(app, "office")
    first, second = api_login(app, "office"), api_login(app, "office")
    response = app.test_client().post("/api/v1/security/logout", headers=bearer(first["access_token"]))
    assert response.status_code == 200 and "已退出" in response.json["message"]
    assert not access_ok(app, first) and not refresh_ok(app, first)
    assert access_ok(app, second) and refresh_ok(app, second) and web_ok(web)
    # logging out with the refresh token works as well
    assert app.test_client().post("/api/v1/security/logout", headers=bearer(second["refresh_token"])).status_code == 200
    assert not access_ok(app, second) and not refresh_ok(app, second)
    assert app.test_client().post("/api/v1/security/logout", headers=bearer(second["access_token"])).status_code == 401


def test_refresh_keeps_the_session_and_a_refreshed_token_dies_with_it(app):
    tokens = api_login(app, "office")
    response = app.test_client().post("/api/v1/security/refresh", headers=bearer(tokens["refresh_token"]))
    assert response.status_code == 200
    refreshed = {"access_token": response.json["access_token"], "refresh_token": tokens["refresh_token"]}
    claims = [claims_of(app, t) for t in
              (tokens["access_token"], tokens["refresh_token"], refreshed["access_token"])]
    assert len({c["sid"] for c in claims}) == 1 and claims[2]["fresh"] is False
    assert access_ok(app, refreshed)
    app.test_client().post("/api/v1/security/logout", headers=bearer(tokens["access_token"]))
    assert not access_ok(app, refreshed) and not refresh_ok(app, tokens)


def test_refresh_token_lives_no_longer_than_a_page_session(app):
    tokens = api_login(app, "office")
    max_seconds = app.config["SESSION_MAX_HOURS"] * 3600
    for token in (tokens["access_token"], tokens["refresh_token"]):
        claims = claims_of(app, token)
        assert claims["exp"] - claims["iat"] <= max_seconds
    refresh = claims_of(app, tokens["refresh_token"])
    assert refresh["exp"] - refresh["iat"] >= max_seconds - 5  # not shorter than the session either


class ServerClock:
    """Moves the session checks' clock (app.security.sessions._now) forward."""

    def __init__(self, monkeypatch):
        import app.security.sessions as sessions

        self.real, self.offset = sessions._now, dt.timedelta(0)
        monkeypatch.setattr(sessions, "_now", lambda: self.real() + self.offset)

    def advance(self, **delta):
        self.offset += dt.timedelta(**delta)


def test_refresh_beyond_the_absolute_lifetime_is_refused(app, monkeypatch):
    clock = ServerClock(monkeypatch)
    tokens = api_login(app, "office")
    step = app.config["SESSION_IDLE_MINUTES"] - 5
    hours = app.config["SESSION_MAX_HOURS"]
    for _ in range(hours * 60 // step):  # active all along, refreshing before every idle limit
        clock.advance(minutes=step)
        assert refresh_ok(app, tokens)
    clock.advance(minutes=step)
    assert not refresh_ok(app, tokens) and not access_ok(app, tokens)


def test_idle_api_session_ends(app, monkeypatch):
    clock = ServerClock(monkeypatch)
    tokens = api_login(app, "office")
    idle = app.config["SESSION_IDLE_MINUTES"]
    clock.advance(minutes=idle - 2)
    assert access_ok(app, tokens)  # used just before the limit: the idle clock starts again
    clock.advance(minutes=idle - 2)
    assert access_ok(app, tokens)
    clock.advance(minutes=idle + 2)
    assert not access_ok(app, tokens) and not refresh_ok(app, tokens)


def test_tokens_without_a_login_session_are_refused(app):
    """A token signed with the right key but naming no open session (issued before this release, or
    forged with a leaked key but a guessed session id) reads nothing."""
    from flask_jwt_extended import create_access_token

    with app.test_request_context():
        office_id = user_row(app, "office").id
        bare = create_access_token(identity=str(office_id))
        guessed = create_access_token(identity=str(office_id), additional_claims={"sid": "x" * 43})
    for token in (bare, guessed):
        response = app.test_client().get("/api/v1/item/", headers=bearer(token))
        assert response.status_code == 401 and "登录已失效" in response.json["message"]


def test_a_token_of_one_user_cannot_borrow_another_users_session(app):
    from flask_jwt_extended import create_access_token

    tokens = api_login(app, "tax")
    sid = claims_of(app, tokens["access_token"])["sid"]
    with app.test_request_context():
        forged = create_access_token(identity=str(user_row(app, "office").id), additional_claims={"sid": sid})
    assert app.test_client().get("/api/v1/item/", headers=bearer(forged)).status_code == 401


def test_a_page_cookie_session_id_is_no_api_token(app):
    """Kinds are separate: an API session id does not open pages, a page session id is no token."""
    from flask_jwt_extended import create_access_token

    from app.extensions import db
    from app.models import LoginSession

    web_login(app, "office")
    office_id = user_row(app, "office").id
    with app.app_context():
        sid = (db.session.query(LoginSession.sid).filter_by(user_id=office_id, kind="web", ended_at=None)
               .order_by(LoginSession.created_at.desc()).limit(1).scalar())
    with app.test_request_context():
        token = create_access_token(identity=str(office_id), additional_claims={"sid": sid})
    assert app.test_client().get("/api/v1/item/", headers=bearer(token)).status_code == 401


# --- the forced password change on the API --------------------------------------------------------

def test_forced_change_gate_applies_to_old_tokens(app, clients, viewer_restored):
    """The admin ticks 下次登录须修改密码 (no reset): the page session goes to the form, and tokens
    issued before answer 403 in Chinese — including the refresh — until the password is changed."""
    web, tokens = credentials(app, "viewer")
    user_id, form = edit_form(app, "viewer")
    form["must_change_password"] = "y"
    assert clients.admin.post(f"/users/edit/{user_id}", data=form).status_code == 302
    for response in (app.test_client().get("/api/v1/item/", headers=bearer(tokens["access_token"])),
                     app.test_client().post("/api/v1/security/refresh", headers=bearer(tokens["refresh_token"]))):
        assert response.status_code == 403 and "修改密码" in response.json["message"], response.json
    assert "/resetmypassword/form" in web.get("/matter/list/").headers["Location"]
    assert web.post("/resetmypassword/form", data={"current_password": PASSWORD, "password": OWN_PASSWORD,
                                                   "conf_password": OWN_PASSWORD}).status_code == 302
    assert web_ok(web)
    assert not access_ok(app, tokens)  # the change ended the old tokens; a new login gets new ones
    assert access_ok(app, api_login(app, "viewer", OWN_PASSWORD))


# --- cost -----------------------------------------------------------------------------------------

def test_a_jwt_request_checks_its_session_and_loads_the_user_in_one_statement(app):
    from app.extensions import db
    from tests.test_query_counts import StatementCounter

    tokens = api_login(app, "tax")
    client = app.test_client()
    client.get("/api/v1/item/", headers=bearer(tokens["access_token"]))  # warm-up
    with app.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        assert client.get("/api/v1/item/", headers=bearer(tokens["access_token"])).status_code == 200
    statements = counter.statements
    credential = [s for s in statements if "login_session" in s or "FROM ab_user" in s]
    assert len(credential) == 1 and "login_session" in credential[0], credential


def test_reset_page_for_nobody_is_a_404(app, clients):
    for pk in ("987654", "abc"):
        response = clients.admin.post(f"/resetpassword/form?pk={pk}",
                                      data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
        assert response.status_code == 404, pk


# --- every worker ---------------------------------------------------------------------------------

def test_an_ending_on_one_server_is_seen_by_another_at_once(app, clients, viewer_restored):
    """Two app instances on one database (two gunicorn workers, two servers): nothing is cached per
    process, so a logout or reset through one refuses the credentials on the other."""
    from tests.conftest import build_test_app

    other = build_test_app(app.config["SQLALCHEMY_DATABASE_URI"])
    tokens = api_login(app, "office")
    assert access_ok(other, tokens)  # a token from one server works on the other
    app.test_client().post("/api/v1/security/logout", headers=bearer(tokens["access_token"]))
    assert not access_ok(other, tokens) and not refresh_ok(other, tokens)

    web, tokens = credentials(app, "viewer")
    assert access_ok(other, tokens)
    with other.app_context():
        other_admin = other.test_client()
        other_admin.post("/login/", data={"username": "admin", "password": PASSWORD})
        viewer_id = user_row(other, "viewer").id
        response = other_admin.post(f"/resetpassword/form?pk={viewer_id}",
                                    data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
        assert response.status_code == 302
    assert all_dead(app, web, tokens)
    with other.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()
